import { cleanupAfterSignal, whileLocked } from '../engine/guard.js';
import { makePlan } from '../engine/plan-run.js';
import { applyHosts, withPriorState, type Session } from '../engine/session.js';
import { ExitCode, FleetError } from '../errors.js';
import { setReadOnly } from '../io/exec.js';
import { renderJson, renderPlanTable, type ReportSpec } from '../report/index.js';
import { makeReport } from '../verify/report.js';
import type { HostResult } from '../verify/types.js';
import { confirm } from './confirm.js';
import { signalExit, verdictExit } from './exit-codes.js';
import type { HistoryOptions, TargetOptions } from './options.js';
import { emit, useColor, warn } from './output.js';
import { Progress } from './progress.js';
import { sessionFor } from './targets.js';

interface ApplyOptions extends TargetOptions, HistoryOptions {
  yes?: boolean;
  dryRun?: boolean;
  report?: ReportSpec[];
}

export async function run(file: string, opts: ApplyOptions): Promise<number> {
  if (opts.dryRun) setReadOnly(true);
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  if (!opts.dryRun && !opts.yes && !interactive) {
    throw new FleetError('refusing to apply without confirmation: no terminal to ask on; pass --yes to apply, or --dry-run to only plan', ExitCode.invalid);
  }
  const s = await sessionFor(file, opts);
  return await whileLocked(s, 'apply', (signal) => applyFlow(s, file, opts, interactive, signal), warn);
}

async function applyFlow(s: Session, file: string, opts: ApplyOptions, interactive: boolean, signal: () => NodeJS.Signals | undefined): Promise<number> {
  const started = new Date();
  const planProgress = new Progress('plan', s.plans.filter((p) => !p.refused).length);
  const { report: plan, reads, targets } = await makePlan(s, planProgress.events('read'));
  planProgress.finish();
  if (signal()) return finish(s, file, opts, started, plan.hosts, signal());
  if (opts.dryRun || !opts.yes || !opts.json) {
    const lines = renderPlanTable(plan, { color: useColor(process.stderr) });
    (opts.dryRun && !opts.json ? process.stdout : process.stderr).write(lines.join('\n') + '\n');
  }
  if (opts.dryRun) {
    if (opts.json) process.stdout.write(renderJson(plan));
    return ExitCode.ok;
  }
  // Hosts the read found compliant (runtime, persisted file, boot order) need nothing: leave them alone.
  const toApply = reads.filter((r) => targets.has(r.plan.host) && r.result.verdict !== 'compliant');
  if (!opts.yes && interactive && toApply.length > 0) {
    if (!(await confirm(`Apply to ${toApply.length} host${toApply.length === 1 ? '' : 's'}? [y/N] `))) {
      process.stderr.write('fleet: nothing applied\n');
      return ExitCode.drift;
    }
  }
  const progress = new Progress('apply', toApply.length);
  const { results, interrupted } = await applyHosts(
    s,
    toApply.map((r) => ({ plan: r.plan, target: targets.get(r.plan.host)! })),
    { onEvent: progress.events('write') },
  );
  progress.finish();
  const applied = new Set(results.map((r) => r.host));
  // hosts already compliant, or that could not be read (unreachable, refused), keep their read verdict
  const hosts: HostResult[] = [...withPriorState(s, reads, results), ...reads.filter((r) => !applied.has(r.plan.host)).map((r) => r.result)];
  return finish(s, file, opts, started, hosts, signal() ?? (interrupted ? 'SIGINT' : undefined));
}

/** Report what we have; after a signal also close our SSH connections and exit 129/130/143. */
async function finish(s: Session, file: string, opts: ApplyOptions, started: Date, hosts: HostResult[], sig: NodeJS.Signals | undefined): Promise<number> {
  const report = makeReport({ command: 'apply', policy: s.policy, outsideTargets: s.outsideTargets, policyLabel: file, startedAt: started, finishedAt: new Date(), hosts, provenance: s.provenance, ...(opts.shard ? { shard: opts.shard } : {}), ...(sig ? { interrupted: sig } : {}) });
  await emit(report, opts);
  if (!sig) return verdictExit(report);
  await cleanupAfterSignal(s);
  return signalExit(sig) ?? ExitCode.sigint;
}
