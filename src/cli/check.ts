import { cleanupAfterSignal, whileLocked } from '../engine/guard.js';
import { type HostRead, readHosts, readThenApply, type Session, sessionReport, targetFor, withPriorState } from '../engine/session.js';
import { setReadOnly } from '../io/exec.js';
import type { ReportSpec } from '../report/index.js';
import { auditSockets } from '../verify/audit.js';
import { summarize, type HostResult, type Verdict } from '../verify/types.js';
import { signalExit, verdictExit } from './exit-codes.js';
import type { HistoryOptions, TargetOptions } from './options.js';
import { emit, warn } from './output.js';
import { Progress, readProgress } from './progress.js';
import { sessionFor } from './targets.js';

interface CheckOptions extends TargetOptions, HistoryOptions {
  failOn?: Verdict[];
  report?: ReportSpec[];
  audit?: boolean;
  strictAudit?: boolean;
  remediate?: boolean;
}

export async function run(file: string, opts: CheckOptions): Promise<number> {
  const audit = Boolean(opts.audit || opts.strictAudit);
  setReadOnly(!opts.remediate);
  const s = await sessionFor(file, opts, { deferred: true });
  return await whileLocked(s, opts.remediate ? 'check --remediate' : 'check', (signal) => checkFlow(s, opts, audit, signal), warn);
}

function withAudit(s: Session, r: HostRead): HostResult {
  if (!r.observed?.sockets) return r.result;
  return { ...r.result, audit: auditSockets(r.observed.sockets, r.plan.desired, s.policy.audit.allow) };
}

async function checkFlow(s: Session, opts: CheckOptions, audit: boolean, signal: () => NodeJS.Signals | undefined): Promise<number> {
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
    const applying = new Progress('remediate', 0);
    let drifted: HostRead[] = [];
    const out = await readThenApply(s, {
      ...read,
      onApplyEvent: applying.events('write'),
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
  const report = sessionReport(s, opts.remediate ? 'remediate' : 'check', started, hosts, {
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
