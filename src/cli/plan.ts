import type { Command } from 'commander';
import { readHosts, targetFor, type HostRead, type ReadOptions, type Session } from '../engine/session.js';
import { ExitCode } from '../errors.js';
import { setReadOnly } from '../io/exec.js';
import { capacity, DEFAULT_EPHEMERAL } from '../ports/capacity.js';
import { difference, format, type PortSet } from '../ports/portset.js';
import { renderJson, renderPlanTable } from '../report/index.js';
import { makeReport } from '../verify/report.js';
import type { HostResult, RunReport } from '../verify/types.js';
import { Progress } from './progress.js';
import { TASK } from '../render/playbooks.js';
import { addTargetOptions, announce, examples, formatOption, outputFormat, sessionFor, useColor, type OutputFormat, type TargetOptions } from './common.js';
import { renderPlanMarkdown } from '../report/markdown.js';

/** What apply would do on one host, as a report row: current -> target, add, remove, free ports before -> after. */
export function planRow(s: Session, r: HostRead): { result: HostResult; target?: PortSet } {
  if (!r.observed || r.result.verdict === 'refused') return { result: r.result };
  const target = targetFor(s, r);
  const current = r.observed.reserved;
  const range = r.plan.ephemeral ?? r.observed.range ?? DEFAULT_EPHEMERAL;
  return {
    target,
    result: {
      ...r.result,
      desired: format(target),
      runtime: { missing: format(difference(target, current)), extra: format(difference(current, target)) },
      freeEphemeralBefore: capacity(current, r.observed.range ?? DEFAULT_EPHEMERAL).free,
      freeEphemeral: capacity(target, range).free,
    },
  };
}

/** A read's progress line, and the session's announcements once its hosts are known. */
export function readProgress(label: string, s: Session, audit = false): { progress: Progress; read: ReadOptions } {
  const progress = new Progress(label, s.plans.filter((p) => !p.refused).length, TASK.readState);
  const onPlanned = (x: Session): void => {
    if (!x.deferred) return;
    announce(x);
    // a deferred read reads every targeted host, refused ones too (harmless; they are reported refused)
    progress.setTotal(x.plans.length);
  };
  return { progress, read: { audit, onEvent: progress.onEvent, onPlanned } };
}

/** Read every host (read-only) and build the plan report. */
export async function makePlan(s: Session, label: string): Promise<{ report: RunReport; reads: HostRead[]; targets: Map<string, PortSet> }> {
  const started = new Date();
  const { progress, read } = readProgress(label, s);
  const reads = await readHosts(s, read);
  progress.finish();
  return planOf(s, reads, started);
}

/** The plan report from the reads: each host's target value, ports to add and remove, capacity before and after. */
export function planOf(s: Session, reads: HostRead[], started: Date): { report: RunReport; reads: HostRead[]; targets: Map<string, PortSet> } {
  const targets = new Map<string, PortSet>();
  const rows = reads.map((r) => {
    const row = planRow(s, r);
    if (row.target) targets.set(r.plan.host, row.target);
    return row.result;
  });
  const report = makeReport({ command: 'plan', policy: s.policy, outsideTargets: s.outsideTargets, policyLabel: s.policyLabel, startedAt: started, finishedAt: new Date(), hosts: rows, provenance: s.provenance });
  return { report, reads, targets };
}

interface PlanOptions extends TargetOptions {
  all?: boolean;
  detailedExitcode?: boolean;
  format?: OutputFormat;
}

export function registerPlan(program: Command): void {
  addTargetOptions(
    program
      .command('plan')
      .description('read every host (read-only) and show the hosts that would change: current -> desired, ports to add and remove, ephemeral ports left, and why')
      .argument('<policy>', 'policy YAML file'),
  )
    .option('--all', 'list every host, the compliant ones too')
    .option('--detailed-exitcode', 'exit 0 when nothing would change, 4 when changes are pending (other codes as usual)')
    .addOption(formatOption())
    .addHelpText(
      'after',
      examples([
        'fleet plan examples/policy.yaml',
        'fleet plan policy.yaml --limit web --json | jq .summary',
        'fleet plan policy.yaml --detailed-exitcode --format markdown > plan.md   # exit 4: changes pending',
        'fleet plan policy.yaml --verbose   # your ansible.cfg in force + what fleet sets on top',
      ]) +
        '\nfleet keeps your ansible.cfg (ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg) in force and sets only\noutput, pipelining, ssh_args (yours + connection reuse), control_path_dir, forks (and remote_user/timeout when the policy\nsets them) as ANSIBLE_* environment variables; --verbose lists them with their values.\n' +
        '\nExit codes: 0 plan made (with --detailed-exitcode: nothing to change), 4 changes pending (--detailed-exitcode), 1 hosts unreachable/failed/refused, 2 invalid input, 3 environment.\n',
    )
    .action(async (file: string, opts: PlanOptions) => {
      setReadOnly(true);
      const format = outputFormat(opts);
      const s = await sessionFor(file, { ...opts, json: format === 'json' }, { deferred: true });
      const { report } = await makePlan(s, 'plan');
      if (format === 'json') process.stdout.write(renderJson(report));
      else if (format === 'markdown') process.stdout.write(renderPlanMarkdown(report, { all: Boolean(opts.all) }));
      else process.stdout.write(renderPlanTable(report, { color: useColor(), all: Boolean(opts.all) }).join('\n') + '\n');
      process.exitCode = planExit(report, Boolean(opts.detailedExitcode));
    });
}

/** 1 when a host could not be planned; else (with --detailed-exitcode) 4 when a host would change, 0 when none. */
export function planExit(report: RunReport, detailed: boolean): number {
  const sum = report.summary;
  if (sum.compliant + sum.drift !== sum.hosts) return ExitCode.drift;
  return detailed && sum.drift > 0 ? ExitCode.changes : ExitCode.ok;
}
