/**
 * A Proposal (src/plan/propose.ts) as a policy file: valid for `fleet
 * validate`, YAML 1.1-safe, deterministic (same proposal, same bytes), and
 * commented so a reviewer sees why each entry is there.
 */
import type { YAMLSeq } from 'yaml';
import type { Policy } from '../policy/types.js';
import { compareText } from '../ports/order.js';
import { format, type PortRange } from '../ports/portset.js';
import type { PortUse, Proposal, ProposedEntry, ProposedLevel } from '../plan/propose.js';
import { plural } from '../report/text.js';
import { ansibleDocument } from './yaml.js';

/** What the proposal keeps besides reserved ports. */
export interface ProposalBase {
  /** How the hosts were named, for the header: `inventory inventories/lab.yml` or `policy policy.yaml`. */
  source: string;
  /** The `inventory` field as written: a path relative to the proposal file, or an inline inventory. */
  inventory: string | Record<string, unknown>;
  minEphemeralPorts: number;
  /** Top-level settings carried over from a policy, in file form (mode, ephemeral_range, persist_file, ansible, audit). */
  settings?: Record<string, unknown>;
  /** ephemeral_range per group and per host, carried over from a policy. */
  groupRanges?: Record<string, string>;
  hostRanges?: Record<string, string>;
}

const span = ([lo, hi]: PortRange): string => `${lo}-${hi}`;
/** Comments are one line of plain text whatever a process calls itself. */
const clean = (s: string, max = 160): string => {
  const t = s.replace(/[^\x20-\x7e]/g, '?');
  return t.length > max ? `${t.slice(0, max)}…` : t;
};

/** `tcp python3 on 3/6 hosts (h1, h2, h3)`. */
function describeUse(u: PortUse, levelHosts: number, of: string): string {
  const procs = u.processes.length ? u.processes.map((p) => clean(p, 40)).join(',') : 'process unknown';
  const names = u.hosts.length < levelHosts && u.hosts.length <= 3 ? ` (${u.hosts.join(', ')})` : '';
  const where = levelHosts > 1 ? ` on ${u.hosts.length}/${levelHosts} hosts${of}${names}` : '';
  return `${u.protos.join('+')} ${procs}${where}${u.loopbackOnly ? ', loopback only' : ''}`;
}

function describeEntry(e: ProposedEntry, level: ProposedLevel, of: string): string {
  const n = level.hosts.length;
  const single = e.range[0] === e.range[1] && e.uses.length === 1;
  const parts = single ? [describeUse(e.uses[0]!, n, of)] : e.uses.map((u) => `${u.port} ${describeUse(u, n, of)}`);
  if (e.unused > 0) parts.push(`merged: ${plural(e.unused, 'port')} nobody listens on`);
  if (e.outsideEphemeral.length > 0) {
    const who = n > 1 ? ` on ${e.outsideEphemeral.length}/${n} hosts` : '';
    parts.push(`outside the current ephemeral range${who}: no effect until the range is widened`);
  }
  return clean(parts.join('; '), 400);
}

const entryValue = (e: ProposedEntry): number | string => (e.range[0] === e.range[1] ? e.range[0] : span(e.range));

function header(p: Proposal, base: ProposalBase): string[] {
  const o = p.options;
  const total = p.hostsRead.length + p.unread.length;
  const pct = `${Math.round(o.minShare * 1000) / 10}%`;
  const lines = [
    'Proposed by `fleet discover` from the ports the hosts listen on (TCP listening, UDP bound): review before applying.',
    `Hosts: ${base.source}; ${p.hostsRead.length} of ${total} read.`,
  ];
  if (p.unread.length > 0) {
    lines.push(`PARTIAL: ${plural(p.unread.length, 'host')} could not be read, so ports only they listen on are missing:`);
    for (const u of p.unread) lines.push(`  ${u.host}: ${clean(u.reason.split('\n')[0] ?? '', 160)}`);
  }
  lines.push(
    `Rules: company-wide when listened on by at least ${pct} of the hosts read (--min-share), unless all of them are in one group;`,
    `for a group when on at least ${pct} of its hosts (and 2 or more); otherwise for the host itself.`,
    `Ports at most ${o.mergeGap} apart are merged into one range (--merge-gap): ${plural(p.unusedReserved, 'port')} reserved that nobody listens on.`,
    'Each entry names protocol, processes and the hosts seen.',
  );
  if (p.systemPorts.length > 0) {
    lines.push('Left out, below 1024 (the kernel never hands these out as ephemeral ports):');
    for (const u of p.systemPorts) lines.push(`  ${u.port} ${clean(describeUse(u, p.hostsRead.length, ''))}`);
  }
  if (p.ranges.length > 0) {
    const managed = base.settings?.ephemeral_range !== undefined ? '' : ' (not managed by this policy)';
    lines.push(`Current ephemeral ranges${managed}: ${p.ranges.map((r) => `${r.range} on ${plural(r.hosts, 'host')}`).join(', ')}.`);
  }
  if (p.shortfalls.length > 0) {
    lines.push(`WARNING: these hosts would keep fewer than min_ephemeral_ports ${o.minEphemeralPorts} ephemeral ports:`);
    for (const s of p.shortfalls) lines.push(`  ${s.host}: ${s.free} free in ${span(s.range)}`);
  }
  return lines;
}

