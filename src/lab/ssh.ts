/** ssh argv for reaching a lab host as Ansible would (same key, known_hosts, endpoint). */
import { hostEndpoint } from './inventory.js';
import type { LabHost, LabState } from './types.js';

export function sshArgv(state: LabState, host: LabHost, remoteCommand: string): string[] {
  const { address, port } = hostEndpoint(state, host);
  return [
    '-F', 'none',
    '-i', state.clientKey,
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${state.knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=5',
    '-p', String(port),
    `root@${address}`,
    '--',
    remoteCommand,
  ];
}
