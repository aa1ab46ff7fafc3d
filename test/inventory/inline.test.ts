import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parseAnsibleInventory } from '../../src/inventory/ansible-json.js';
import { inlineInventory, inlineInventoryDoc } from '../../src/inventory/inline.js';
import type { InventorySpec } from '../../src/policy/types.js';
import { parsePolicyText } from '../../src/policy/parse.js';
import { toAnsibleYaml } from '../../src/render/yaml.js';
import { onPath, quietAnsible } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';

type Inline = Extract<InventorySpec, { kind: 'inline' }>;

const HAS_ANSIBLE_INVENTORY = await onPath('ansible-inventory');

/** web -> web_eu -> hosts; db hosts; a host in two groups; a host in none. */
const spec: Inline = {
  kind: 'inline',
  hosts: {
    'web-eu-1': { vars: { ansible_host: '198.18.1.11', ansible_port: 2222 } },
    'web-eu-2': { vars: { ansible_host: '198.18.1.12' } },
    'web-us-1': { vars: {} },
    'db-1': { vars: { ansible_user: 'root', ansible_become: true } },
    solo: { vars: { ansible_host: '198.18.9.9' } },
  },
  groups: {
    web: { hosts: [], children: ['web_eu', 'web_us'] },
    web_eu: { hosts: ['web-eu-2', 'web-eu-1'], children: [] },
    web_us: { hosts: ['web-us-1'], children: [] },
    db: { hosts: ['db-1'], children: [] },
    monitored: { hosts: ['db-1', 'web-eu-1'], children: [] },
    prod: { hosts: [], children: ['web', 'db'] },
  },
};

const EXPECTED_GROUPS = {
  'db-1': ['db', 'monitored', 'prod'],
  solo: [],
  'web-eu-1': ['monitored', 'prod', 'web', 'web_eu'],
  'web-eu-2': ['prod', 'web', 'web_eu'],
  'web-us-1': ['prod', 'web', 'web_us'],
};

describe('inlineInventory', () => {
  const inv = inlineInventory(spec, 'policy.yaml (inline inventory)');

  it('gives the same structure as ansible-inventory: ancestors included, sorted', () => {
    expect(Object.fromEntries(inv.hosts.map((h) => [h.name, h.groups]))).toEqual(EXPECTED_GROUPS);
    expect(inv.hosts.map((h) => h.name)).toEqual(['db-1', 'solo', 'web-eu-1', 'web-eu-2', 'web-us-1']);
    expect(inv.groups).toEqual(['db', 'monitored', 'prod', 'web', 'web_eu', 'web_us']);
    expect(inv.source).toBe('policy.yaml (inline inventory)');
  });

  it("keeps each host's connection variables", () => {
    expect(inv.hosts.find((h) => h.name === 'web-eu-1')!.vars).toEqual({ ansible_host: '198.18.1.11', ansible_port: 2222 });
    expect(inv.hosts.find((h) => h.name === 'db-1')!.vars).toEqual({ ansible_user: 'root', ansible_become: true });
    expect(inv.hosts.find((h) => h.name === 'web-us-1')!.vars).toEqual({});
  });

  it('does not share the vars objects with the spec', () => {
    const h = inv.hosts.find((x) => x.name === 'solo')!;
    h.vars.extra = 1;
    expect(spec.hosts.solo!.vars).not.toHaveProperty('extra');
  });

  it('works from a parsed policy (a host named only in a group is a host too)', () => {
    const r = parsePolicyText(
      [
        'version: 1',
        'reserved_ports: 40000-40099',
        'inventory:',
        '  hosts:',
        '    a: { ansible_host: 10.0.0.1 }',
        '  groups:',
        '    g1: [a, b]',
        '    top: { children: [g1] }',
        '',
      ].join('\n'),
      '/tmp/policy.yaml',
    );
    expect(r.errors).toEqual([]);
    const p = r.policy!;
    if (p.inventory.kind !== 'inline') throw new Error('expected inline');
    const i = inlineInventory(p.inventory, 'x');
    expect(Object.fromEntries(i.hosts.map((h) => [h.name, h.groups]))).toEqual({ a: ['g1', 'top'], b: ['g1', 'top'] });
  });
});

describe('inlineInventoryDoc', () => {
  it('is an Ansible YAML inventory: hosts with vars under all, groups as children, all sorted', () => {
    expect(inlineInventoryDoc(spec)).toEqual({
      all: {
        hosts: {
          'db-1': { ansible_become: true, ansible_user: 'root' },
          solo: { ansible_host: '198.18.9.9' },
          'web-eu-1': { ansible_host: '198.18.1.11', ansible_port: 2222 },
          'web-eu-2': { ansible_host: '198.18.1.12' },
          'web-us-1': null,
        },
        children: {
          db: { hosts: { 'db-1': null } },
          monitored: { hosts: { 'db-1': null, 'web-eu-1': null } },
          prod: { children: { db: null, web: null } },
          web: { children: { web_eu: null, web_us: null } },
          web_eu: { hosts: { 'web-eu-1': null, 'web-eu-2': null } },
          web_us: { hosts: { 'web-us-1': null } },
        },
      },
    });
  });

  it('key order is sorted (deterministic output)', () => {
    const doc = inlineInventoryDoc(spec) as { all: { hosts: object; children: Record<string, { hosts?: object }> } };
    expect(Object.keys(doc.all.hosts)).toEqual(['db-1', 'solo', 'web-eu-1', 'web-eu-2', 'web-us-1']);
    expect(Object.keys(doc.all.children)).toEqual(['db', 'monitored', 'prod', 'web', 'web_eu', 'web_us']);
    expect(Object.keys(doc.all.children.web_eu!.hosts!)).toEqual(['web-eu-1', 'web-eu-2']);
    expect(Object.keys((doc.all.hosts as Record<string, object>)['db-1']!)).toEqual(['ansible_become', 'ansible_user']);
  });

  it('has no children key without groups', () => {
    expect(inlineInventoryDoc({ kind: 'inline', hosts: { a: { vars: {} } }, groups: {} })).toEqual({ all: { hosts: { a: null } } });
  });

  it('an empty group is an empty mapping', () => {
    expect(inlineInventoryDoc({ kind: 'inline', hosts: {}, groups: { later: { hosts: [], children: [] } } })).toEqual({
      all: { hosts: {}, children: { later: {} } },
    });
  });

  it('round-trips through real ansible-inventory to the same hosts, groups and vars', async (ctx) => {
    if (!HAS_ANSIBLE_INVENTORY) ctx.skip('ansible-inventory is not on PATH');
    const dir = tempDir('inline');
    const file = join(dir, 'hosts.yml');
    writeFileSync(file, toAnsibleYaml(inlineInventoryDoc(spec), 'test'));
    const r = await execa('ansible-inventory', ['-i', file, '--list'], { env: quietAnsible, cwd: dir, reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const viaAnsible = parseAnsibleInventory(JSON.parse(r.stdout), 'x');
    const direct = inlineInventory(spec, 'x');
    expect(viaAnsible.hosts).toEqual(direct.hosts);
    expect(viaAnsible.groups).toEqual(direct.groups);
  });
});
