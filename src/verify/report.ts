import { compareNatural } from '../ports/order.js';
import type { Policy } from '../policy/types.js';
import { VERSION } from '../version.js';
import { summarize, type HostResult, type Provenance, type RunReport } from './types.js';

export { VERSION } from '../version.js';

/** Assemble the report every formatter reads. Hosts in natural order (h2 before h10). */
export function makeReport(args: {
  command: RunReport['command'];
  policy: Policy;
  policyLabel: string;
  startedAt: Date;
  finishedAt: Date;
  hosts: HostResult[];
  shard?: string;
  interrupted?: string;
  /** Inventory hosts outside the policy's `targets` pattern. */
  outsideTargets?: string[];
  provenance?: Provenance;
}): RunReport {
  const hosts = [...args.hosts].sort((a, b) => compareNatural(a.host, b.host));
  return {
    tool: 'fleet',
    version: VERSION,
    command: args.command,
    policy: args.policyLabel,
    mode: args.policy.mode,
    startedAt: args.startedAt.toISOString(),
    durationSeconds: Math.round(args.finishedAt.getTime() - args.startedAt.getTime()) / 1000,
    ...(args.shard ? { shard: args.shard } : {}),
    summary: summarize(hosts),
    hosts,
    ...(args.interrupted ? { interrupted: args.interrupted } : {}),
    ...(args.outsideTargets?.length ? { outsideTargets: { pattern: args.policy.targets, hosts: [...args.outsideTargets].sort(compareNatural) } } : {}),
    ...(args.provenance ? { provenance: args.provenance } : {}),
  };
}

/** Every targeted host must have a verdict: fill the ones Ansible never reported. */
export function notRun(host: string, groups: string[], desired: string, why: string): HostResult {
  return { host, groups, verdict: 'not_run', changed: false, desired, message: why };
}
