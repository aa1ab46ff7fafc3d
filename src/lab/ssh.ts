/** ssh argv for reaching a lab host as Ansible would (same key, known_hosts, endpoint). */
import { hostEndpoint } from './inventory.js';
import type { LabHost, LabState } from './types.js';

/** The one set of ssh options for lab hosts: the lab's known_hosts only, strict, the lab key only. */
export function sshOptions(state: Pick<LabState, 'knownHosts'>): [string, string][] {
  return [
    ['UserKnownHostsFile', state.knownHosts],
    ['GlobalKnownHostsFile', '/dev/null'],
    ['StrictHostKeyChecking', 'yes'],
    ['IdentitiesOnly', 'yes'],
  ];
}

export function sshArgv(state: LabState, host: LabHost, remoteCommand: string): string[] {
  const { address, port } = hostEndpoint(state, host);
  return [
    '-F',
    'none',
    '-i',
    state.clientKey,
    ...sshOptions(state).flatMap(([k, v]) => ['-o', `${k}=${v}`]),
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=5',
    '-p',
    String(port),
    `root@${address}`,
    '--',
    remoteCommand,
  ];
}
