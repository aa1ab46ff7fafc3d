import { describe, expect, it } from 'vitest';
import { ansibleEnv, inventoryListArgv, listHostsArgv, parseAnsibleVersion, parseListHosts, playbookArgv, type PlaybookArgs } from '../../src/ansible/argv.js';

const show = (argv: string[]) => argv.join(' ');

describe('playbookArgv', () => {
  const table: [PlaybookArgs, string][] = [
    [{ playbook: 'playbooks/apply.yml' }, 'playbooks/apply.yml'],
    [{ playbook: 'playbooks/check.yml', check: true }, 'playbooks/check.yml --check'],
    [{ playbook: 'p.yml', diff: true }, 'p.yml --diff'],
    [{ playbook: 'p.yml', check: true, diff: true }, 'p.yml --check --diff'],
    [{ playbook: 'p.yml', limit: 'web:&eu' }, 'p.yml --limit web:&eu'],
    [{ playbook: 'p.yml', limit: 'web', check: true, diff: true }, 'p.yml --limit web --check --diff'],
    [{ playbook: 'p.yml', limit: '', check: false, diff: false }, 'p.yml'],
  ];
  it.each(table)('%j -> %s', (input, expected) => {
    expect(show(playbookArgv(input))).toBe(expected);
  });

  it('keeps a limit with spaces or shell characters as one argument', () => {
    expect(playbookArgv({ playbook: 'p.yml', limit: 'a b;rm -rf /' })).toEqual(['p.yml', '--limit', 'a b;rm -rf /']);
  });
});

describe('listHostsArgv', () => {
  const table: [readonly string[], string, string[]][] = [
    [['inv.yml'], 'all', ['-i', 'inv.yml', 'all', '--list-hosts']],
    [['inventories/hosts.yml', 'inventories/fleet.yml'], 'web:!db', ['-i', 'inventories/hosts.yml', '-i', 'inventories/fleet.yml', 'web:!db', '--list-hosts']],
    [[], 'fleet_targets', ['fleet_targets', '--list-hosts']],
  ];
  it.each(table)('%j %s -> %j', (inv, pattern, expected) => {
    expect(listHostsArgv(inv, pattern)).toEqual(expected);
  });
});

describe('inventoryListArgv', () => {
  it.each([
    ['/etc/ansible/hosts', '-i /etc/ansible/hosts --list'],
    ['inv dir/aws_ec2.yml', '-i inv dir/aws_ec2.yml --list'],
  ])('%s -> %s', (src, expected) => {
    expect(show(inventoryListArgv(src))).toBe(expected);
    expect(inventoryListArgv(src)).toHaveLength(3);
    expect(inventoryListArgv(src)[1]).toBe(src);
  });
});

describe('ansibleEnv', () => {
  it('asks for one JSON event per line and nothing else on stdout', () => {
    const env = ansibleEnv(undefined);
    expect(env.ANSIBLE_STDOUT_CALLBACK).toBe('ansible.posix.jsonl');
    expect(env.ANSIBLE_JSON_INDENT).toBe('0');
    // empty, not absent: other enabled callbacks would print into stdout
    expect(env).toHaveProperty('ANSIBLE_CALLBACKS_ENABLED', '');
    expect(env.ANSIBLE_NOCOLOR).toBe('1');
    expect(env.ANSIBLE_FORCE_COLOR).toBe('0');
  });

  it('makes a missing inventory an error and writes no retry files', () => {
    const env = ansibleEnv(undefined);
    expect(env.ANSIBLE_INVENTORY_UNPARSED_FAILED).toBe('1');
    expect(env.ANSIBLE_RETRY_FILES_ENABLED).toBe('0');
  });

  it('loads the stdout callback for ad-hoc ansible too', () => {
    expect(ansibleEnv(undefined).ANSIBLE_LOAD_CALLBACK_PLUGINS).toBe('1');
  });

  it('points at the config only when one is given', () => {
    expect(ansibleEnv(undefined)).not.toHaveProperty('ANSIBLE_CONFIG');
    expect(ansibleEnv('').ANSIBLE_CONFIG).toBeUndefined();
    expect(ansibleEnv('/tmp/p/ansible.cfg').ANSIBLE_CONFIG).toBe('/tmp/p/ansible.cfg');
  });

  it('every value is a string (execa env)', () => {
    for (const v of Object.values(ansibleEnv('/x/ansible.cfg'))) expect(typeof v).toBe('string');
  });
});

describe('parseListHosts', () => {
  it.each([
    ['  hosts (3):\n    h1\n    h2\n    web-eu-1.example.com\n', ['h1', 'h2', 'web-eu-1.example.com']],
    ['  hosts (0):\n', []],
    ['', []],
    ['  hosts (2):\r\n    a\r\n    b\r\n', ['a', 'b']],
    ['  hosts (1):\n\n    only\n\n', ['only']],
  ])('%j -> %j', (stdout, expected) => {
    expect(parseListHosts(stdout)).toEqual(expected);
  });

  it('keeps a host literally named like the header word', () => {
    expect(parseListHosts('  hosts (1):\n    hosts\n')).toEqual(['hosts']);
  });
});

describe('parseAnsibleVersion', () => {
  it.each([
    ['ansible-playbook [core 2.14.18]\n  config file = None\n', [2, 14, 18]],
    ['ansible [core 2.17.0]', [2, 17, 0]],
    ['ansible-playbook [core 2.16.3rc1]', [2, 16, 3]],
    ['ansible-playbook 2.9.6', undefined],
    ['', undefined],
  ] as const)('%j -> %j', (stdout, expected) => {
    expect(parseAnsibleVersion(stdout)).toEqual(expected);
  });
});
