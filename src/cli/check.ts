import type { Command } from 'commander';
import { readHosts, readThenApply, targetFor, withPriorState, type HostRead, type Session } from '../engine/session.js';
import { setReadOnly } from '../io/exec.js';
import { TASK } from '../render/playbooks.js';
import type { ReportSpec } from '../report/index.js';
import { auditSockets } from '../verify/audit.js';
import { makeReport } from '../verify/report.js';
import { summarize, type HostResult, type Verdict } from '../verify/types.js';
import { addTargetOptions, examples, sessionFor, type TargetOptions } from './common.js';
import { Progress } from './progress.js';
import { readProgress } from './plan.js';
import { addHistoryOptions, cleanupAfterSignal, collectReport, emit, FAILING_VERDICTS, parseFailOn, signalExit, verdictExit, whileLocked, type HistoryOptions } from './run-support.js';

interface CheckOptions extends TargetOptions, HistoryOptions {
  failOn?: Verdict[];
  report?: ReportSpec[];
  audit?: boolean;
  strictAudit?: boolean;
  remediate?: boolean;
}

export function registerCheck(program: Command): void {
  addHistoryOptions(addTargetOptions(
    program
      .command('check')
      .description('read-only compliance run: every host compliant, in drift (runtime or persisted), unreachable or failed')
      .argument('<policy>', 'policy YAML file'),
  ))
    .option('--fail-on <verdicts>', `verdicts that make the run fail (exit 1), comma-separated: ${FAILING_VERDICTS.join(',')} (default: all)`, parseFailOn)
    .option('--report <format=path>', 'write a report: json, junit, prometheus or html (repeatable)', collectReport)
    .option('--audit', 'also list listeners outside the listen ranges and connections holding reserved ports (ss)')
    .option('--strict-audit', 'audit findings make the run fail (exit 1); implies --audit')
    .option('--remediate', 'then apply to the hosts in drift only, verify again, and report both states')
    .addHelpText(
      'after',
      examples([
        'fleet check examples/policy.yaml',
        'fleet check policy.yaml --report junit=out/fleet.xml --report prometheus=/var/lib/node_exporter/textfile/fleet.prom',
        'fleet check policy.yaml --audit --report html=out/fleet.html',
        'fleet check policy.yaml --remediate --json',
        'fleet check policy.yaml --fail-on drift --history /var/lib/fleet/history --report html=/var/www/fleet.html',
      ]) + '\nExit codes: 0 all compliant, 1 any drift/failure (or audit finding with --strict-audit), 2 bad input, 3 environment.\n',
    )
    .action(async (file: string, opts: CheckOptions) => {
      const audit = Boolean(opts.audit || opts.strictAudit);
      setReadOnly(!opts.remediate);
      const s = await sessionFor(file, opts, { deferred: true });
      process.exitCode = await whileLocked(s, opts.remediate ? 'check --remediate' : 'check', (signal) => checkFlow(s, file, opts, audit, signal));
    });
}

function withAudit(s: Session, r: HostRead): HostResult {
  if (!r.observed?.sockets) return r.result;
  return { ...r.result, audit: auditSockets(r.observed.sockets, r.plan.desired, s.policy.audit.allow) };
}

async function checkFlow(s: Session, file: string, opts: CheckOptions, audit: boolean, signal: () => NodeJS.Signals | undefined): Promise<number> {
  const started = new Date();
  const { progress, read } = readProgress('check', s, audit);
  let hosts: HostResult[];
  let before: { summary: ReturnType<typeof summarize>; hosts: HostResult[] } | undefined;
  if (!opts.remediate) {
    const reads = await readHosts(s, read);
    progress.finish();
    hosts = reads.map((r) => withAudit(s, r));
  } else {
    // One Ansible process: read every host, then apply to the drifted ones (no confirmation: --remediate is the consent).
    const applying = new Progress('remediate', 0, TASK.readBack);
    let drifted: HostRead[] = [];
    const out = await readThenApply(s, {
      ...read,
      onApplyEvent: applying.onEvent,
      decide: async (reads, ended) => {
        progress.finish();
        drifted = ended || signal() ? [] : reads.filter((r) => r.result.verdict === 'drift' && r.observed);
        applying.setTotal(drifted.length);
        return drifted.map((r) => ({ plan: r.plan, target: targetFor(s, r) }));
      },
    });
    applying.finish();
    hosts = out.reads.map((r) => withAudit(s, r));
    if (drifted.length > 0) {
      before = { summary: summarize(hosts), hosts };
      const fixed = new Map(withPriorState(s, drifted, out.results).map((r) => [r.host, r]));
      hosts = hosts.map((h) => (fixed.has(h.host) ? { ...fixed.get(h.host)!, ...(h.audit ? { audit: h.audit } : {}) } : h));
    }
  }
  const sig = signal();
  const report = makeReport({
    command: opts.remediate ? 'remediate' : 'check',
    policy: s.policy,
    outsideTargets: s.outsideTargets,
    policyLabel: file,
    startedAt: started,
    finishedAt: new Date(),
    hosts,
    provenance: s.provenance,
    ...(opts.shard ? { shard: opts.shard } : {}),
    ...(sig ? { interrupted: sig } : {}),
  });
  if (before) report.before = before;
  await emit(report, opts);
  if (sig) {
    await cleanupAfterSignal(s);
    return signalExit(sig)!;
  }
  return verdictExit(report, opts.strictAudit, opts.failOn);
}
