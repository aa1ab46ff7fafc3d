/**
 * fleet inside an operator's own Ansible setup (issue 11): their ansible.cfg
 * (key, remote user, ssh_args, collections, callbacks), a non-root user with
 * sudo (with and without a password), vaulted variables, hosts only reachable
 * through a jump host, a `targets` pattern, and a deep policy folder.
 * Every shape lives in the lab hosts' own namespaces; the machine is unchanged.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { run } from '../../src/io/exec.js';
import { addHiddenHosts, addLoginUser, checkLabEnvironment, removeHiddenHosts, removeLoginUsers, type HiddenNet } from '../../src/lab/index.js';
import { sshCommonArgs } from '../../src/lab/inventory.js';
import { runtimeBase, shortName } from '../../src/engine/runtime-dir.js';
import { fleet, hostResult, onTerminal, why, workDir } from './fleet.js';
import { describeLab, driftSysctl, lab, labHost, resetHost, sshHost } from './helpers.js';

const HIDDEN_SUBNET = '198.18.13.0/24';
const SUDO_PASSWORD = 'lab-sudo-pw-7f3a';
const VAULT_PASSWORD = 'lab-vault-pw-91c2';
const read = async (host: string) => (await sshHost(host, 'sysctl -n net.ipv4.ip_local_reserved_ports')).trim();

/** A folder with files; returns its path. */
function folder(path: string, files: Record<string, string>): string {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(path, name, '..'), { recursive: true });
    writeFileSync(join(path, name), content);
  }
  return path;
}

const RECORD_CALLBACK = `from __future__ import annotations
import os
from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
name: record
type: notification
short_description: appends a line to $ACME_RECORD_FILE at the end of each playbook
description: [a stand-in for ARA and friends]
'''


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'notification'
    CALLBACK_NAME = 'acme.ops.record'
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_stats(self, stats):
        with open(os.environ['ACME_RECORD_FILE'], 'a') as f:
            f.write('recorded\\n')
`;

