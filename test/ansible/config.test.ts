import { describe, expect, it } from 'vitest';
import { configCandidates, DEFAULT_SSH_ARGS, describeSettings, fleetSettings, layerSshArgs, parseConfigDump, settingsEnv } from '../../src/ansible/config.js';

describe("configCandidates: Ansible's search order, first existing file wins", () => {
  it('ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg', () => {
    expect(configCandidates({ ANSIBLE_CONFIG: '/x/a.cfg' }, '/p', '/home/u', false)).toEqual([
      '/x/a.cfg',
      '/p/ansible.cfg',
      '/home/u/.ansible.cfg',
      '/etc/ansible/ansible.cfg',
    ]);
    expect(configCandidates({}, '/p', undefined, false)).toEqual(['/p/ansible.cfg', '/etc/ansible/ansible.cfg']);
  });
  it('skips ./ansible.cfg in a world-writable folder, as Ansible does', () => {
    expect(configCandidates({}, '/tmp', '/root', true)).toEqual(['/root/.ansible.cfg', '/etc/ansible/ansible.cfg']);
  });
});

describe('layerSshArgs: append, never replace', () => {
  it.each([
    [undefined, DEFAULT_SSH_ARGS],
    ['-o ProxyJump=bastion', '-o ProxyJump=bastion -o ControlMaster=auto -o ControlPersist=60s'],
    ['-F /p/ssh_config -o ProxyJump=j -o ControlPersist=300s', '-F /p/ssh_config -o ProxyJump=j -o ControlPersist=300s -o ControlMaster=auto'],
    // the user's choice wins: nothing appended that would contradict it
    ['-o ControlMaster=no -o ControlPersist=no', '-o ControlMaster=no -o ControlPersist=no'],
    ['-o controlmaster=auto -oControlPersist=1m', '-o controlmaster=auto -oControlPersist=1m'],
    ['', '-o ControlMaster=auto -o ControlPersist=60s'],
  ])('%j -> %j', (user, expected) => {
    expect(layerSshArgs(user)).toBe(expected);
  });
});

describe('parseConfigDump', () => {
  const dump = [
    { name: 'CALLBACKS_ENABLED', origin: '/p/ansible.cfg', value: ['acme.ops.record'] },
    { name: 'CONFIG_FILE', origin: '', value: '/p/ansible.cfg' },
    { name: 'DEFAULT_FORKS', origin: '/p/ansible.cfg', value: 7 },
    { BECOME_PLUGINS: [] },
    {
      CONNECTION_PLUGINS: [
        { paramiko_ssh: [{ name: 'ssh_args', value: 'nope' }] },
        {
          ssh: [
            { name: 'remote_user', value: 'bob' },
            { name: 'ssh_args', value: '-o ProxyJump=j' },
          ],
        },
      ],
    },
  ];
  it("takes the file in force, forks and the ssh plugin's ssh_args", () => {
    expect(parseConfigDump(dump)).toEqual({ file: '/p/ansible.cfg', forks: 7, sshArgs: '-o ProxyJump=j' });
  });
  it('nothing changed: nothing taken', () => {
    expect(parseConfigDump([{ name: 'CONFIG_FILE', value: null }])).toEqual({});
    expect(parseConfigDump('garbage')).toEqual({});
  });
});

describe('fleetSettings', () => {
  const env = (s: ReturnType<typeof fleetSettings>) => settingsEnv(s, undefined);
  it("structured output on stdout, leaves the user's callbacks, interpreter, keys, vault and become alone", () => {
    const e = env(fleetSettings({ user: {}, hosts: 3 }));
    expect(e.ANSIBLE_STDOUT_CALLBACK).toBe('ansible.posix.jsonl');
    expect(e.ANSIBLE_JSON_INDENT).toBe('0');
    expect(e.ANSIBLE_INVENTORY_UNPARSED_FAILED).toBe('1');
    for (const k of [
      'ANSIBLE_CALLBACKS_ENABLED',
      'ANSIBLE_PYTHON_INTERPRETER',
      'ANSIBLE_PRIVATE_KEY_FILE',
      'ANSIBLE_REMOTE_USER',
      'ANSIBLE_TIMEOUT',
      'ANSIBLE_COLLECTIONS_PATH',
      'ANSIBLE_VAULT_PASSWORD_FILE',
      'ANSIBLE_BECOME_METHOD',
      'ANSIBLE_GATHERING',
    ]) {
      expect(e).not.toHaveProperty(k);
    }
    for (const v of Object.values(e)) expect(typeof v).toBe('string');
  });
  it("forks: the policy's, else the user's, else one per host up to 50", () => {
    expect(env(fleetSettings({ user: { forks: 7 }, hosts: 3, policyForks: 20 })).ANSIBLE_FORKS).toBe('20');
    expect(env(fleetSettings({ user: { forks: 7 }, hosts: 300 })).ANSIBLE_FORKS).toBe('7');
    expect(env(fleetSettings({ user: {}, hosts: 300 })).ANSIBLE_FORKS).toBe('50');
    expect(env(fleetSettings({ user: {}, hosts: 0 })).ANSIBLE_FORKS).toBe('1');
  });
  it("keeps the user's config file in force", () => {
    expect(settingsEnv([], '/p/ansible.cfg')).toEqual({ ANSIBLE_CONFIG: '/p/ansible.cfg' });
    expect(settingsEnv([], undefined)).toEqual({});
  });
  it('--verbose lists exactly the settings fleet sets, and the file in force', () => {
    const s = fleetSettings({ user: { sshArgs: '-o ProxyJump=j' }, hosts: 3, controlPathDir: '/tmp/fleet-0/abc' });
    const text = describeSettings(s, '/p/ansible.cfg').join('\n');
    expect(text).toContain('Ansible configuration in force: /p/ansible.cfg');
    for (const x of s) expect(text).toContain(`${x.env}=${x.value}`);
    expect(text).toContain('ANSIBLE_SSH_ARGS=-o ProxyJump=j -o ControlMaster=auto -o ControlPersist=60s');
  });
});
