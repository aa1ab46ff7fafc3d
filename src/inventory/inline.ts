import { compareText } from '../ports/order.js';
import type { InventorySpec } from '../policy/types.js';
import { parseAnsibleInventory } from './ansible-json.js';
import type { Inventory } from './types.js';

/** Build an Inventory from the policy's inline hosts and groups, through the same path as ansible-inventory's JSON. */
export function inlineInventory(spec: Extract<InventorySpec, { kind: 'inline' }>, source: string): Inventory {
  const json: Record<string, unknown> = {
    _meta: { hostvars: Object.fromEntries(Object.entries(spec.hosts).map(([h, v]) => [h, { ...v.vars }])) },
  };
  for (const [name, g] of Object.entries(spec.groups)) json[name] = { hosts: g.hosts, children: g.children };
  return parseAnsibleInventory(json, source);
}

/** The inline inventory as an Ansible YAML inventory document (data, for the renderer). */
export function inlineInventoryDoc(spec: Extract<InventorySpec, { kind: 'inline' }>): Record<string, unknown> {
  const children: Record<string, unknown> = {};
  for (const [name, g] of Object.entries(spec.groups).sort(([a], [b]) => compareText(a, b))) {
    const group: Record<string, unknown> = {};
    if (g.hosts.length) group.hosts = Object.fromEntries([...g.hosts].sort().map((h) => [h, null]));
    if (g.children.length) group.children = Object.fromEntries([...g.children].sort().map((c) => [c, null]));
    children[name] = group;
  }
  const hosts = Object.fromEntries(
    Object.entries(spec.hosts)
      .sort(([a], [b]) => compareText(a, b))
      .map(([h, v]) => [h, Object.keys(v.vars).length ? sortKeys(v.vars) : null]),
  );
  return { all: { hosts, ...(Object.keys(children).length ? { children } : {}) } };
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => compareText(a, b)));
}
