/**
 * `fleet discover`'s decision: which listen ports a first policy reserves, and
 * at which level (company, group, host). Pure: observations in, a proposal as
 * data out; src/render/proposal.ts writes it as a policy file.
 *
 * Rules, in order, for each port at or above 1024 listened on by a host read:
 * - company-wide when listened on by at least `minShare` of the hosts read,
 *   unless every one of those hosts is in one group that is not the whole
 *   fleet (then it is that group's port, however large the group);
 * - otherwise a group's, for each group where at least `minShare` of the
 *   group's hosts read (and at least two of them) listen on it, largest
 *   coverage first, as long as a group adds a host not yet covered;
 * - otherwise (the hosts left) a host's own.
 * Ports below 1024 are never proposed: the kernel does not hand them out as
 * ephemeral ports unless the range is moved below 1024.
 * Then, per level, ports at most `mergeGap` apart become one range, and a
 * port already covered by a wider level is dropped from the narrower one.
 */
import { capacity, DEFAULT_EPHEMERAL } from '../ports/capacity.js';
import { compareText } from '../ports/order.js';
import { difference, fromPorts, rangeText, size, union, type PortRange, type PortSet } from '../ports/portset.js';
import type { Listener } from '../verify/listeners.js';

/** Ports below this are left out: the kernel's ephemeral range never starts lower by default. */
export const SYSTEM_PORT_LIMIT = 1024;

/** A host that was read, with its listeners and its current ephemeral range. */
export interface HostListeners {
  host: string;
  groups: string[];
  /** Current net.ipv4.ip_local_port_range; absent when it could not be parsed. */
  range?: PortRange;
  listeners: Listener[];
}

/** A targeted host whose sockets could not be read, with why. */
export interface UnreadHost {
  host: string;
  groups: string[];
  reason: string;
}

export interface ProposeOptions {
  /** Share of hosts (0 < s <= 1) a port must be listened on to be proposed company-wide or for a group. */
  minShare: number;
  /** Ports at most this many unused ports apart are merged into one range. */
  mergeGap: number;
  minEphemeralPorts: number;
  /** The ephemeral range a policy manages for a host, when it manages one. */
  managedRanges?: Readonly<Record<string, PortRange>>;
}

/** One port as seen on the hosts of one level. */
export interface PortUse {
  port: number;
  /** Hosts listening on it, sorted. */
  hosts: string[];
  /** Process names, sorted; empty when ss could not see the owner. */
  processes: string[];
  protos: ('tcp' | 'udp')[];
  /** Every socket on it is bound to a loopback address. */
  loopbackOnly: boolean;
}

/** One entry of a level's reserved_ports: a port or a merged range. */
export interface ProposedEntry {
  range: PortRange;
  /** The listened ports inside the range, counted over the level's hosts. */
  uses: PortUse[];
  /** Ports inside the range that no host read listens on: the cost of merging. */
  unused: number;
  /** Hosts of the level whose current ephemeral range (when known) does not hold the whole entry. */
  outsideEphemeral: string[];
}

/** The hosts a level applies to (among those read), and its entries. */
export interface ProposedLevel {
  hosts: string[];
  entries: ProposedEntry[];
}

/** A host that would keep fewer auto-assignable ports than min_ephemeral_ports. */
export interface Shortfall {
  host: string;
  free: number;
  range: PortRange;
}

export interface Proposal {
  options: ProposeOptions;
  hostsRead: string[];
  unread: UnreadHost[];
  company: ProposedLevel;
  /** By group name, sorted. */
  groups: Record<string, ProposedLevel>;
  /** By host name, sorted. */
  hosts: Record<string, ProposedLevel>;
  /** Listened ports below 1024, left out, counted over the hosts read. */
  systemPorts: PortUse[];
  /** Ports reserved by merges that nobody listens on, over every entry. */
  unusedReserved: number;
  shortfalls: Shortfall[];
  /** Current ephemeral ranges seen (`lo-hi`, or `unknown`) and on how many hosts. */
  ranges: { range: string; hosts: number }[];
}

const sortText = (xs: Iterable<string>): string[] => [...new Set(xs)].sort(compareText);