function levelData(level: ProposedLevel | undefined, range: string | undefined): Record<string, unknown> {
  return {
    ...(level ? { reserved_ports: level.entries.map(entryValue) } : {}),
    ...(range !== undefined ? { ephemeral_range: range } : {}),
  };
}

function section(levels: Record<string, ProposedLevel>, ranges: Record<string, string> = {}): Record<string, unknown> | undefined {
  const names = [...new Set([...Object.keys(levels), ...Object.keys(ranges)])].sort(compareText);
  return names.length ? Object.fromEntries(names.map((n) => [n, levelData(levels[n], ranges[n])])) : undefined;
}

/** The proposal as policy file text. */
export function renderProposal(p: Proposal, base: ProposalBase): string {
  const { settings = {} } = base;
  const data: Record<string, unknown> = {
    version: 1,
    ...(settings.mode !== undefined ? { mode: settings.mode } : {}),
    inventory: base.inventory,
    ...(settings.ephemeral_range !== undefined ? { ephemeral_range: settings.ephemeral_range } : {}),
    min_ephemeral_ports: base.minEphemeralPorts,
    ...(settings.persist_file !== undefined ? { persist_file: settings.persist_file } : {}),
    ...(settings.targets !== undefined ? { targets: settings.targets } : {}),
    ...(p.company.entries.length ? { reserved_ports: p.company.entries.map(entryValue) } : {}),
  };
  const groups = section(p.groups, base.groupRanges);
  const hosts = section(p.hosts, base.hostRanges);
  if (groups) data.groups = groups;
  if (hosts) data.hosts = hosts;
  if (settings.ansible !== undefined) data.ansible = settings.ansible;
  if (settings.audit !== undefined) data.audit = settings.audit;

  const doc = ansibleDocument(data);
  doc.commentBefore = header(p, base)
    .map((l) => ` ${l}`)
    .join('\n');
  const annotate = (path: string[], level: ProposedLevel, of: string) => {
    const seq = doc.getIn(path, true) as YAMLSeq | undefined;
    level.entries.forEach((e, i) => {
      const node = seq?.items[i] as { comment?: string } | undefined;
      if (node) node.comment = ` ${describeEntry(e, level, of)}`;
    });
  };
  annotate(['reserved_ports'], p.company, '');
  for (const [g, level] of Object.entries(p.groups)) annotate(['groups', g, 'reserved_ports'], level, ` of ${g}`);
  for (const [h, level] of Object.entries(p.hosts)) annotate(['hosts', h, 'reserved_ports'], level, '');
  return doc.toString({ lineWidth: 0 });
}

/** `become` as the policy file writes it: false, true, or { method, user, reads }. */
function becomeField(b: Policy['ansible']['become']): boolean | Record<string, unknown> {
  if (b === false) return false;
  if (b.method === undefined && b.user === undefined && !b.reads) return true;
  return { ...(b.method !== undefined ? { method: b.method } : {}), ...(b.user !== undefined ? { user: b.user } : {}), ...(b.reads ? { reads: true } : {}) };
}

/** Settings of an existing policy to keep in a proposal made from its hosts, in file form. */
export function baseFromPolicy(policy: Policy, source: string, inventory: ProposalBase['inventory']): ProposalBase {
  const a = policy.ansible;
  const ansible = {
    ...(a.forks !== undefined ? { forks: a.forks } : {}),
    ...(a.serial !== undefined ? { serial: a.serial } : {}),
    ...(a.maxFailPercentage !== undefined ? { max_fail_percentage: a.maxFailPercentage } : {}),
    become: becomeField(a.become),
    ...(a.user !== undefined ? { user: a.user } : {}),
    ...(a.timeout !== undefined ? { timeout: a.timeout } : {}),
  };
  const ranges = (levels: Policy['groups']) => Object.fromEntries(Object.entries(levels).flatMap(([n, r]) => (r.ephemeral ? [[n, span(r.ephemeral)]] : [])));
  return {
    source,
    inventory,
    minEphemeralPorts: policy.minEphemeralPorts,
    settings: {
      mode: policy.mode,
      ...(policy.company.ephemeral ? { ephemeral_range: span(policy.company.ephemeral) } : {}),
      persist_file: policy.persistFile,
      ...(policy.targets !== 'all' ? { targets: policy.targets } : {}),
      ansible,
      ...(policy.audit.allow.length ? { audit: { allow_ports: format(policy.audit.allow) } } : {}),
    },
    groupRanges: ranges(policy.groups),
    hostRanges: ranges(policy.hosts),
  };
}

/** An inline inventory in policy-file form (`inventory: {hosts, groups}`), sorted. */
export function inlineInventoryField(spec: Extract<Policy['inventory'], { kind: 'inline' }>): Record<string, unknown> {
  const sorted = <T>(o: Record<string, T>) => Object.entries(o).sort(([a], [b]) => compareText(a, b));
  const hosts = Object.fromEntries(sorted(spec.hosts).map(([h, v]) => [h, Object.keys(v.vars).length ? Object.fromEntries(sorted(v.vars)) : null]));
  const groups = Object.fromEntries(
    sorted(spec.groups).map(([g, d]) => [
      g,
      { ...(d.hosts.length ? { hosts: [...d.hosts].sort(compareText) } : {}), ...(d.children.length ? { children: [...d.children].sort(compareText) } : {}) },
    ]),
  );
  return { hosts, ...(Object.keys(groups).length ? { groups } : {}) };
}
