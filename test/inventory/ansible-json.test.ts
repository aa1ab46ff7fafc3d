import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parseAnsibleInventory } from '../../src/inventory/ansible-json.js';
import type { Inventory } from '../../src/inventory/types.js';
import { onPath, quietAnsible } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';
import { DEEP_TREE_GROUPS } from '../fixtures/inventory/deep-tree.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/inventory/${name}`, import.meta.url));
const HAS_ANSIBLE_INVENTORY = await onPath('ansible-inventory');

/** ansible-inventory --list of deep-tree.yml (ansible-core 2.14), kept as recorded. */
const deepTree = JSON.parse(readFileSync(fixture('deep-tree.json'), 'utf8')) as unknown;

const groupsOf = (inv: Inventory) => Object.fromEntries(inv.hosts.map((h) => [h.name, h.groups]));

describe('parseAnsibleInventory on a recorded deep tree', () => {
  const inv = parseAnsibleInventory(deepTree, 'inventories/deep-tree.yml');

  it('lists every host once, sorted', () => {
    expect(inv.hosts.map((h) => h.name)).toEqual(['db-1', 'edge-eu-1', 'lonely.example.com', 'stg-1', 'web-eu-1', 'web-eu-2', 'web-us-1']);
  });

  it('gives every host its direct groups and all their ancestors, sorted, without all/ungrouped', () => {
    expect(groupsOf(inv)).toEqual(DEEP_TREE_GROUPS);
  });

  it('follows a group with two parents (web_eu under web and region_eu)', () => {
    const h = inv.hosts.find((x) => x.name === 'web-eu-2')!;
    expect(h.groups).toContain('web');
    expect(h.groups).toContain('region_eu');
    expect(h.groups).toContain('prod');
  });

  it('carries hostvars (connection variables) through', () => {
    expect(inv.hosts.find((x) => x.name === 'web-eu-2')!.vars).toEqual({
      ansible_host: '198.18.1.12',
      ansible_port: 2222,
      ansible_user: 'deploy',
      http_port: 8080,
    });
    expect(inv.hosts.find((x) => x.name === 'lonely.example.com')!.vars).toMatchObject({ ansible_host: '198.18.9.9' });
  });

  it('names every group, sorted, including one with no hosts, never all/ungrouped', () => {
    expect(inv.groups).toEqual(['backup', 'db', 'empty_group', 'eu_edge', 'monitoring', 'prod', 'region_eu', 'staging', 'web', 'web_eu', 'web_us']);
    expect(inv.source).toBe('inventories/deep-tree.yml');
  });

  it('is independent of the key order of the JSON', () => {
    const shuffled = Object.fromEntries(Object.entries(deepTree as Record<string, unknown>).reverse());
    expect(parseAnsibleInventory(shuffled, 'x')).toEqual(parseAnsibleInventory(deepTree, 'x'));
  });
});

describe('parseAnsibleInventory edge cases', () => {
  it('a host only in hostvars still appears, with no groups', () => {
    const inv = parseAnsibleInventory({ _meta: { hostvars: { h9: { a: 1 } } }, all: { children: ['ungrouped'] } }, 's');
    expect(inv.hosts).toEqual([{ name: 'h9', groups: [], vars: { a: 1 } }]);
  });

  it('a host without hostvars gets empty vars', () => {
    const inv = parseAnsibleInventory({ all: { children: ['web'] }, web: { hosts: ['w1'] } }, 's');
    expect(inv.hosts).toEqual([{ name: 'w1', groups: ['web'], vars: {} }]);
  });

  it('a cycle in children does not loop', () => {
    const inv = parseAnsibleInventory({ a: { children: ['b'], hosts: ['h'] }, b: { children: ['a'] } }, 's');
    expect(inv.hosts[0]!.groups).toEqual(['a', 'b']);
  });

  it('an empty inventory gives no hosts', () => {
    expect(parseAnsibleInventory({ _meta: { hostvars: {} }, all: { children: ['ungrouped'] } }, 's')).toEqual({ hosts: [], groups: [], source: 's' });
  });

  it.each([null, 'text', 42])('refuses %j', (json) => {
    expect(() => parseAnsibleInventory(json, 's')).toThrow(/no JSON object/);
  });

  it('ignores non-object top-level values', () => {
    const inv = parseAnsibleInventory({ web: { hosts: ['w1'] }, junk: 'x', nothing: null }, 's');
    expect(inv.groups).toEqual(['web']);
  });
});

describe('parseAnsibleInventory on real ansible-inventory output', () => {
  it('matches the recorded fixture when run on its YAML source', async (ctx) => {
    if (!HAS_ANSIBLE_INVENTORY) ctx.skip('ansible-inventory is not on PATH');
    const r = await execa('ansible-inventory', ['-i', fixture('deep-tree.yml'), '--list'], { env: quietAnsible, cwd: tmpdir(), reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(groupsOf(parseAnsibleInventory(JSON.parse(r.stdout), 'live'))).toEqual(DEEP_TREE_GROUPS);
  });

  it('reads an INI inventory written in a temp dir', async (ctx) => {
    if (!HAS_ANSIBLE_INVENTORY) ctx.skip('ansible-inventory is not on PATH');
    const dir = tempDir('inv');
    const file = join(dir, 'hosts.ini');
    writeFileSync(
      file,
      [
        'solo ansible_host=10.0.0.1',
        '',
        '[app_a]',
        'app1 ansible_host=10.0.1.1 ansible_port=2200',
        '',
        '[app_b]',
        'app1',
        'app2',
        '',
        '[app:children]',
        'app_a',
        'app_b',
        '',
        '[dc1:children]',
        'app',
        '',
      ].join('\n'),
    );
    const r = await execa('ansible-inventory', ['-i', file, '--list'], { env: quietAnsible, cwd: tmpdir(), reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const inv = parseAnsibleInventory(JSON.parse(r.stdout), file);
    expect(groupsOf(inv)).toEqual({ app1: ['app', 'app_a', 'app_b', 'dc1'], app2: ['app', 'app_b', 'dc1'], solo: [] });
    expect(inv.hosts.find((h) => h.name === 'app1')!.vars).toMatchObject({ ansible_host: '10.0.1.1', ansible_port: 2200 });
    expect(inv.groups).toEqual(['app', 'app_a', 'app_b', 'dc1']);
  });
});
