/** Read every targeted host (read-only) and turn the reads into the plan: what apply would change, host by host. */
import { capacity, DEFAULT_EPHEMERAL } from '../ports/capacity.js';
import { difference, format, type PortSet } from '../ports/portset.js';
import type { HostResult, RunReport } from '../verify/types.js';
import { type HostRead, type ReadOptions, readHosts, type Session, sessionReport, targetFor } from './session.js';

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

/** Read every host (read-only) and build the plan report, the reads, and each readable host's target set. */
export async function makePlan(s: Session, read: ReadOptions): Promise<{ report: RunReport; reads: HostRead[]; targets: Map<string, PortSet> }> {
  const started = new Date();
  return planOf(s, await readHosts(s, read), started);
}

/** The plan report from the reads: each host's target value, ports to add and remove, capacity before and after. */
export function planOf(s: Session, reads: HostRead[], started: Date): { report: RunReport; reads: HostRead[]; targets: Map<string, PortSet> } {
  const targets = new Map<string, PortSet>();
  const rows = reads.map((r) => {
    const row = planRow(s, r);
    if (row.target) targets.set(r.plan.host, row.target);
    return row.result;
  });
  const report = sessionReport(s, 'plan', started, rows);
  return { report, reads, targets };
}
