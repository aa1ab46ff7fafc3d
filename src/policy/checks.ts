/**
 * Checks across fields of a built Policy: ephemeral capacity (errors),
 * plus warnings for things that are legal but probably not what was meant.
 */
import { DEFAULT_EPHEMERAL, capacity, explainCapacity } from '../ports/capacity.js';
import { difference, format, intersect, range, rangeText, union, type PortRange } from '../ports/portset.js';
import type { FieldPath, Problem } from './diagnostic.js';
import type { Policy, PortRules } from './types.js';

/** The result of cross-field checks. */
export interface CheckResult {
  errors: Problem[];
  warnings: Problem[];
}

interface Level {
  base: FieldPath;
  own: PortRules;
  reservedAll: PortRules['reserved'];
  ephemeral: PortRange;
}

function levels(p: Policy): Level[] {
  const companyEph = p.company.ephemeral ?? DEFAULT_EPHEMERAL;
  const out: Level[] = [{ base: [], own: p.company, reservedAll: p.company.reserved, ephemeral: companyEph }];
  for (const section of ['groups', 'hosts'] as const) {
    for (const [name, own] of Object.entries(p[section])) {
      out.push({ base: [section, name], own, reservedAll: union(p.company.reserved, own.reserved), ephemeral: own.ephemeral ?? companyEph });
    }
  }
  return out;
}

const at = (l: Level): FieldPath => [...l.base, l.own.reserved.length === 0 && l.own.ephemeral ? 'ephemeral_range' : 'reserved_ports'];

function capacityErrors(p: Policy, ls: Level[]): Problem[] {
  const out: Problem[] = [];
  let companyFailed = false;
  for (const l of ls) {
    // A company-wide shortfall repeats in every group and host; report it once unless a level changes the range.
    if (l.base.length > 0 && companyFailed && !l.own.ephemeral) continue;
    const c = capacity(l.reservedAll, l.ephemeral);
    if (c.free >= p.minEphemeralPorts) continue;
    if (l.base.length === 0) companyFailed = true;
    out.push({ path: at(l), message: `too few ephemeral ports left (${c.free}, min_ephemeral_ports is ${p.minEphemeralPorts}): ${explainCapacity(c)}` });
  }
  return out;
}

function levelWarnings(ls: Level[]): Problem[] {
  const out: Problem[] = [];
  for (const l of ls) {
    if (l.own.ephemeral && l.own.ephemeral[0] < 1024) {
      out.push({
        path: [...l.base, 'ephemeral_range'],
        message: `ephemeral range ${rangeText(l.own.ephemeral)} starts below 1024, so outgoing connections can take system ports that services expect to bind`,
      });
    }
    const outside = difference(l.own.reserved, range(l.ephemeral[0], l.ephemeral[1]));
    if (outside.length === 0) continue;
    const verb = outside.length === 1 ? 'lies' : 'lie';
    out.push({
      path: [...l.base, 'reserved_ports'],
      message: `${format(outside)} ${verb} outside the ephemeral range ${rangeText(l.ephemeral)}, so the kernel never hands these ports out today; reserving them has no effect until the ephemeral range grows to include them`,
    });
  }
  return out;
}

/**
 * Pairs of groups (indexes into `names`, first < second) whose reserved ranges
 * touch: one sweep over all ranges sorted by start, instead of intersecting
 * every pair of groups (500 groups made 124,750 intersections).
 */
function touchingPairs(names: string[], p: Policy): [number, number][] {
  const spans = names.flatMap((n, g) => p.groups[n]!.reserved.map(([lo, hi]) => ({ lo, hi, g })));
  spans.sort((a, b) => a.lo - b.lo);
  const pairs = new Set<number>();
  let active: typeof spans = [];
  for (const s of spans) {
    active = active.filter((a) => a.hi >= s.lo);
    for (const a of active) if (a.g !== s.g) pairs.add(Math.min(a.g, s.g) * names.length + Math.max(a.g, s.g));
    active.push(s);
  }
  return [...pairs].sort((x, y) => x - y).map((k) => [Math.floor(k / names.length), k % names.length]);
}

function overlapWarnings(p: Policy): Problem[] {
  const names = Object.keys(p.groups).sort();
  return touchingPairs(names, p).map(([i, j]) => {
    const [a, b] = [names[i]!, names[j]!];
    const both = intersect(p.groups[a]!.reserved, p.groups[b]!.reserved);
    return {
      path: ['groups', b, 'reserved_ports'],
      message: `groups \`${a}\` and \`${b}\` both reserve ${format(both)}; a host in both gets them once, so check the overlap is intended`,
    };
  });
}

/** Cross-field checks; inventory-related ones live in inventory-checks.ts. */
export function checkPolicy(p: Policy): CheckResult {
  const ls = levels(p);
  const empty = ls.every((l) => l.own.reserved.length === 0);
  // exact mode with nothing reserved is how a reservation is retired: every host gets an empty value
  const retire: Problem[] =
    empty && p.mode === 'exact'
      ? [{ path: ['reserved_ports'], message: 'the policy reserves no ports anywhere: in exact mode every host gets an empty reservation (this retires it)' }]
      : [];
  return {
    errors:
      empty && p.mode === 'additive'
        ? [
            {
              path: ['reserved_ports'],
              message:
                'the policy is empty: it reserves no ports anywhere, and in additive mode that changes nothing; set reserved_ports company-wide or under groups/hosts (or use mode: exact to retire a reservation)',
            },
          ]
        : capacityErrors(p, ls),
    warnings: [...retire, ...levelWarnings(ls), ...overlapWarnings(p)],
  };
}
