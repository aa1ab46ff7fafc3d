/**
 * The listening sockets of one host, from the `ss` read the audit uses: what
 * `fleet discover` counts. Pure.
 */
import { compareText } from '../ports/order.js';
import { LISTENING } from './audit.js';
import type { Socket } from './readback.js';

/** One bound service socket: TCP in LISTEN, or UDP bound and unconnected (UNCONN). */
export interface Listener {
  proto: 'tcp' | 'udp';
  port: number;
  /** Local address as ss prints it, e.g. `0.0.0.0:7001`, `[::1]:631`, `127.0.0.53%lo:53`. */
  local: string;
  /** Process name (ss's first user of the socket); absent when ss could not see it (not root). */
  process?: string;
  pid?: number;
  /** Bound to a loopback address only (127.0.0.0/8, ::1). */
  loopback: boolean;
}

/** Address part of `addr:port`, without brackets or `%interface`. */
function address(local: string): string {
  const host = local.slice(0, Math.max(0, local.lastIndexOf(':')));
  return host.replace(/^\[/, '').replace(/\]$/, '').replace(/%.*$/, '');
}

export function isLoopback(local: string): boolean {
  const a = address(local).toLowerCase();
  return a.startsWith('127.') || a === '::1' || a.startsWith('::ffff:127.');
}

/** `python3[1234]` (parseSockets' form) -> name and pid. */
function splitProcess(p: string | undefined): { process?: string; pid?: number } {
  if (p === undefined) return {};
  const m = /^(.*)\[(\d+)\]$/.exec(p);
  return m ? { process: m[1]!, pid: Number(m[2]) } : { process: p };
}

/** The listeners among a host's sockets, one per (proto, local address, process), sorted. */
export function listenersOf(sockets: readonly Socket[]): Listener[] {
  const seen = new Map<string, Listener>();
  for (const s of sockets) {
    if (!LISTENING.has(s.state) || s.localPort < 1) continue;
    const l: Listener = { proto: s.proto, port: s.localPort, local: s.local, ...splitProcess(s.process), loopback: isLoopback(s.local) };
    seen.set(`${l.proto} ${l.local} ${l.process ?? ''} ${l.pid ?? ''}`, l);
  }
  return [...seen.values()].sort(
    (a, b) =>
      a.port - b.port ||
      compareText(a.proto, b.proto) ||
      compareText(a.local, b.local) ||
      compareText(a.process ?? '', b.process ?? '') ||
      (a.pid ?? 0) - (b.pid ?? 0),
  );
}