/** count/total >= share, without float surprises (0.3 * 10 is 3.0000000000000004). */
export function reachesShare(count: number, total: number, share: number): boolean {
  return total > 0 && count >= Math.ceil(share * total - 1e-9);
}

/** Usage of every listened port over the given hosts. */
function usage(hosts: readonly HostListeners[]): Map<number, PortUse> {
  const acc = new Map<number, { hosts: Set<string>; processes: Set<string>; protos: Set<'tcp' | 'udp'>; loopbackOnly: boolean }>();
  for (const h of hosts) {
    for (const l of h.listeners) {
      const u = acc.get(l.port) ?? { hosts: new Set(), processes: new Set(), protos: new Set(), loopbackOnly: true };
      u.hosts.add(h.host);
      if (l.process !== undefined) u.processes.add(l.process);
      u.protos.add(l.proto);
      u.loopbackOnly &&= l.loopback;
      acc.set(l.port, u);
    }
  }
  const out = new Map<number, PortUse>();
  for (const [port, u] of [...acc].sort((a, b) => a[0] - b[0])) {
    out.set(port, { port, hosts: sortText(u.hosts), processes: sortText(u.processes), protos: [...u.protos].sort(compareText), loopbackOnly: u.loopbackOnly });
  }
  return out;
}

/** Which level each port goes to: company, groups, hosts. */
function assign(read: readonly HostListeners[], uses: Map<number, PortUse>, minShare: number) {
  const all = read.map((h) => h.host);
  const members = new Map<string, string[]>();
  for (const h of read) for (const g of h.groups) members.set(g, [...(members.get(g) ?? []), h.host]);
  const groupNames = sortText(members.keys());
  const company: number[] = [];
  const groups = new Map<string, number[]>();
  const hosts = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, k: string, p: number) => m.set(k, [...(m.get(k) ?? []), p]);
  for (const u of uses.values()) {
    if (u.port < SYSTEM_PORT_LIMIT) continue;
    const seen = new Set(u.hosts);
    const confined = groupNames.some((g) => members.get(g)!.length < all.length && u.hosts.every((h) => members.get(g)!.includes(h)));
    if (!confined && reachesShare(u.hosts.length, all.length, minShare)) {
      company.push(u.port);
      continue;
    }
    const candidates = groupNames
      .map((g) => ({ g, size: members.get(g)!.length, hit: members.get(g)!.filter((h) => seen.has(h)) }))
      .filter((c) => c.hit.length >= 2 && reachesShare(c.hit.length, c.size, minShare))
      .sort((a, b) => b.hit.length - a.hit.length || a.size - b.size || compareText(a.g, b.g));
    const covered = new Set<string>();
    for (const c of candidates) {
      if (c.hit.every((h) => covered.has(h))) continue;
      push(groups, c.g, u.port);
      for (const h of c.hit) covered.add(h);
    }
    for (const h of u.hosts) if (!covered.has(h)) push(hosts, h, u.port);
  }
  return { company, groups, hosts, members };
}

/** Ports at most `gap` apart become one range. */
export function mergePorts(ports: PortSet, gap: number): PortSet {
  const out: [number, number][] = [];
  for (const [lo, hi] of ports) {
    const last = out[out.length - 1];
    if (last && lo - last[1] - 1 <= gap) last[1] = hi;
    else out.push([lo, hi]);
  }
  return out;
}

function contains(outer: PortRange, [lo, hi]: PortRange): boolean {
  return outer[0] <= lo && hi <= outer[1];
}

/** The entries of one level: its ports merged, annotated with their use over the level's hosts. */
function level(ports: PortSet, levelHosts: readonly HostListeners[], listened: PortSet, gap: number): ProposedLevel {
  const uses = usage(levelHosts);
  const entries = mergePorts(ports, gap).map((range): ProposedEntry => {
    const inside = [...uses.values()].filter((u) => u.port >= range[0] && u.port <= range[1]);
    return {
      range,
      uses: inside,
      unused: size(difference([range], listened)),
      outsideEphemeral: levelHosts.filter((h) => h.range !== undefined && !contains(h.range, range)).map((h) => h.host),
    };
  });
  return { hosts: levelHosts.map((h) => h.host), entries };
}

