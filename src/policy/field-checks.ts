/**
 * The rule pass: the one place port values (kernel rules), host and group
 * names (Ansible and shell safety) and inline host variable strings are
 * checked, by the rule functions of port-values.ts, names.ts and
 * connection-checks.ts. zod checks only the shape around them (schema.ts
 * carries these rules as JSON Schema metadata, never as checks), so every
 * problem is found once. The walk is defensive: it runs next to zod even when
 * the shape is wrong, and every problem is reported at once.
 */
import type { FieldPath, Problem } from './diagnostic.js';
import { connectionProblem, SSH_ARG_KEYS, sshArgsProblem } from './connection-checks.js';
import { hostVarProblem, nameProblem } from './names.js';
import { parsePortsValue, parseRangeValue } from './port-values.js';
import { NON_STRING_HOST_VARS } from './schema.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const entries = (v: unknown) => (isRecord(v) ? Object.entries(v) : []);

function portFields(level: unknown, base: FieldPath, out: Problem[]): void {
  if (!isRecord(level)) return;
  if ('reserved_ports' in level) {
    for (const p of parsePortsValue(level.reserved_ports).problems) out.push({ path: [...base, 'reserved_ports', ...p.path], message: p.message });
  }
  if ('ephemeral_range' in level) {
    for (const p of parseRangeValue(level.ephemeral_range).problems) out.push({ path: [...base, 'ephemeral_range', ...p.path], message: p.message });
  }
}

function names(kind: 'group' | 'host', list: unknown, base: FieldPath, out: Problem[]): void {
  if (!Array.isArray(list)) return;
  list.forEach((n, i) => {
    const m = typeof n === 'string' ? nameProblem(kind, n) : undefined;
    if (m) out.push({ path: [...base, i], message: m });
  });
}

/** Run all field checks over the raw document. */
export function checkFields(data: unknown): Problem[] {
  const out: Problem[] = [];
  portFields(data, [], out);
  if (!isRecord(data)) return out;
  for (const section of ['groups', 'hosts'] as const) {
    const kind = section === 'groups' ? 'group' : 'host';
    for (const [name, level] of entries(data[section])) {
      const m = nameProblem(kind, name);
      if (m) out.push({ path: [section, name], message: m, at: 'key' });
      portFields(level, [section, name], out);
    }
  }
  if (isRecord(data.audit) && 'allow_ports' in data.audit) {
    for (const p of parsePortsValue(data.audit.allow_ports).problems) out.push({ path: ['audit', 'allow_ports', ...p.path], message: p.message });
  }
  const inv = data.inventory;
  if (!isRecord(inv)) return out;
  for (const [host, vars] of entries(inv.hosts)) {
    const m = nameProblem('host', host);
    if (m) out.push({ path: ['inventory', 'hosts', host], message: m, at: 'key' });
    for (const [k, v] of entries(vars)) {
      // a string where a number or boolean belongs is zod's type error, not a content problem
      if (typeof v !== 'string' || NON_STRING_HOST_VARS.has(k)) continue;
      const bad =
        hostVarProblem(v, k) ??
        (SSH_ARG_KEYS.has(k) ? sshArgsProblem(k, v) : undefined) ??
        (k === 'ansible_connection' ? connectionProblem(v, inv.allow_local_connection === true) : undefined);
      if (bad) out.push({ path: ['inventory', 'hosts', host, k], message: bad });
    }
  }
  for (const [group, def] of entries(inv.groups)) {
    const m = nameProblem('group', group);
    if (m) out.push({ path: ['inventory', 'groups', group], message: m, at: 'key' });
    names('host', def, ['inventory', 'groups', group], out);
    if (isRecord(def)) {
      names('host', def.hosts, ['inventory', 'groups', group, 'hosts'], out);
      names('group', def.children, ['inventory', 'groups', group, 'children'], out);
    }
  }
  return out;
}
