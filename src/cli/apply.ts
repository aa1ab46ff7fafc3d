import type { Command } from 'commander';
import { applyHosts, withPriorState, type Session } from '../engine/session.js';
import { ExitCode, FleetError } from '../errors.js';
import { setReadOnly } from '../io/exec.js';
import { TASK } from '../render/playbooks.js';
import { renderJson, renderPlanTable, type ReportSpec } from '../report/index.js';
import { makeReport } from '../verify/report.js';
import type { HostResult } from '../verify/types.js';
import { addTargetOptions, examples, sessionFor, useColor, type TargetOptions } from './common.js';
import { makePlan } from './plan.js';
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
      const s = await sessionFor(file, opts);
      process.exitCode = await whileLocked(s, 'apply', (signal) => applyFlow(s, file, opts, interactive, signal));
    });
}

async function applyFlow(s: Session, file: string, opts: ApplyOptions, interactive: boolean, signal: () => NodeJS.Signals | undefined): Promise<number> {
  const started = new Date();
  const { report: plan, reads, targets } = await makePlan(s, 'plan');
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
  const progress = new Progress('apply', toApply.length, TASK.apply);
  const { results, interrupted } = await applyHosts(
    s,
    toApply.map((r) => ({ plan: r.plan, target: targets.get(r.plan.host)! })),
    { onEvent: progress.onEvent },
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
