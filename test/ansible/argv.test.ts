import { describe, expect, it } from 'vitest';
import { inventoryListArgv, listHostsArgv, parseAnsibleVersion, parseListHosts, playbookArgv, type PlaybookArgs } from '../../src/ansible/argv.js';

const show = (argv: string[]) => argv.join(' ');

describe('playbookArgv', () => {
  const table: [PlaybookArgs, string][] = [
    [{ playbook: 'playbooks/apply.yml' }, 'playbooks/apply.yml'],
    [{ playbook: 'p.yml', limit: 'web:&eu' }, 'p.yml --limit web:&eu'],
    [{ playbook: 'p.yml', limit: '' }, 'p.yml'],
  ];
  it.each(table)('%j -> %s', (input, expected) => {
    expect(show(playbookArgv(input))).toBe(expected);
  });

  it('passes every inventory with -i and vault/become options (file paths) at the end', () => {
    expect(
      playbookArgv({
        playbook: '/s/p.yml',
        inventories: ['/inv/prod.yml', '/s/inventories/fleet.yml'],
        extra: ['--vault-id', 'prod@/k/v', '--become-password-file', '/run/x'],
      }),
    ).toEqual(['/s/p.yml', '-i', '/inv/prod.yml', '-i', '/s/inventories/fleet.yml', '--vault-id', 'prod@/k/v', '--become-password-file', '/run/x']);
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

  it('targets pattern with a --limit and vault options', () => {
    expect(listHostsArgv(['i.yml'], 'all:!winhosts', 'web', ['--vault-id', 'a@b'])).toEqual([
      '-i',
      'i.yml',
      'all:!winhosts',
      '--limit',
      'web',
      '--list-hosts',
      '--vault-id',
      'a@b',
    ]);
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
