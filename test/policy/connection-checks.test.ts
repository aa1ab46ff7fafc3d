// Inline connection settings that would run code on the controller (issue 15 case 4).
import { describe, expect, it } from 'vitest';
import { connectionProblem, sshArgsProblem } from '../../src/policy/connection-checks.js';
import { errorsOf } from './helpers.js';

const inline = (vars: string, extra = '') => `version: 1\nreserved_ports: 5000\ninventory:\n${extra}  hosts:\n    web1:\n${vars}`;

describe('ssh arguments that run or load code on the controller are refused', () => {
  it.each([
    [`-o 'ProxyCommand=sh -c "touch /tmp/x"'`, 'ProxyCommand'],
    ['-o ProxyCommand=nc %h %p', 'ProxyCommand'],
    ['-oproxycommand=nc', 'proxycommand'],
    ['-o "ProxyCommand nc %h %p"', 'ProxyCommand'],
    ['-o PermitLocalCommand=yes -o LocalCommand=id', 'PermitLocalCommand'],
    ['-o LocalCommand=id', 'LocalCommand'],
    ['-o KnownHostsCommand=/bin/id', 'KnownHostsCommand'],
    [`-o 'Match exec "true"'`, 'Match'],
    ['-o Include=/tmp/evil.conf', 'Include'],
    ['-o PKCS11Provider=/tmp/evil.so', 'PKCS11Provider'],
    ['-o SecurityKeyProvider=/tmp/evil.so', 'SecurityKeyProvider'],
  ])('%s', (value, word) => {
    expect(sshArgsProblem('ansible_ssh_common_args', value)).toContain(`ansible_ssh_common_args sets ${word}, which`);
  });

  it.each(['-F /tmp/cfg', '-vF /tmp/cfg', '-I /tmp/lib.so'])('%s (a config file or library flag)', (value) => {
    expect(sshArgsProblem('ansible_ssh_common_args', value)).toMatch(/passes -[FI], which/);
  });

  it.each([
    '-o StrictHostKeyChecking=accept-new',
    '-o ProxyJump=bastion.example.com',
    '-J admin@bastion',
    '-o HostKeyAlias=match',
    '-o UserKnownHostsFile=/dev/null -o ConnectTimeout=5',
    '-C',
  ])('%s is fine', (value) => expect(sshArgsProblem('ansible_ssh_common_args', value)).toBeUndefined());

  it('is reported at the field with file:line:col and says why', () => {
    expect(errorsOf(inline(`      ansible_ssh_common_args: "-o 'ProxyCommand=sh -c \\"touch /tmp/x\\"'"\n`))).toEqual([
      '6:32 inventory.hosts.web1.ansible_ssh_common_args: ansible_ssh_common_args sets ProxyCommand, which runs a command on the controller to open each connection (even on fleet check); set such options in your own ~/.ssh/config or in a source inventory you control, not inline in a policy',
    ]);
  });
});

describe('ansible_connection', () => {
  it('local is refused unless the policy allows it, with how to allow it', () => {
    const [e] = errorsOf(inline('      ansible_connection: local\n'));
    expect(e).toMatch(/^6:27 inventory\.hosts\.web1\.ansible_connection: ansible_connection: local runs the tasks on the controller itself/);
    expect(e).toContain('inventory.allow_local_connection: true');
    expect(errorsOf(inline('      ansible_connection: local\n', '  allow_local_connection: true\n'))).toEqual([]);
  });

  it('ssh and paramiko are fine; other plugins are not inline', () => {
    for (const c of ['ssh', 'paramiko', 'ansible.builtin.ssh']) expect(connectionProblem(c, false)).toBeUndefined();
    expect(connectionProblem('ansible.builtin.local', false)).toContain('controller itself');
    expect(connectionProblem('community.docker.docker', true)).toContain('is not an SSH connection');
  });
});
