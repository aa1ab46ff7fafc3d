import type { Command } from 'commander';
import { readHosts, targetFor, type HostRead, type Session } from '../engine/session.js';
import { ExitCode } from '../errors.js';
import { setReadOnly } from '../io/exec.js';
import { capacity, DEFAULT_EPHEMERAL } from '../ports/capacity.js';
import { difference, format, type PortSet } from '../ports/portset.js';
import { renderJson, renderPlanTable } from '../report/index.js';
import { makeReport } from '../verify/report.js';
import type { HostResult, RunReport } from '../verify/types.js';
import { Progress } from './progress.js';
import { TASK } from '../render/playbooks.js';
import { addTargetOptions, examples, sessionFor, useColor, type TargetOptions } from './common.js';

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

/** Read every host (read-only) and build the plan report. */
export async function makePlan(s: Session, label: string): Promise<{ report: RunReport; reads: HostRead[]; targets: Map<string, PortSet> }> {
  const started = new Date();
  const progress = new Progress(label, s.plans.filter((p) => !p.refused).length, TASK.readState);
  const reads = await readHosts(s, { audit: false, onEvent: progress.onEvent });
  progress.finish();
  const targets = new Map<string, PortSet>();
  const rows = reads.map((r) => {
    const row = planRow(s, r);
    if (row.target) targets.set(r.plan.host, row.target);
    return row.result;
  });
  const report = makeReport({ command: 'plan', policy: s.policy, outsideTargets: s.outsideTargets, policyLabel: s.policyLabel, startedAt: started, finishedAt: new Date(), hosts: rows });
  return { report, reads, targets };
}

export function registerPlan(program: Command): void {
  addTargetOptions(
    program
      .command('plan')
      .description('read every host (read-only) and show, per host, current -> desired, ports to add and remove, and ephemeral ports left')
      .argument('<policy>', 'policy YAML file'),
  )
    .addHelpText(
      'after',
      examples(['fleet plan examples/policy.yaml', 'fleet plan policy.yaml --limit web --json | jq .summary', 'fleet plan policy.yaml --verbose   # your ansible.cfg in force + what fleet sets on top']) +
        '\nfleet keeps your ansible.cfg (ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg) in force and sets only\noutput, pipelining, ssh_args (yours + connection reuse), control_path_dir, forks (and remote_user/timeout when the policy\nsets them) as ANSIBLE_* environment variables; --verbose lists them with their values.\n',
    )
    .action(async (file: string, opts: TargetOptions) => {
      setReadOnly(true);
      const s = await sessionFor(file, opts);
      const { report } = await makePlan(s, 'plan');
      if (opts.json) process.stdout.write(renderJson(report));
      else process.stdout.write(renderPlanTable(report, { color: useColor() }).join('\n') + '\n');
      const sum = report.summary;
      process.exitCode = sum.compliant + sum.drift === sum.hosts ? ExitCode.ok : ExitCode.drift;
    });
}
