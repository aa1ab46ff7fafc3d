// policy/: load + validate the policy: zod checks the shape, the rule functions the values; every problem with file:line:col (pure after the read).
/**
 * A shape-checked policy (zod output, no field problems) -> the domain type.
 * Only called once validation found no errors, so parsing cannot fail here.
 */
import { dirname, resolve } from 'node:path';
import { EMPTY, type PortRange } from '../ports/portset.js';
import { parsePortsValue, parseRangeValue } from './port-values.js';
import type { PolicyInput } from './schema.js';
import type { AnsibleSettings, Become, InlineGroup, InlineHost, InventorySpec, Policy, PortRules } from './types.js';

type LevelInput = { reserved_ports?: unknown; ephemeral_range?: unknown };

function rules(level: LevelInput): PortRules {
  const reserved = level.reserved_ports === undefined ? EMPTY : parsePortsValue(level.reserved_ports).set;
  const ephemeral: PortRange | undefined = level.ephemeral_range === undefined ? undefined : parseRangeValue(level.ephemeral_range).range;
  return ephemeral ? { reserved, ephemeral } : { reserved };
}

function mapValues<T, U>(rec: Record<string, T> | undefined, f: (v: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(rec ?? {}).map(([k, v]) => [k, f(v)]));
}

type InlineInput = Extract<PolicyInput['inventory'], { hosts: unknown }>;

/** Inline inventory, normalised: every host named in a group also appears in `hosts` (as Ansible does). */
function inline(inv: InlineInput): InventorySpec {
  const hosts: Record<string, InlineHost> = mapValues(inv.hosts, (v) => ({ vars: { ...(v ?? {}) } as InlineHost['vars'] }));
  const groups: Record<string, InlineGroup> = mapValues(inv.groups, (g) =>
    Array.isArray(g) ? { hosts: [...g], children: [] } : { hosts: [...(g?.hosts ?? [])], children: [...(g?.children ?? [])] },
  );
  for (const g of Object.values(groups)) for (const h of g.hosts) hosts[h] ??= { vars: {} };
  return { kind: 'inline', hosts, groups };
}

/** Source paths are relative to the policy file's folder, as a reader of the file expects. */
function inventory(inv: PolicyInput['inventory'], file: string): InventorySpec {
  if (typeof inv === 'string') return { kind: 'source', source: resolve(dirname(file), inv) };
  if ('source' in inv) return { kind: 'source', source: resolve(dirname(file), inv.source) };
  return inline(inv);
}

type BecomeInput = NonNullable<PolicyInput['ansible']>['become'];

/** `become: true` is sudo to root for changes only; reads get become only when the policy says so. */
function become(b: BecomeInput): Become | false {
  if (b === false) return false;
  if (b === true) return { reads: false };
  const out: Become = { reads: b.reads };
  if (b.method !== undefined) out.method = b.method;
  if (b.user !== undefined) out.user = b.user;
  return out;
}

/** Build the Policy; `file` is resolved to an absolute path. */
export function buildPolicy(input: PolicyInput, file: string): Policy {
  const a = input.ansible;
  const ansible: AnsibleSettings = { become: become(a?.become ?? false) };
  if (a?.timeout !== undefined) ansible.timeout = a.timeout;
  if (a?.forks !== undefined) ansible.forks = a.forks;
  if (a?.serial !== undefined) ansible.serial = a.serial;
  if (a?.max_fail_percentage !== undefined) ansible.maxFailPercentage = a.max_fail_percentage;
  if (a?.user !== undefined) ansible.user = a.user;
  const allow = input.audit?.allow_ports;
  return {
    file: resolve(file),
    version: 1,
    mode: input.mode,
    company: rules(input),
    minEphemeralPorts: input.min_ephemeral_ports,
    groups: mapValues(input.groups, rules),
    hosts: mapValues(input.hosts, rules),
    inventory: inventory(input.inventory, file),
    targets: input.targets,
    persistFile: input.persist_file,
    ansible,
    audit: { allow: allow === undefined ? EMPTY : parsePortsValue(allow).set },
    ...(input.pull
      ? { pull: { ...(input.pull.mode ? { mode: input.pull.mode } : {}), ...(input.pull.textfile ? { textfile: input.pull.textfile } : {}) } }
      : {}),
  };
}
