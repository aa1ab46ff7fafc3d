/**
 * Living with other writers of net.ipv4.ip_local_reserved_ports (kubespray's
 * 99-sysctl.conf, tuned, cloud-init). fleet's persisted file records which
 * ports fleet itself put there (`# fleet owns: 5000-10000`), so an additive
 * apply can remove a port the policy dropped while every port another tool
 * reserves stays.
 */
import { difference, EMPTY, format, parseKernel, union, type PortSet } from '../ports/portset.js';
import { bootOrder, displayPath, kernelValue, parseSysctlText } from './boot.js';
import type { Observed } from './readback.js';

export const OWNED_PREFIX = '# fleet owns:';

/** The comment line naming the ports fleet owns on a host (`none` for the empty set). */
export function ownedLine(owned: PortSet): string {
  return `${OWNED_PREFIX} ${owned.length ? format(owned) : 'none'}`;
}

/** The ports the persisted file says fleet owns; undefined when the file has no valid line (written by an older fleet, or edited). */
export function parseOwned(text: string): PortSet | undefined {
  let owned: PortSet | undefined;
  for (const raw of text.split(/\r\n|[\n\r]/)) {
    if (!raw.startsWith(OWNED_PREFIX)) continue;
    const v = raw.slice(OWNED_PREFIX.length).trim();
    if (v === 'none') owned = EMPTY;
    else {
      const p = parseKernel(v);
      owned = p.ok && v !== '' ? p.value : undefined;
    }
  }
  return owned;
}

const RESERVED_KEY = 'net/ipv4/ip_local_reserved_ports';
const DEBIAN_LINK = '/etc/sysctl.d/99-sysctl.conf';

/**
 * Ports that boot files other than fleet's own set for the key (files masked
 * by a same-named file in a higher folder never apply and are left out).
 * On Debian /etc/sysctl.d/99-sysctl.conf is a link to /etc/sysctl.conf: when
 * that is fleet's persist_file, the link is fleet's file too.
 */
export function otherFilesReserve(obs: Observed, persistPath: string): PortSet {
  const ownText = obs.persist.state === 'present' ? obs.persist.text : undefined;
  const sets: PortSet[] = [];
  for (const f of bootOrder(obs.files)) {
    const path = displayPath(f);
    if (f.state !== 'content' || path === persistPath) continue;
    if (persistPath === '/etc/sysctl.conf' && path === DEBIAN_LINK && f.text === ownText) continue;
    for (const l of parseSysctlText(f.text ?? '')) {
      if (l.key !== RESERVED_KEY || l.value === null) continue;
      const k = kernelValue('reserved', l.value);
      const p = k === undefined ? undefined : parseKernel(k);
      if (p?.ok) sets.push(p.value);
    }
  }
  return union(...sets);
}

/** What an additive apply reads from a host to compute its target. */
export interface HostHolds {
  runtime: PortSet;
  /** Set by other boot files: those ports are another tool's, whatever fleet owned. */
  otherFiles: PortSet;
  /** What fleet's file says fleet owns; undefined when unknown (nothing is then taken away). */
  owned?: PortSet;
}

export function holdsOf(obs: Observed, persistPath: string): HostHolds {
  const owned = obs.persist.state === 'present' ? parseOwned(obs.persist.text) : undefined;
  return { runtime: obs.reserved, otherFiles: otherFilesReserve(obs, persistPath), ...(owned ? { owned } : {}) };
}

/**
 * Ports fleet put on the host that the policy no longer wants and no other
 * boot file sets: an additive apply removes them from runtime and its file.
 */
export function droppedPorts(desired: PortSet, holds: HostHolds): PortSet {
  if (!holds.owned) return EMPTY;
  return difference(difference(holds.owned, desired), holds.otherFiles);
}
