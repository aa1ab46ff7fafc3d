import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { cleanupAfterSignal, whileLocked } from '../engine/guard.js';
import { openSession, readHosts, type HostRead, type Session } from '../engine/session.js';
import { ExitCode, FleetError } from '../errors.js';
import { setReadOnly } from '../io/exec.js';
import { writeFileAtomic } from '../io/files.js';
import { planHosts } from '../plan/desired.js';
import { isEmptyProposal, proposePolicy, type HostListeners, type Proposal, type UnreadHost } from '../plan/propose.js';
import { formatDiagnostic, parsePolicyText, DEFAULT_MIN_EPHEMERAL_PORTS, DEFAULT_PERSIST_FILE, type Policy } from '../policy/index.js';
import { EMPTY, format, type PortRange } from '../ports/portset.js';
import { plural } from '../report/text.js';
import { baseFromPolicy, inlineInventoryField, renderProposal, type ProposalBase } from '../render/proposal.js';
import { discoveryDocument } from '../report/discovery.js';
import { VERSION } from '../version.js';
import { listenersOf } from '../verify/listeners.js';
import { signalExit } from './exit-codes.js';
import { printJson, warn } from './output.js';
import { Progress } from './progress.js';
import { loadPolicyForRun } from './targets.js';

interface DiscoverOptions {
  inventory?: string;
  out?: string;
  minShare: string;
  mergeGap: string;
  json?: boolean;
}

/** `50%` or `0.5` -> 0.5; anything outside (0, 1] is a usage error. */
export function parseShare(text: string): number {
  const pct = /^(\d{1,3}(?:\.\d+)?)%$/.exec(text);
  const value = pct ? Number(pct[1]) / 100 : /^(?:0?\.\d+|[01](?:\.\d+)?)$/.test(text) ? Number(text) : NaN;
  if (!(value > 0 && value <= 1)) throw new FleetError(`--min-share ${text}: write a share of hosts like 50% or 0.5 (above 0, at most 100%)`, ExitCode.invalid);
  return value;
}

export function parseGap(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new FleetError(`--merge-gap ${text}: write a number of ports from 0 to 65535`, ExitCode.invalid);
  return Number(text);
}

export async function run(file: string | undefined, opts: DiscoverOptions): Promise<number> {
  setReadOnly(true);
  const minShare = parseShare(opts.minShare);
  const mergeGap = parseGap(opts.mergeGap);
  if (!file && !opts.inventory) throw new FleetError('discover needs hosts: give -i INVENTORY or a POLICY whose inventory to read', ExitCode.invalid);
  const out = opts.out === undefined ? undefined : resolve(opts.out);
  if (file && out === resolve(file))
    throw new FleetError(`--out ${opts.out} would overwrite the policy it reads; write the proposal elsewhere and compare`, ExitCode.invalid);
  const policy = file ? await loadPolicyForRun(file, opts.json) : inventoryOnly(resolve(opts.inventory!), out ?? resolve('discover.yaml'));
  // Read with an empty policy: no host is refused, every targeted host is read.
  const readPolicy: Policy = { ...policy, company: { reserved: EMPTY }, groups: {}, hosts: {}, minEphemeralPorts: 0 };
  const label = file ?? opts.inventory!;
  const s = await openSession(readPolicy, label, opts.inventory ? { inventory: opts.inventory } : {});
  return await whileLocked(
    s,
    'discover',
    async (signal) => {
      const progress = new Progress('discover', s.plans.length);
      const reads = await readHosts(s, { audit: true, onEvent: progress.events('read') });
      progress.finish();
      const sig = signal();
      if (sig) {
        await cleanupAfterSignal(s);
        return signalExit(sig)!;
      }
      const source = file ? `policy ${file}` : `inventory ${opts.inventory}`;
      const base = proposalBase(policy, Boolean(file), source, s, out, opts.inventory);
      return finish(
        reads,
        { minShare, mergeGap, minEphemeralPorts: policy.minEphemeralPorts, managedRanges: file ? managedRanges(policy, s) : {} },
        base,
        out,
        opts,
      );
    },
    warn,
  );
}

/** A policy shell around a bare inventory: fleet's defaults; `anchor` places its state folder (.fleet/). */
function inventoryOnly(source: string, anchor: string): Policy {
  return {
    file: anchor,
    version: 1,
    mode: 'exact',
    company: { reserved: EMPTY },
    minEphemeralPorts: DEFAULT_MIN_EPHEMERAL_PORTS,
    groups: {},
    hosts: {},
    inventory: { kind: 'source', source },
    targets: 'all',
    persistFile: DEFAULT_PERSIST_FILE,
    ansible: { become: false },
    audit: { allow: EMPTY },
  };
}

