// inventory/: hosts and groups: inline, `ansible-inventory --list`, or the targets report of the read itself.
import { compareText } from '../ports/order.js';
import type { HostInfo, Inventory } from './types.js';

/** The JSON `ansible-inventory --list` prints: groups at top level, hostvars under `_meta`. */
interface AnsibleInventoryJson {
  _meta?: { hostvars?: Record<string, Record<string, unknown>> };
  [group: string]: unknown;
}

interface GroupJson {
  hosts?: string[];
  children?: string[];
  vars?: Record<string, unknown>;
}

const IMPLICIT = new Set(['all', 'ungrouped']);

/**
 * Turn `ansible-inventory --list` JSON into hosts with every group they belong
 * to, following `children` so a host in `web_eu` (child of `web`) is in both.
 */
export function parseAnsibleInventory(json: unknown, source: string): Inventory {
  if (typeof json !== 'object' || json === null) throw new Error('ansible-inventory printed no JSON object');
  const doc = json as AnsibleInventoryJson;
  const groups = new Map<string, GroupJson>();
  for (const [name, value] of Object.entries(doc)) {
    if (name === '_meta' || typeof value !== 'object' || value === null) continue;
    groups.set(name, value as GroupJson);
  }
  // parent lists, to walk from a host's direct groups up to every ancestor
  const parents = new Map<string, string[]>();
  for (const [name, g] of groups) {
    for (const child of g.children ?? []) {
      parents.set(child, [...(parents.get(child) ?? []), name]);
    }
  }
  const hostGroups = new Map<string, Set<string>>();
  for (const [name, g] of groups) {
    for (const h of g.hosts ?? []) {
      const set = hostGroups.get(h) ?? new Set<string>();
      addWithAncestors(name, set, parents);
      hostGroups.set(h, set);
    }
  }
  const hostvars = doc._meta?.hostvars ?? {};
  for (const h of Object.keys(hostvars)) if (!hostGroups.has(h)) hostGroups.set(h, new Set());
  const hosts: HostInfo[] = [...hostGroups.entries()]
    .map(([name, gs]) => ({
      name,
      groups: [...gs].filter((g) => !IMPLICIT.has(g)).sort(),
      vars: hostvars[name] ?? {},
    }))
    .sort((a, b) => compareText(a.name, b.name));
  // a group with no hosts appears only in its parent's children list
  const names = new Set([...groups.keys(), ...parents.keys()]);
  return { hosts, groups: [...names].filter((g) => !IMPLICIT.has(g)).sort(), source };
}

function addWithAncestors(group: string, into: Set<string>, parents: Map<string, string[]>): void {
  if (into.has(group)) return; // also stops cycles
  into.add(group);
  for (const p of parents.get(group) ?? []) addWithAncestors(p, into, parents);
}
