import { compareText } from '../ports/order.js';
import type { HostInfo, Inventory } from './types.js';

/**
 * What fleet's callback reports at a read's start, once, from the controller
 * (render/callback-plugin.ts, event `fleet_report_targets`): the hosts the
 * play targets (the policy's `targets` pattern under --limit) and Ansible's
 * `groups` (every group with all its hosts, children already flattened).
 */
export interface TargetsReport {
  hosts: string[];
  groups: Record<string, string[]>;
}

const IMPLICIT = new Set(['all', 'ungrouped']);

/** The report from the targets event's document, or undefined when it is not one. */
export function parseTargetsReport(doc: Record<string, unknown> | undefined): TargetsReport | undefined {
  if (typeof doc !== 'object' || doc === null) return undefined;
  const { hosts, groups } = doc as { hosts?: unknown; groups?: unknown };
  if (!Array.isArray(hosts) || typeof groups !== 'object' || groups === null) return undefined;
  const g: Record<string, string[]> = {};
  for (const [name, members] of Object.entries(groups as Record<string, unknown>)) g[name] = Array.isArray(members) ? members.map(String) : [];
  return { hosts: hosts.map(String), groups: g };
}

/**
 * The targeted hosts with every group each is in (not `all`/`ungrouped`), and
 * what the whole inventory holds: its host names and group names. One pass
 * over the memberships (no per-host lookups).
 */
export function reportedInventory(r: TargetsReport, source: string): { inventory: Inventory; allHosts: string[] } {
  const member = new Map<string, string[]>(r.hosts.map((h) => [h, []]));
  const groups = Object.keys(r.groups)
    .filter((g) => !IMPLICIT.has(g))
    .sort();
  for (const g of groups) {
    for (const h of r.groups[g] ?? []) member.get(h)?.push(g);
  }
  const hosts: HostInfo[] = [...member.entries()]
    .map(([name, gs]) => ({ name, groups: [...new Set(gs)].sort(), vars: {} }))
    .sort((a, b) => compareText(a.name, b.name));
  const allHosts = r.groups.all ?? [...new Set(Object.values(r.groups).flat())];
  return { inventory: { hosts, groups, source }, allHosts };
}
