// plan/: desired set per host, capacity floor, shards; the offline diff of two policies; discover's proposal (pure).
import type { Inventory } from '../inventory/types.js';
import type { Policy } from '../policy/types.js';
import { capacity, DEFAULT_EPHEMERAL, explainCapacity, type Capacity } from '../ports/capacity.js';
import { difference, rangeText, union, type PortRange, type PortSet } from '../ports/portset.js';
import { droppedPorts, type HostHolds } from '../verify/owned.js';

/** What the policy wants on one host, before looking at the host. */
export interface HostPlan {
  host: string;
  groups: string[];
  /** Union of company, group and host reserved ports. */
  desired: PortSet;
  /** Managed net.ipv4.ip_local_port_range, when the policy sets one for this host. */
  ephemeral?: PortRange;
  capacity: Capacity;
  /** Set when the plan refuses to touch this host, with the reason. */
  refused?: string;
}

export interface PlanWarning {
  message: string;
}

/**
 * Desired state for every inventory host: the union over the company rule,
 * all groups the host is in (children included) and the host's own additions.
 * A host whose ephemeral capacity would fall below the floor is refused.
 * `allHosts` names every host of the inventory when `inventory` holds only
 * the targeted ones (warnings are about the whole inventory).
 */
export function planHosts(policy: Policy, inventory: Inventory, allHosts?: readonly string[]): { plans: HostPlan[]; warnings: PlanWarning[] } {
  const warnings: PlanWarning[] = [];
  // `allHosts`: every host of the inventory when `inventory` holds only the targeted ones
  const known = new Set(allHosts ?? inventory.hosts.map((h) => h.name));
  for (const h of Object.keys(policy.hosts)) {
    if (!known.has(h)) warnings.push({ message: `policy names host ${h}, which is not in the inventory (${inventory.source})` });
  }
  const knownGroups = new Set(inventory.groups);
  for (const g of Object.keys(policy.groups)) {
    if (!knownGroups.has(g)) warnings.push({ message: `policy names group ${g}, which is not in the inventory (${inventory.source})` });
  }
  const plans = inventory.hosts.map((h) => planOne(policy, h.name, h.groups));
  return { plans, warnings };
}

function planOne(policy: Policy, host: string, groups: string[]): HostPlan {
  const sets: PortSet[] = [policy.company.reserved];
  const ranges: { from: string; range: PortRange }[] = [];
  if (policy.company.ephemeral) ranges.push({ from: 'policy', range: policy.company.ephemeral });
  const groupRanges: { from: string; range: PortRange }[] = [];
  for (const g of groups) {
    const rules = policy.groups[g];
    if (!rules) continue;
    sets.push(rules.reserved);
    if (rules.ephemeral) groupRanges.push({ from: `group ${g}`, range: rules.ephemeral });
  }
  const hostRules = policy.hosts[host];
  if (hostRules) sets.push(hostRules.reserved);
  const desired = union(...sets);

  let refused: string | undefined;
  let ephemeral: PortRange | undefined = policy.company.ephemeral;
  if (hostRules?.ephemeral) {
    ephemeral = hostRules.ephemeral;
  } else if (groupRanges.length) {
    const distinct = new Set(groupRanges.map((r) => rangeText(r.range)));
    if (distinct.size > 1) {
      refused = `groups disagree on ephemeral_range (${groupRanges.map((r) => `${r.from}: ${rangeText(r.range)}`).join(', ')}); set one for host ${host}`;
    }
    ephemeral = groupRanges[0]!.range;
  }
  const cap = capacity(desired, ephemeral ?? DEFAULT_EPHEMERAL);
  if (!refused && cap.free < policy.minEphemeralPorts) {
    refused = `only ${cap.free} ephemeral ports would stay free, below min_ephemeral_ports ${policy.minEphemeralPorts}: ${explainCapacity(cap)}`;
  }
  return { host, groups, desired, ...(ephemeral ? { ephemeral } : {}), capacity: cap, ...(refused ? { refused } : {}) };
}

/**
 * Value to write on a host: exactly ours, or (additive) ours plus what others
 * reserve: the runtime value less the ports fleet owned that the policy
 * dropped, plus every port other boot files set (their tool's, even when fleet
 * once owned them too).
 */
export function targetSet(plan: HostPlan, mode: Policy['mode'], holds: HostHolds | undefined): PortSet {
  if (mode !== 'additive' || !holds) return plan.desired;
  return union(plan.desired, difference(holds.runtime, droppedPorts(plan.desired, holds)), holds.otherFiles);
}
