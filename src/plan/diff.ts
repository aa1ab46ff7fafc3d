/**
 * What changes between two revisions of a policy, host by host, without
 * looking at any host: the desired sets (ports added and removed), the
 * ephemeral ports left (capacity before -> after), a managed port range, and
 * hosts the plan newly refuses. Pure: the caller plans both revisions.
 */
import type { Policy } from '../policy/types.js';
import { compareNatural } from '../ports/order.js';
import { difference, format, rangeText, size } from '../ports/portset.js';
import type { HostPlan } from './desired.js';

/** One host whose desired state differs between the two revisions. */
export interface HostDiff {
  host: string;
  /** `added`/`removed`: the host is only in the new/old inventory. */
  change: 'changed' | 'added' | 'removed';
  /** Desired reserved ports, canonical; undefined when the host is not in that revision. */
  before?: string;
  after?: string;
  /** Ports the new revision reserves that the old did not, and the reverse. */
  add: string;
  remove: string;
  /** Number of ports in `add` and `remove`. */
  addCount: number;
  removeCount: number;
  /** Ephemeral ports left for outgoing connections under each revision. */
  freeBefore?: number;
  freeAfter?: number;
  rangeBefore?: string;
  rangeAfter?: string;
  /** Why the plan refuses the host under that revision. */
  refusedBefore?: string;
  refusedAfter?: string;
}

/** A policy-wide setting that differs (mode, persist_file, min_ephemeral_ports). */
export interface SettingDiff {
  setting: string;
  before: string;
  after: string;
}

export interface PolicyDiff {
  old: string;
  new: string;
  settings: SettingDiff[];
  /** Hosts whose desired state changes, in natural order. */
  hosts: HostDiff[];
  /** Hosts in both revisions with the same desired state. */
  unchanged: number;
}

const rangeOf = (p: HostPlan | undefined) => (p?.ephemeral ? rangeText(p.ephemeral) : undefined);

/** Compare two revisions' plans host by host. */
export function diffPlans(oldP: { label: string; policy: Policy; plans: HostPlan[] }, newP: { label: string; policy: Policy; plans: HostPlan[] }): PolicyDiff {
  const settings: SettingDiff[] = [];
  const setting = (name: string, a: string | number, b: string | number) => {
    if (a !== b) settings.push({ setting: name, before: String(a), after: String(b) });
  };
  setting('mode', oldP.policy.mode, newP.policy.mode);
  setting('persist_file', oldP.policy.persistFile, newP.policy.persistFile);
  setting('min_ephemeral_ports', oldP.policy.minEphemeralPorts, newP.policy.minEphemeralPorts);

  const before = new Map(oldP.plans.map((p) => [p.host, p]));
  const after = new Map(newP.plans.map((p) => [p.host, p]));
  const names = [...new Set([...before.keys(), ...after.keys()])].sort(compareNatural);
  const hosts: HostDiff[] = [];
  let unchanged = 0;
  for (const host of names) {
    const a = before.get(host);
    const b = after.get(host);
    const empty: never[] = [];
    const addSet = difference(b?.desired ?? empty, a?.desired ?? empty);
    const removeSet = difference(a?.desired ?? empty, b?.desired ?? empty);
    const add = format(addSet);
    const remove = format(removeSet);
    const same = a && b && add === '' && remove === '' && rangeOf(a) === rangeOf(b) && a.refused === b.refused;
    if (same) {
      unchanged++;
      continue;
    }
    hosts.push({
      host,
      change: !a ? 'added' : !b ? 'removed' : 'changed',
      ...(a ? { before: format(a.desired) } : {}),
      ...(b ? { after: format(b.desired) } : {}),
      add,
      remove,
      addCount: size(addSet),
      removeCount: size(removeSet),
      ...(a ? { freeBefore: a.capacity.free } : {}),
      ...(b ? { freeAfter: b.capacity.free } : {}),
      ...(rangeOf(a) ? { rangeBefore: rangeOf(a) } : {}),
      ...(rangeOf(b) ? { rangeAfter: rangeOf(b) } : {}),
      ...(a?.refused ? { refusedBefore: a.refused } : {}),
      ...(b?.refused ? { refusedAfter: b.refused } : {}),
    });
  }
  return { old: oldP.label, new: newP.label, settings, hosts, unchanged };
}

/** True when applying the new revision would change something. */
export function hasChanges(d: PolicyDiff): boolean {
  return d.hosts.length > 0 || d.settings.length > 0;
}

/** Short reasons for one host's change, e.g. `+1001 ports, -1 port, port range 32768-60999 → 1024-65000`. */
export function diffNote(h: HostDiff): string {
  const parts: string[] = [];
  if (h.change === 'added') parts.push('new host');
  if (h.change === 'removed') parts.push('host no longer in the inventory');
  if (h.addCount) parts.push(`+${h.addCount} port${h.addCount === 1 ? '' : 's'}`);
  if (h.removeCount) parts.push(`-${h.removeCount} port${h.removeCount === 1 ? '' : 's'}`);
  if (h.rangeBefore !== h.rangeAfter) parts.push(`port range ${h.rangeBefore ?? 'unmanaged'} → ${h.rangeAfter ?? 'unmanaged'}`);
  if (h.refusedAfter && h.refusedAfter !== h.refusedBefore) parts.push(`refused: ${h.refusedAfter}`);
  if (h.refusedBefore && !h.refusedAfter) parts.push('no longer refused');
  return parts.join(', ');
}
