import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../src/policy/load.js';
import { parsePolicyText } from '../../src/policy/parse.js';
import { lines } from './helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/policies/${name}`, import.meta.url));

describe('good policies', () => {
  it('inline inventory: groups, children, implicit hosts', async () => {
    const { policy, warnings } = await loadPolicy(fixture('inline-inventory.yaml'));
    expect(lines(warnings)).toEqual([]);
    expect(policy.company.reserved).toEqual([
      [40000, 40099],
      [45000, 45010],
      [45100, 45100],
    ]);
    expect(policy.inventory).toEqual({
      kind: 'inline',
      hosts: {
        web1: { vars: { ansible_host: '198.18.0.11', ansible_port: 22, ansible_user: 'root' } },
        web2: { vars: { ansible_host: '198.18.0.12' } },
        db1: { vars: {} },
        db2: { vars: {} }, // named only in a group: Ansible creates it, so do we
      },
      groups: {
        web: { hosts: ['web1', 'web2'], children: [] },
        db: { hosts: ['db1', 'db2'], children: [] },
        all_servers: { hosts: [], children: ['web', 'db'] },
      },
    });
    expect(policy.groups.web).toEqual({ reserved: [[40100, 40199]] });
    expect(policy.hosts.db1).toEqual({ reserved: [[40200, 40200]] });
  });

  it('additive mode with every optional setting', async () => {
    const file = fixture('additive-mode.yaml');
    const { policy } = await loadPolicy(file);
    expect(policy).toMatchObject({
      file,
      version: 1,
      mode: 'additive',
      company: { reserved: [[33000, 33999]], ephemeral: [32768, 60999] },
      minEphemeralPorts: 20000,
      persistFile: '/etc/sysctl.d/50-listen-ports.conf',
      inventory: { kind: 'source', source: fileURLToPath(new URL('../fixtures/inventories/lab.yml', import.meta.url)) },
      ansible: { serial: '25%', become: { reads: false }, user: 'deploy' },
      targets: 'all',
      audit: { allow: [[9100, 9100]] },
    });
  });

  it('source inventory resolves relative to the policy file, defaults filled', async () => {
    const { policy } = await loadPolicy(fixture('source-inventory.yaml'));
    expect(policy.mode).toBe('exact');
    expect(policy.minEphemeralPorts).toBe(10000);
    expect(policy.persistFile).toBe('/etc/sysctl.d/90-fleet-reserved-ports.conf');
    expect(policy.ansible).toEqual({ become: false });
    expect(policy.targets).toBe('all');
    expect(policy.inventory).toEqual({ kind: 'source', source: fileURLToPath(new URL('../fixtures/inventories/lab.yml', import.meta.url)) });
    expect(policy.groups).toEqual({ web: { reserved: [[41000, 41099]], ephemeral: [35000, 60999] }, db: { reserved: [[42000, 42000]] } });
  });

  it('examples/policy.yaml validates (its warnings are the documented outside-the-range ones)', async () => {
    const file = fileURLToPath(new URL('../../examples/policy.yaml', import.meta.url));
    const r = parsePolicyText(await readFile(file, 'utf8'), 'examples/policy.yaml');
    expect(lines(r.errors)).toEqual([]);
    expect(r.policy?.inventory).toEqual({ kind: 'source', source: fileURLToPath(new URL('../../inventories/lab.yml', import.meta.url)) });
    expect(r.warnings.every((w) => w.message.includes('outside the ephemeral range'))).toBe(true);
  });
});
