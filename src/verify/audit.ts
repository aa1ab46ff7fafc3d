// verify/: read-back -> observed state -> boot prediction -> verdict per host; outcome.ts maps Ansible's outcome to results (pure).
import { compareText } from '../ports/order.js';
import { has, union, type PortSet } from '../ports/portset.js';
import type { Socket } from './readback.js';
import type { AuditFinding } from './types.js';

/** Socket states that mean "a service is bound here": TCP listening, UDP bound and unconnected. */
export const LISTENING: ReadonlySet<string> = new Set(['LISTEN', 'UNCONN']);
/** TIME-WAIT sockets have no owner and go away by themselves. */
const IGNORED = new Set(['TIME-WAIT']);

/**
 * The listen-port audit for one host:
 * (a) services listening outside the policy's listen ranges (ports < 1024 and
 *     the policy's allow-list excepted);
 * (b) sockets on a reserved port that no listener owns: outgoing connections
 *     that took the port before it was reserved, and will block a service
 *     restart until they close.
 */
export function auditSockets(sockets: readonly Socket[], listenRanges: PortSet, allow: PortSet): AuditFinding[] {
  const findings: AuditFinding[] = [];
  const permitted = union(listenRanges, allow);
  const listeningPorts = new Set(sockets.filter((s) => LISTENING.has(s.state)).map((s) => `${s.proto}/${s.localPort}`));
  const seen = new Set<string>();
  for (const s of sockets) {
    const proc = s.process ? ` by ${s.process}` : '';
    if (LISTENING.has(s.state)) {
      if (s.localPort < 1024 || has(permitted, s.localPort)) continue;
      const key = `L/${s.proto}/${s.localPort}/${s.process ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      findings.push({
        kind: 'listener_outside_policy',
        proto: s.proto,
        port: s.localPort,
        local: s.local,
        ...(s.process ? { process: s.process } : {}),
        message: `${s.proto} port ${s.localPort} is listened on${proc} outside the policy's listen ranges`,
      });
    } else if (!IGNORED.has(s.state) && has(listenRanges, s.localPort) && !listeningPorts.has(`${s.proto}/${s.localPort}`)) {
      findings.push({
        kind: 'reserved_port_in_use',
        proto: s.proto,
        port: s.localPort,
        local: s.local,
        peer: s.peer,
        ...(s.process ? { process: s.process } : {}),
        message: `${s.proto} ${s.local} -> ${s.peer}${proc} holds reserved port ${s.localPort} without listening on it; a service binding ${s.localPort} fails until it closes`,
      });
    }
  }
  return findings.sort((a, b) => a.port - b.port || compareText(a.kind, b.kind));
}