/** The ephemeral range the policy manages for each host (company, group or host level). */
function managedRanges(policy: Policy, s: Session): Record<string, PortRange> {
  const strip = (levels: Policy['groups']) =>
    Object.fromEntries(Object.entries(levels).map(([n, r]) => [n, { reserved: EMPTY, ...(r.ephemeral ? { ephemeral: r.ephemeral } : {}) }]));
  const rangesOnly: Policy = {
    ...policy,
    company: { ...policy.company, reserved: EMPTY },
    groups: strip(policy.groups),
    hosts: strip(policy.hosts),
    minEphemeralPorts: 0,
  };
  return Object.fromEntries(planHosts(rangesOnly, s.inventory).plans.flatMap((p) => (p.ephemeral ? [[p.host, p.ephemeral]] : [])));
}

/**
 * The inventory field as the proposal file must say it: an absolute -i stays
 * absolute; otherwise relative to where the file goes (stdout: the current folder).
 */
function proposalBase(policy: Policy, fromPolicy: boolean, source: string, s: Session, out: string | undefined, given: string | undefined): ProposalBase {
  const inv = s.policy.inventory;
  const path = (src: string) => (given !== undefined && isAbsolute(given) ? src : relative(out ? dirname(out) : process.cwd(), src) || '.');
  const inventory = inv.kind === 'inline' ? inlineInventoryField(inv) : path(inv.source);
  return fromPolicy ? baseFromPolicy(policy, source, inventory) : { source, inventory, minEphemeralPorts: policy.minEphemeralPorts };
}

/**
 * What the read gave, host by host. Uses only `observed.sockets`,
 * `observed.range` and the read verdict from readHosts (the `--audit` read).
 */
export function observations(reads: readonly HostRead[]): { read: HostListeners[]; unread: UnreadHost[] } {
  const read: HostListeners[] = [];
  const unread: UnreadHost[] = [];
  for (const r of reads) {
    const { host, groups } = r.plan;
    if (r.observed?.sockets) {
      read.push({ host, groups, ...(r.observed.range ? { range: r.observed.range } : {}), listeners: listenersOf(r.observed.sockets) });
    } else {
      const reason = r.observed ? '`ss` is not installed on the host' : `${r.result.verdict}: ${r.result.message ?? r.result.verdict}`;
      unread.push({ host, groups, reason });
    }
  }
  return { read, unread };
}

async function finish(
  reads: readonly HostRead[],
  options: Parameters<typeof proposePolicy>[2],
  base: ProposalBase,
  out: string | undefined,
  opts: DiscoverOptions,
): Promise<number> {
  const { read, unread } = observations(reads);
  const proposal: Proposal = proposePolicy(read, unread, options);
  const empty = isEmptyProposal(proposal);
  const text = empty ? null : renderProposal(proposal, base);
  const checked = text === null ? { errors: [], warnings: [] } : parsePolicyText(text, out ?? resolve('proposal.yaml'));
  const errors = checked.errors.map(formatDiagnostic);
  const warnings: string[] = [];
  if (unread.length)
    warnings.push(
      `partial: ${unread.length} of ${reads.length} hosts could not be read: ${unread.map((u) => `${u.host} (${u.reason.split('\n')[0]})`).join(', ')}`,
    );
  for (const f of proposal.shortfalls)
    warnings.push(`${f.host} would keep ${f.free} ephemeral ports free in ${f.range[0]}-${f.range[1]}, below min_ephemeral_ports ${options.minEphemeralPorts}`);
  if (empty) warnings.push(`no host read listens on a port at or above 1024: nothing to reserve, no policy proposed`);
  if (errors.length) warnings.push(`the proposal does not pass fleet validate; edit it before use:\n  ${errors.join('\n  ')}`);

  if (text !== null && out) {
    await writeFileAtomic(out, text);
    process.stderr.write(`fleet: wrote ${opts.out}\n`);
  }
  if (opts.json) {
    printJson(discoveryDocument({ version: VERSION, source: base.source, read, unread, proposal: empty ? undefined : proposal, text, errors, warnings }));
  } else if (text !== null && !out) {
    process.stdout.write(text);
  }
  const company = format(proposal.company.entries.map((e) => e.range)) || 'nothing';
  const additions = `additions for ${plural(Object.keys(proposal.groups).length, 'group')} and ${plural(Object.keys(proposal.hosts).length, 'host')}`;
  process.stderr.write(
    `discover: ${read.length}/${reads.length} hosts read; proposed company-wide ${company}, ${additions}; merges reserve ${plural(proposal.unusedReserved, 'port')} nobody listens on\n`,
  );
  for (const w of warnings) warn(w);
  return unread.length > 0 || empty || errors.length > 0 ? ExitCode.drift : ExitCode.ok;
}
