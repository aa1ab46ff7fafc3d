// cli/: commander wiring: the options and commands tables, one module per command; only main.ts sets the exit code.
import { cleanupAfterSignal, whileLocked } from '../engine/guard.js';
import { makePlan, planOf } from '../engine/plan-run.js';
import { readThenApply, type Session, sessionReport, withPriorState } from '../engine/session.js';
import { ExitCode, FleetError } from '../errors.js';
import { setReadOnly } from '../io/exec.js';
import { renderJson, renderPlanTable, type ReportSpec } from '../report/index.js';
import type { HostResult, RunReport } from '../verify/types.js';
import { confirm } from './confirm.js';
import { signalExit, verdictExit } from './exit-codes.js';
import type { HistoryOptions, TargetOptions } from './options.js';
import { emit, useColor, warn } from './output.js';
import { Progress, readProgress } from './progress.js';
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
  const s = await sessionFor(file, opts, { deferred: true });
  return await whileLocked(s, 'apply', (signal) => applyFlow(s, opts, interactive, signal), warn);
}

async function applyFlow(s: Session, opts: ApplyOptions, interactive: boolean, signal: () => NodeJS.Signals | undefined): Promise<number> {
  const started = new Date();
  if (opts.dryRun) {
    const { progress, read } = readProgress('plan', s);
    const { report: plan } = await makePlan(s, read);
    progress.finish();
    if (signal()) return finish(s, opts, started, plan.hosts, signal());
    if (opts.json) process.stdout.write(renderJson(plan));
    else process.stdout.write(renderPlanTable(plan, { color: useColor(process.stderr) }).join('\n') + '\n');
    return ExitCode.ok;
  }
  // One Ansible process: read, then (while it waits) plan and confirm here, then apply to the hosts chosen.
  const { progress, read } = readProgress('plan', s);
  const applying = new Progress('apply', 0);
  let plan: RunReport | undefined;
  let declined = false;
  const out = await readThenApply(s, {
    ...read,
    onApplyEvent: applying.events('write'),
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
  if (out.results.length === 0 && sig && plan) return finish(s, opts, started, plan.hosts, sig);
  const applied = new Set(out.results.map((r) => r.host));
  // hosts already compliant, or that could not be read (unreachable, refused), keep their read verdict
  const hosts: HostResult[] = [...withPriorState(s, out.reads, out.results), ...out.reads.filter((r) => !applied.has(r.plan.host)).map((r) => r.result)];
  return finish(s, opts, started, hosts, sig);
}

/** Report what we have; after a signal also close our SSH connections and exit 129/130/143. */
async function finish(s: Session, opts: ApplyOptions, started: Date, hosts: HostResult[], sig: NodeJS.Signals | undefined): Promise<number> {
  const report = sessionReport(s, 'apply', started, hosts, { ...(opts.shard ? { shard: opts.shard } : {}), ...(sig ? { interrupted: sig } : {}) });
  await emit(report, opts);
  if (!sig) return verdictExit(report);
  await cleanupAfterSignal(s);
  return signalExit(sig) ?? ExitCode.sigint;
}