describeLab('operator setups: their ansible.cfg, sudo, vault, jump hosts, targets, deep folders', () => {
  let project = '';
  let hidden: HiddenNet | undefined;
  const recordFile = join(workDir(), 'callback-record.txt');

  beforeAll(async () => {
    for (const h of ['h1', 'h2', 'h3', 'h6']) await resetHost(h);
    const state = lab();
    await addLoginUser(state, labHost('h1'), { name: 'ops', uid: 4242, sudo: { nopasswd: true } });
    await addLoginUser(state, labHost('h2'), { name: 'ops', uid: 4242, sudo: { password: SUDO_PASSWORD } });
    const tools = await checkLabEnvironment();
    hidden = await addHiddenHosts(state, labHost('h6'), ['x1', 'x2'], HIDDEN_SUBNET, tools.sshd!);

    // The operator's project: key and user only in ansible.cfg (the key by a path relative to it), a
    // collection installed into the project, a callback of theirs enabled, host keys checked.
    project = join(workDir(), 'ops-project');
    const hostsYml = stringify({
      all: {
        vars: { ansible_python_interpreter: '/usr/bin/python3' },
        hosts: { h1: { ansible_host: labHost('h1').address }, h2: { ansible_host: labHost('h2').address } },
      },
    });
    folder(project, {
      'ansible.cfg': [
        '[defaults]',
        'inventory = hosts.yml',
        'private_key_file = keys/operator_ed25519',
        'remote_user = ops',
        'collections_path = ./collections',
        'callbacks_enabled = acme.ops.record',
        '',
        '[ssh_connection]',
        `ssh_args = -o UserKnownHostsFile=${state.knownHosts} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes`,
        '',
      ].join('\n'),
      'hosts.yml': hostsYml,
      'collections/ansible_collections/acme/ops/plugins/callback/record.py': RECORD_CALLBACK,
      'vault-pass': VAULT_PASSWORD,
      'sudo-pass': SUDO_PASSWORD,
    });
    chmodSync(join(project, 'vault-pass'), 0o600);
    chmodSync(join(project, 'sudo-pass'), 0o600);
    mkdirSync(join(project, 'keys'), { recursive: true });
    copyFileSync(state.clientKey, join(project, 'keys/operator_ed25519'));
    chmodSync(join(project, 'keys/operator_ed25519'), 0o600);
    // the same inventory, with h2's sudo password vaulted
    const enc = await run(
      'ansible-vault',
      ['encrypt_string', '--vault-id', `lab@${join(project, 'vault-pass')}`, SUDO_PASSWORD, '--name', 'ansible_become_password'],
      { cwd: project },
    );
    expect(enc.exitCode, enc.stderr).toBe(0);
    const indented = enc.stdout
      .trimEnd()
      .split('\n')
      .map((l) => `      ${l}`)
      .join('\n');
    writeFileSync(
      join(project, 'hosts-vault.yml'),
      `all:\n  vars:\n    ansible_python_interpreter: /usr/bin/python3\n  hosts:\n    h2:\n      ansible_host: ${labHost('h2').address}\n${indented}\n`,
    );
  }, 120_000);

  afterAll(async () => {
    if (hidden) await removeHiddenHosts(hidden);
    for (const h of ['h1', 'h2']) await removeLoginUsers(labHost(h));
    for (const h of ['h1', 'h2', 'h3', 'h6']) await resetHost(h);
  }, 120_000);

  const policyIn = (dir: string, name: string, body: Record<string, unknown>) => {
    const file = join(dir, name);
    writeFileSync(file, stringify({ version: 1, min_ephemeral_ports: 1000, ...body }));
    return file;
  };

  it('a project whose ansible.cfg names the key and the remote user (inventory names neither): check and apply succeed from it, as a non-root user with NOPASSWD sudo', async () => {
    const policy = policyIn(project, 'listen-ports.yaml', { inventory: 'hosts.yml', reserved_ports: '41000-41010', ansible: { become: true } });
    const env = { ACME_RECORD_FILE: recordFile };
    const check = await fleet(['check', policy, '--limit', 'h1', '--json'], env, { cwd: project });
    expect(check.exitCode, why(check)).toBe(1);
    expect(hostResult(check.report, 'h1').verdict).toBe('drift');
    const apply = await fleet(['apply', policy, '--yes', '--json', '--limit', 'h1'], env, { cwd: project });
    expect(apply.exitCode, why(apply)).toBe(0);
    expect(hostResult(apply.report, 'h1')).toMatchObject({ verdict: 'compliant', changed: true });
    expect(await read('h1')).toBe('41000-41010');
    // the operator's own callback, from their collections_path, ran on fleet's runs
    expect(readFileSync(recordFile, 'utf8')).toMatch(/recorded/);
    // the login really is the non-root user: without become the write is refused
    const noBecome = policyIn(project, 'no-become.yaml', { inventory: 'hosts.yml', reserved_ports: '41020', ansible: { become: false } });
    const denied = await fleet(['apply', noBecome, '--yes', '--json', '--limit', 'h1'], env, { cwd: project });
    expect(denied.exitCode, why(denied)).toBe(1);
    expect(hostResult(denied.report, 'h1').verdict).toBe('failed');
    expect(await read('h1')).toBe('41000-41010');
  });

  it('plan --verbose names the ansible.cfg in force and exactly what fleet sets on top (ssh_args appended, not replaced)', async () => {
    const policy = policyIn(project, 'verbose.yaml', { inventory: 'hosts.yml', reserved_ports: '41000-41010', ansible: { become: true } });
    const r = await fleet(['plan', policy, '--limit', 'h1', '--verbose'], { ACME_RECORD_FILE: recordFile }, { cwd: project });
    expect(r.exitCode, why(r)).toBe(0);
    expect(r.stderr).toContain(`Ansible configuration in force: ${join(project, 'ansible.cfg')}`);
    expect(r.stderr).toContain(
      `ANSIBLE_SSH_ARGS=-o UserKnownHostsFile=${lab().knownHosts} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o ControlMaster=auto -o ControlPersist=60s`,
    );
    expect(r.stderr).not.toMatch(/ANSIBLE_(REMOTE_USER|PRIVATE_KEY_FILE|CALLBACKS_ENABLED|COLLECTIONS_PATH)=/);
  });

  it('sudo with a password: check reads without become; apply fails without the password, works with --become-password-file', async () => {
    const policy = policyIn(project, 'sudo-pw.yaml', { inventory: 'hosts.yml', reserved_ports: '42000-42010', ansible: { become: true } });
    const env = { ACME_RECORD_FILE: recordFile };
    // a check that needed sudo would fail here: no password was given
    const check = await fleet(['check', policy, '--limit', 'h2', '--json'], env, { cwd: project });
    expect(check.exitCode, why(check)).toBe(1);
    expect(hostResult(check.report, 'h2').verdict).toBe('drift');
    const noPw = await fleet(['apply', policy, '--yes', '--json', '--limit', 'h2'], env, { cwd: project });
    expect(noPw.exitCode, why(noPw)).toBe(1);
    expect(hostResult(noPw.report, 'h2')).toMatchObject({ verdict: 'failed' });
    expect(hostResult(noPw.report, 'h2').message).toMatch(/sudo password/i);
    const trace = join(workDir(), 'trace-pwfile.jsonl');
    const ok = await fleet(
      ['apply', policy, '--yes', '--json', '--limit', 'h2', '--become-password-file', 'sudo-pass'],
      { ...env, FLEET_TRACE_EXEC: trace },
      { cwd: project },
    );
    expect(ok.exitCode, why(ok)).toBe(0);
    expect(hostResult(ok.report, 'h2').verdict).toBe('compliant');
    expect(await read('h2')).toBe('42000-42010');
    expect(readFileSync(trace, 'utf8')).not.toContain(SUDO_PASSWORD);
    expect(ok.stdout + ok.stderr).not.toContain(SUDO_PASSWORD);
  });

  it('--ask-become-pass prompts on a terminal (pseudo-terminal), without echo; the password is never in argv, output or a file left behind', async () => {
    await driftSysctl('h2', 'net.ipv4.ip_local_reserved_ports', '');
    const policy = policyIn(project, 'sudo-ask.yaml', { inventory: 'hosts.yml', reserved_ports: '42100', ansible: { become: true } });
    const trace = join(workDir(), 'trace-ask.jsonl');
    const r = await onTerminal(
      ['apply', policy, '--yes', '--limit', 'h2', '--ask-become-pass'],
      { 'BECOME password:': SUDO_PASSWORD },
      { FLEET_TRACE_EXEC: trace, ACME_RECORD_FILE: recordFile },
      project,
    );
    expect(r.exitCode, why(r)).toBe(0);
    expect(r.stdout).toContain('BECOME password:');
    expect(r.stdout).not.toContain(SUDO_PASSWORD);
    expect(readFileSync(trace, 'utf8')).not.toContain(SUDO_PASSWORD);
    expect(readFileSync(trace, 'utf8')).toContain('--become-password-file');
    expect(await read('h2')).toBe('42100');
    // the 0600 secret file lived in the private runtime folder and is gone
    const rt = join(runtimeBase(), shortName(join(workDir(), 'state', 'sudo-ask')));
    expect(existsSync(rt) ? readdirSync(rt).filter((n) => n.startsWith('secret-')) : []).toEqual([]);
  });

  it('a vaulted sudo password in the inventory: apply works with --vault-id; without it, exit 3 with the fix', async () => {
    await driftSysctl('h2', 'net.ipv4.ip_local_reserved_ports', '');
    const policy = policyIn(project, 'vaulted.yaml', { inventory: 'hosts-vault.yml', reserved_ports: '42200', ansible: { become: true } });
    const env = { ACME_RECORD_FILE: recordFile };
    const missing = await fleet(['apply', policy, '--yes', '--json'], env, { cwd: project });
    expect(missing.exitCode, why(missing)).toBe(3);
    expect(missing.stderr).toMatch(/vault/i);
    expect(missing.stderr).toContain('--vault-id');
    const ok = await fleet(['apply', policy, '--yes', '--json', '--vault-id', 'lab@vault-pass'], env, { cwd: project });
    expect(ok.exitCode, why(ok)).toBe(0);
    expect(await read('h2')).toBe('42200');
  });

  it('--ask-vault-pass asks on the terminal and the vaulted sudo password works', async () => {
    await driftSysctl('h2', 'net.ipv4.ip_local_reserved_ports', '');
    const policy = policyIn(project, 'vault-ask.yaml', { inventory: 'hosts-vault.yml', reserved_ports: '42300', ansible: { become: true } });
    const trace = join(workDir(), 'trace-vault-ask.jsonl');
    const r = await onTerminal(
      ['apply', policy, '--yes', '--ask-vault-pass'],
      { 'Vault password:': VAULT_PASSWORD },
      { FLEET_TRACE_EXEC: trace, ACME_RECORD_FILE: recordFile },
      project,
    );
    expect(r.exitCode, why(r)).toBe(0);
    expect(r.stdout).not.toContain(VAULT_PASSWORD);
    expect(readFileSync(trace, 'utf8')).not.toContain(VAULT_PASSWORD);
    // the one playbook run got the vault password (as a file); no inventory listing ran before it
    const runs = readFileSync(trace, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { cmd: string; args: string[] });
    expect(runs.filter((e) => e.cmd === 'ansible-playbook' && e.args.includes('--vault-password-file'))).toHaveLength(1);
    expect(runs.filter((e) => e.cmd === 'ansible-inventory' || e.cmd === 'ansible')).toEqual([]);
    expect(await read('h2')).toBe('42300');
  });

  it("hosts behind a jump host (ProxyJump in the user's ssh_args): apply and check succeed; the controller has no route to them", async () => {
    const state = lab();
    const net = hidden!;
    // the controller cannot reach the hidden network: no address, no route (the lab's unreachable route covers it)
    const route = await run('ip', ['route', 'get', net.hosts[0]!.address]);
    expect(route.exitCode !== 0 || /^unreachable/.test(route.stdout), route.stdout + route.stderr).toBe(true);
    const addrs = await run('ip', ['-o', 'addr', 'show']);
    expect(addrs.stdout).not.toContain('198.18.13.');
    const direct = await run(
      'ssh',
      [
        '-o',
        'BatchMode=yes',
        '-o',
        'ConnectTimeout=3',
        '-i',
        state.clientKey,
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        `root@${net.hosts[0]!.address}`,
        'true',
      ],
      { timeoutMs: 20_000 },
    );
    expect(direct.exitCode).not.toBe(0);

    const jumpDir = join(workDir(), 'jump-project');
    const sshConfig = [
      'Host fleet-jump',
      `  HostName ${labHost('h6').address}`,
      '  User root',
      `  IdentityFile ${state.clientKey}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${state.knownHosts}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '',
    ].join('\n');
    const hosts = {
      all: { vars: { ansible_python_interpreter: '/usr/bin/python3' }, hosts: Object.fromEntries(net.hosts.map((h) => [h.name, { ansible_host: h.address }])) },
    };
    folder(jumpDir, {
      ssh_config: sshConfig,
      known_hosts: net.knownHosts,
      'hosts.yml': stringify(hosts),
      'ansible.cfg': [
        '[defaults]',
        'remote_user = root',
        `private_key_file = ${state.clientKey}`,
        '[ssh_connection]',
        `ssh_args = -F ${join(jumpDir, 'ssh_config')} -o ProxyJump=fleet-jump -o UserKnownHostsFile=${join(jumpDir, 'known_hosts')} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes`,
        '',
      ].join('\n'),
    });
    const policy = policyIn(jumpDir, 'hidden.yaml', { inventory: 'hosts.yml', reserved_ports: '43000-43005' });
    const apply = await fleet(['apply', policy, '--yes', '--json'], {}, { cwd: jumpDir });
    expect(apply.exitCode, why(apply)).toBe(0);
    expect(apply.report?.summary).toMatchObject({ hosts: 2, compliant: 2, changed: 2 });
    const check = await fleet(['check', policy, '--json'], {}, { cwd: jumpDir });
    expect(check.exitCode, why(check)).toBe(0);
    expect(check.report?.summary).toMatchObject({ hosts: 2, compliant: 2 });
  });

  it('hosts behind a jump host (ProxyJump in ansible_ssh_common_args, no ansible.cfg at all): apply and check succeed', async () => {
    const state = lab();
    const net = hidden!;
    const dir = join(workDir(), 'jump-inventory');
    const jumpDir = join(workDir(), 'jump-project');
    const common = `-F ${join(jumpDir, 'ssh_config')} -o ProxyJump=fleet-jump -o UserKnownHostsFile=${join(jumpDir, 'known_hosts')} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes`;
    const hosts = {
      all: {
        vars: {
          ansible_user: 'root',
          ansible_ssh_private_key_file: state.clientKey,
          ansible_ssh_common_args: common,
          ansible_python_interpreter: '/usr/bin/python3',
        },
        hosts: Object.fromEntries(net.hosts.map((h) => [h.name, { ansible_host: h.address }])),
      },
    };
    folder(dir, { 'hosts.yml': stringify(hosts) });
    for (const h of net.hosts)
      await run('nsenter', ['-t', String(h.sshdPid), '-n', '--', 'sysctl', '-w', 'net.ipv4.ip_local_reserved_ports='], { write: true });
    const policy = policyIn(dir, 'hidden-common.yaml', { inventory: 'hosts.yml', reserved_ports: '43100' });
    const apply = await fleet(['apply', policy, '--yes', '--json'], {}, { cwd: dir });
    expect(apply.exitCode, why(apply)).toBe(0);
    expect(apply.report?.summary).toMatchObject({ hosts: 2, compliant: 2, changed: 2 });
    const check = await fleet(['check', policy, '--json'], {}, { cwd: dir });
    expect(check.exitCode, why(check)).toBe(0);
  });

  it("targets: 'all:!winhosts' leaves the winhosts group alone, the run exits 0 and the plan says how many were left out", async () => {
    const state = lab();
    const dir = join(workDir(), 'targets-inv');
    const vars = {
      ansible_user: 'root',
      ansible_ssh_private_key_file: state.clientKey,
      ansible_ssh_common_args: sshCommonArgs(state),
      ansible_python_interpreter: '/usr/bin/python3',
    };
    folder(dir, {
      'inventory/linux.yml': stringify({ all: { vars, children: { web: { hosts: { h3: { ansible_host: labHost('h3').address } } } } } }),
      // no such host answers: touching it would make the run fail
      // (a directory inventory ignores *.ini files: Ansible's inventory_ignore_extensions)
      'inventory/windows': '[winhosts]\nwin1 ansible_host=198.18.12.250 ansible_connection=winrm\n',
    });
    const policy = policyIn(dir, 'targets.yaml', { inventory: 'inventory', targets: 'all:!winhosts', reserved_ports: '44000' });
    const plan = await fleet(['plan', policy], {});
    expect(plan.exitCode, why(plan)).toBe(0);
    expect(plan.stdout).toContain('1 host outside targets all:!winhosts left out');
    const apply = await fleet(['apply', policy, '--yes', '--json'], {});
    expect(apply.exitCode, why(apply)).toBe(0);
    expect(apply.report?.hosts.map((h) => h.host)).toEqual(['h3']);
    expect(apply.report?.outsideTargets).toEqual({ pattern: 'all:!winhosts', hosts: ['win1'] });
    expect(await read('h3')).toBe('44000');
  });

  it('a policy in a folder 150 characters deep, state kept next to it: runs succeed (ControlPath stays short)', async () => {
    let dir = join(workDir(), 'deep');
    while (dir.length < 150) dir = join(dir, 'a-rather-long-folder-name-for-ci-workspaces');
    mkdirSync(dir, { recursive: true });
    expect(dir.length).toBeGreaterThanOrEqual(150);
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, stringify({ version: 1, min_ephemeral_ports: 1000, inventory: lab().inventory, reserved_ports: '45000' }));
    // FLEET_STATE_DIR empty: the state dir is <policy folder>/.fleet/policy, as for a user
    const apply = await fleet(['apply', policy, '--yes', '--json', '--limit', 'h3'], { FLEET_STATE_DIR: '' });
    expect(apply.exitCode, why(apply)).toBe(0);
    expect(existsSync(join(dir, '.fleet', 'policy'))).toBe(true);
    const check = await fleet(['check', policy, '--json', '--limit', 'h3'], { FLEET_STATE_DIR: '' });
    expect(check.exitCode, why(check)).toBe(0);
    // the sockets live in the short private folder: <base>/<12 hex>/<10 hex>
    const sockets = join(runtimeBase(), shortName(join(dir, '.fleet', 'policy')));
    expect(sockets.length + 11).toBeLessThan(108);
    expect((await run('stat', ['-c', '%a', sockets])).stdout.trim()).toBe('700');
  });
});