const setOf = (l: ProposedLevel | undefined): PortSet => union(...(l?.entries ?? []).map((e) => [e.range]));

/** Propose reserved ports from what the hosts listen on. Same input, same proposal. */
export function proposePolicy(readHosts: readonly HostListeners[], unread: readonly UnreadHost[], options: ProposeOptions): Proposal {
  const read = [...readHosts].sort((a, b) => compareText(a.host, b.host));
  const uses = usage(read);
  const listened = fromPorts(uses.keys());
  const { company, groups, hosts, members } = assign(read, uses, options.minShare);
  const byName = new Map(read.map((h) => [h.host, h]));
  const pick = (names: readonly string[]) => names.map((n) => byName.get(n)!);

  const companyLevel = level(fromPorts(company), read, listened, options.mergeGap);
  const companySet = setOf(companyLevel);
  const groupLevels: Record<string, ProposedLevel> = {};
  for (const g of sortText(groups.keys())) {
    const ports = difference(fromPorts(groups.get(g)!), companySet);
    if (ports.length) groupLevels[g] = level(ports, pick(members.get(g)!), listened, options.mergeGap);
  }
  const hostLevels: Record<string, ProposedLevel> = {};
  for (const h of sortText(hosts.keys())) {
    const wider = union(companySet, ...byName.get(h)!.groups.map((g) => setOf(groupLevels[g])));
    const ports = difference(fromPorts(hosts.get(h)!), wider);
    if (ports.length) hostLevels[h] = level(ports, pick([h]), listened, options.mergeGap);
  }

  const levels = [companyLevel, ...Object.values(groupLevels), ...Object.values(hostLevels)];
  return {
    options,
    hostsRead: read.map((h) => h.host),
    unread: [...unread].sort((a, b) => compareText(a.host, b.host)),
    company: companyLevel,
    groups: groupLevels,
    hosts: hostLevels,
    systemPorts: [...uses.values()].filter((u) => u.port < SYSTEM_PORT_LIMIT),
    unusedReserved: levels.reduce((n, l) => n + l.entries.reduce((m, e) => m + e.unused, 0), 0),
    shortfalls: shortfalls(read, unread, { company: companySet, groups: groupLevels, hosts: hostLevels }, options),
    ranges: rangesSeen(read),
  };
}

/** Every host (read or not) whose free ephemeral ports would fall below the floor under the proposal. */
function shortfalls(
  read: readonly HostListeners[],
  unread: readonly UnreadHost[],
  p: { company: PortSet; groups: Record<string, ProposedLevel>; hosts: Record<string, ProposedLevel> },
  options: ProposeOptions,
): Shortfall[] {
  const all = [...read, ...unread.map((u) => ({ host: u.host, groups: u.groups, range: undefined }))].sort((a, b) => compareText(a.host, b.host));
  const out: Shortfall[] = [];
  for (const h of all) {
    const reserved = union(p.company, ...h.groups.map((g) => setOf(p.groups[g])), setOf(p.hosts[h.host]));
    const range = options.managedRanges?.[h.host] ?? h.range ?? DEFAULT_EPHEMERAL;
    const free = capacity(reserved, range).free;
    if (free < options.minEphemeralPorts) out.push({ host: h.host, free, range });
  }
  return out;
}

function rangesSeen(read: readonly HostListeners[]): { range: string; hosts: number }[] {
  const count = new Map<string, number>();
  for (const h of read) {
    const r = h.range ? rangeText(h.range) : 'unknown';
    count.set(r, (count.get(r) ?? 0) + 1);
  }
  return [...count].map(([range, hosts]) => ({ range, hosts })).sort((a, b) => b.hosts - a.hosts || compareText(a.range, b.range));
}

/** Whether the proposal reserves anything at all (an empty policy is not valid). */
export function isEmptyProposal(p: Proposal): boolean {
  return p.company.entries.length === 0 && Object.keys(p.groups).length === 0 && Object.keys(p.hosts).length === 0;
}
