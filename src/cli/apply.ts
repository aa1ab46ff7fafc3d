import type { Command } from 'commander';
import { readThenApply, withPriorState, type Session } from '../engine/session.js';
import { ExitCode, FleetError } from '../errors.js';
import { setReadOnly } from '../io/exec.js';
import { TASK } from '../render/playbooks.js';
import { renderJson, renderPlanTable, type ReportSpec } from '../report/index.js';
import { makeReport } from '../verify/report.js';
import type { HostResult, RunReport } from '../verify/types.js';
import { addTargetOptions, examples, sessionFor, useColor, type TargetOptions } from './common.js';
import { makePlan, planOf, readProgress } from './plan.js';
import { Progress } from './progress.js';
import { addHistoryOptions, cleanupAfterSignal, collectReport, emit, signalExit, verdictExit, whileLocked, type HistoryOptions } from './run-support.js';
import { confirm } from './confirm.js';

interface ApplyOptions extends TargetOptions, HistoryOptions {
  yes?: boolean;
  dryRun?: boolean;
  report?: ReportSpec[];
}

export function registerApply(program: Command): void {
  addHistoryOptions(addTargetOptions(
    program
      .command('apply')
      .description('validate -> plan -> confirm -> apply with Ansible -> verify every host with sysctl -n -> summary')
      .argument('<policy>', 'policy YAML file'),
  ))
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal)')
    .option('-n, --dry-run', 'stop after the plan; change nothing')
    .option('--report <format=path>', 'also write a report: json, junit, prometheus or html (repeatable)', collectReport)
    .addHelpText(
      'after',
      examples([
        'fleet apply examples/policy.yaml                 # asks before changing anything',
        'fleet apply policy.yaml --yes --limit web        # unattended, only group web',
        'fleet apply policy.yaml --dry-run                # plan only',
        'fleet apply policy.yaml --yes --json > result.json',
      ]) + '\nExit codes: 0 every targeted host verified compliant, 1 drift/failed/unreachable/not run, 2 invalid input, 3 environment, 130/143 interrupted.\n',
    )
    .action(async (file: string, opts: ApplyOptions) => {
      if (opts.dryRun) setReadOnly(true);
      const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
      if (!opts.dryRun && !opts.yes && !interactive) {
        throw new FleetError('refusing to apply without confirmation: no terminal to ask on; pass --yes to apply, or --dry-run to only plan', ExitCode.invalid);
      }
      const s = await sessionFor(file, opts, { deferred: true });
      process.exitCode = await whileLocked(s, 'apply', (signal) => applyFlow(s, file, opts, interactive, signal));
    });
}

async function applyFlow(s: Session, file: string, opts: ApplyOptions, interactive: boolean, signal: () => NodeJS.Signals | undefined): Promise<number> {
  const started = new Date();
  if (opts.dryRun) {
    const { report: plan } = await makePlan(s, 'plan');
    if (signal()) return finish(s, file, opts, started, plan.hosts, signal());
    if (opts.json) process.stdout.write(renderJson(plan));
    else process.stdout.write(renderPlanTable(plan, { color: useColor(process.stderr) }).join('\n') + '\n');
    return ExitCode.ok;
  }
  // One Ansible process: read, then (while it waits) plan and confirm here, then apply to the hosts chosen.
  const { progress, read } = readProgress('plan', s);
  const applying = new Progress('apply', 0, TASK.readBack);
  let plan: RunReport | undefined;
  let declined = false;
  const out = await readThenApply(s, {
    ...read,
    onApplyEvent: applying.onEvent,
    decide: async (reads, ended) => {
      progress.finish();
      const made = planOf(s, reads, started);
      plan = made.report;
      if (!opts.yes || !opts.json) process.stderr.write(renderPlanTable(plan, { color: useColor(process.stderr) }).join('\n') + '\n');
      if (ended || signal()) return [];
      // Hosts the read found compliant (runtime, persisted file, boot order) need nothing: leave them alone.
      const toApply = reads.filter((r) => made.targets.has(r.plan.host) && r.result.verdict !== 'compliant');
      if (!opts.yes && interactive && toApply.length > 0) {
        if (!(await confirm(`Apply to ${toApply.length} host${toApply.length === 1 ? '' : 's'}? [y/N] `))) {
          declined = true;
          return [];
        }
      }
      applying.setTotal(toApply.length);
      return toApply.map((r) => ({ plan: r.plan, target: made.targets.get(r.plan.host)! }));
    },
  });
  applying.finish();
  if (declined && !signal()) {
    process.stderr.write('fleet: nothing applied\n');
    return ExitCode.drift;
  }
  const sig = signal() ?? (out.interrupted ? 'SIGINT' : undefined);
  if (out.results.length === 0 && sig && plan) return finish(s, file, opts, started, plan.hosts, sig);
  const applied = new Set(out.results.map((r) => r.host));
  // hosts already compliant, or that could not be read (unreachable, refused), keep their read verdict
  const hosts: HostResult[] = [...withPriorState(s, out.reads, out.results), ...out.reads.filter((r) => !applied.has(r.plan.host)).map((r) => r.result)];
  return finish(s, file, opts, started, hosts, sig);
}

/** Report what we have; after a signal also close our SSH connections and exit 129/130/143. */
async function finish(s: Session, file: string, opts: ApplyOptions, started: Date, hosts: HostResult[], sig: NodeJS.Signals | undefined): Promise<number> {
  const report = makeReport({ command: 'apply', policy: s.policy, outsideTargets: s.outsideTargets, policyLabel: file, startedAt: started, finishedAt: new Date(), hosts, provenance: s.provenance, ...(opts.shard ? { shard: opts.shard } : {}), ...(sig ? { interrupted: sig } : {}) });
  await emit(report, opts);
  if (!sig) return verdictExit(report);
  await cleanupAfterSignal(s);
  return signalExit(sig) ?? ExitCode.sigint;
}
