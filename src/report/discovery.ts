/**
 * `fleet discover --json` (schema/discover.schema.json): the raw observations (host, port, protocol,
 * process) for other tools, plus the proposal. Pure; no timestamps, so the
 * same fleet gives the same document.
 */
import type { HostListeners, Proposal, UnreadHost } from '../plan/propose.js';
import { compareText } from '../ports/order.js';
import { rangeText } from '../ports/portset.js';

export interface DiscoveryHost {
  host: string;
  groups: string[];
  read: boolean;
  /** Current net.ipv4.ip_local_port_range, `lo-hi`; null when unknown. */
  ephemeralRange?: string | null;
  /** Why the host could not be read. */
  reason?: string;
}

export interface DiscoveryObservation {
  host: string;
  proto: 'tcp' | 'udp';
  port: number;
  local: string;
  process: string | null;
  pid: number | null;
  loopback: boolean;
}

export interface DiscoveryDocument {
  command: 'discover';
  version: string;
  /** What named the hosts: `inventory PATH` or `policy PATH`. */
  source: string;
  /** Some targeted hosts could not be read. */
  partial: boolean;
  hosts: DiscoveryHost[];
  /** Every listening socket (TCP LISTEN, UDP UNCONN) of every host read, system ports included. */
  observations: DiscoveryObservation[];
  /** The proposed policy file; null when there was nothing to propose. */
  proposal: string | null;
  /** Problems `fleet validate` finds in the proposal (empty when valid). */
  errors: string[];
  warnings: string[];
}

export function discoveryDocument(input: {
  version: string;
  source: string;
  read: readonly HostListeners[];
  unread: readonly UnreadHost[];
  proposal: Proposal | undefined;
  text: string | null;
  errors: string[];
  warnings: string[];
}): DiscoveryDocument {
  const hosts: DiscoveryHost[] = [
    ...input.read.map((h) => ({ host: h.host, groups: h.groups, read: true, ephemeralRange: h.range ? rangeText(h.range) : null })),
    ...input.unread.map((u) => ({ host: u.host, groups: u.groups, read: false, reason: u.reason })),
  ].sort((a, b) => compareText(a.host, b.host));
  const observations = input.read
    .flatMap((h) =>
      h.listeners.map((l) => ({
        host: h.host,
        proto: l.proto,
        port: l.port,
        local: l.local,
        process: l.process ?? null,
        pid: l.pid ?? null,
        loopback: l.loopback,
      })),
    )
    .sort((a, b) => compareText(a.host, b.host) || a.port - b.port || compareText(a.proto, b.proto) || compareText(a.local, b.local));
  return {
    command: 'discover',
    version: input.version,
    source: input.source,
    partial: input.unread.length > 0,
    hosts,
    observations,
    proposal: input.text,
    errors: input.errors,
    warnings: input.warnings,
  };
}
