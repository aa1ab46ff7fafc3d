import { describe, expect, it } from 'vitest';
import type { Inventory } from '../../src/inventory/types.js';
import { planHosts, targetSet, type HostPlan } from '../../src/plan/desired.js';
import { parsePolicyText } from '../../src/policy/parse.js';
import { DEFAULT_MIN_EPHEMERAL_PORTS, DEFAULT_PERSIST_FILE, type Policy, type PortRules } from '../../src/policy/types.js';
import { format, mustParse, type PortRange } from '../../src/ports/portset.js';

const rules = (reserved: string, ephemeral?: PortRange): PortRules => ({ reserved: mustParse(reserved), ...(ephemeral ? { ephemeral } : {}) });

function policy(p: Partial<Policy> = {}): Policy {
  return {
    file: '/etc/fleet/policy.yaml',
    version: 1,
    mode: 'exact',
    company: rules('40000-40099'),
    minEphemeralPorts: DEFAULT_MIN_EPHEMERAL_PORTS,
    groups: {},
    hosts: {},
    inventory: { kind: 'source', source: '/etc/ansible/hosts' },
    persistFile: DEFAULT_PERSIST_FILE,
    ansible: { become: { reads: false }, timeout: 10 },
    targets: 'all',
    audit: { allow: [] },
    ...p,
  };
}

function inventory(hosts: Record<string, string[]>, extraGroups: string[] = []): Inventory {
  const groups = new Set([...Object.values(hosts).flat(), ...extraGroups]);
  return {
    hosts: Object.entries(hosts).map(([name, gs]) => ({ name, groups: gs, vars: {} })),
    groups: [...groups].sort(),
    source: 'inventories/prod.yml',
  };
}

const byHost = (plans: HostPlan[]) => Object.fromEntries(plans.map((p) => [p.host, p]));

describe('planHosts: desired set', () => {
  // groups already include ancestors (inventory/ parses children that way)
  const inv = inventory({ 'web-eu-1': ['prod', 'web', 'web_eu'], 'web-us-1': ['prod', 'web', 'web_us'], 'db-1': ['db', 'prod'], solo: [] });
  const pol = policy({
    groups: { web: rules('41000-41009'), web_eu: rules('42000'), db: rules('43000,43005'), prod: rules('44000') },
    hosts: { 'db-1': rules('45000-45001'), solo: rules('46000') },
  });
  const { plans, warnings } = planHosts(pol, inv);
  const p = byHost(plans);

  it('unions company, every group (inherited included) and host additions', () => {
    expect(format(p['web-eu-1']!.desired)).toBe('40000-40099,41000-41009,42000,44000');
    expect(format(p['web-us-1']!.desired)).toBe('40000-40099,41000-41009,44000');
    expect(format(p['db-1']!.desired)).toBe('40000-40099,43000,43005,44000,45000-45001');
    expect(format(p.solo!.desired)).toBe('40000-40099,46000');
  });

  it('one plan per inventory host, in inventory order, with its groups', () => {
    expect(plans.map((x) => x.host)).toEqual(['web-eu-1', 'web-us-1', 'db-1', 'solo']);
    expect(p['db-1']!.groups).toEqual(['db', 'prod']);
  });

  it('no warnings when everything the policy names exists', () => {
    expect(warnings).toEqual([]);
  });

  it('nothing refused and capacity computed on the default range', () => {
    for (const x of plans) expect(x.refused).toBeUndefined();
    expect(p.solo!.capacity.ephemeral).toEqual([32768, 60999]);
    expect(p.solo!.capacity.free).toBe(60999 - 32768 + 1 - 101);
    expect(p.solo!.ephemeral).toBeUndefined();
  });

  it('overlapping levels merge into a canonical set', () => {
    const r = planHosts(policy({ company: rules('40000-40010'), groups: { g: rules('40005-40020,40021') } }), inventory({ h: ['g'] }));
    expect(format(r.plans[0]!.desired)).toBe('40000-40021');
  });
});

describe('planHosts: ephemeral capacity', () => {
  it('refuses a host below min_ephemeral_ports, naming the ranges that eat the capacity', () => {
    const pol = policy({ company: rules('1024-2000'), groups: { big: rules('33000-52000') }, minEphemeralPorts: 10000 });
    const { plans } = planHosts(pol, inventory({ ok: [], greedy: ['big'] }));
    const p = byHost(plans);
    expect(p.ok!.refused).toBeUndefined();
    const refused = p.greedy!.refused!;
    expect(refused).toMatch(/^only 9231 ephemeral ports would stay free, below min_ephemeral_ports 10000: /);
    expect(refused).toContain('ephemeral range 32768-60999 has 28232 ports');
    expect(refused).toContain('33000-52000 (19001 ports)');
    expect(refused).not.toContain('1024-2000');
    expect(p.greedy!.capacity.free).toBe(9231);
  });

  it('exactly at the floor is accepted', () => {
    const pol = policy({ company: rules('32768-51000'), minEphemeralPorts: 60999 - 51000 });
    expect(planHosts(pol, inventory({ h: [] })).plans[0]!.refused).toBeUndefined();
    const pol2 = policy({ company: rules('32768-51000'), minEphemeralPorts: 60999 - 51000 + 1 });
    expect(planHosts(pol2, inventory({ h: [] })).plans[0]!.refused).toMatch(/below min_ephemeral_ports 10000/);
  });

  it('uses the managed ephemeral range for capacity', () => {
    const pol = policy({ company: rules('20000-29999', [15000, 60999]) });
    const plan = planHosts(pol, inventory({ h: [] })).plans[0]!;
    expect(plan.ephemeral).toEqual([15000, 60999]);
    expect(plan.capacity.free).toBe(60999 - 15000 + 1 - 10000);
    expect(plan.refused).toBeUndefined();
  });
});

describe('planHosts: ephemeral_range levels', () => {
  it('a group range overrides the company range', () => {
    const pol = policy({ company: rules('40000', [32768, 60999]), groups: { g: rules('', [20000, 60999]) } });
    const p = byHost(planHosts(pol, inventory({ a: ['g'], b: [] })).plans);
    expect(p.a!.ephemeral).toEqual([20000, 60999]);
    expect(p.b!.ephemeral).toEqual([32768, 60999]);
  });

  it('groups that agree are fine', () => {
    const pol = policy({ groups: { g1: rules('', [20000, 60999]), g2: rules('', [20000, 60999]) } });
    const plan = planHosts(pol, inventory({ h: ['g1', 'g2'] })).plans[0]!;
    expect(plan.refused).toBeUndefined();
    expect(plan.ephemeral).toEqual([20000, 60999]);
  });

  it('groups that disagree refuse the host and say how to fix it', () => {
    const pol = policy({ groups: { web: rules('', [20000, 60999]), eu: rules('', [30000, 60999]), plain: rules('41000') } });
    const plan = planHosts(pol, inventory({ 'web-eu-1': ['eu', 'plain', 'web'] })).plans[0]!;
    expect(plan.refused).toBe('groups disagree on ephemeral_range (group eu: 30000-60999, group web: 20000-60999); set one for host web-eu-1');
  });

  it('a host range settles a group disagreement', () => {
    const pol = policy({ groups: { web: rules('', [20000, 60999]), eu: rules('', [30000, 60999]) }, hosts: { 'web-eu-1': rules('', [25000, 60999]) } });
    const plan = planHosts(pol, inventory({ 'web-eu-1': ['eu', 'web'] })).plans[0]!;
    expect(plan.refused).toBeUndefined();
    expect(plan.ephemeral).toEqual([25000, 60999]);
    expect(plan.capacity.ephemeral).toEqual([25000, 60999]);
  });

  it('the disagreement message wins over a capacity refusal', () => {
    const pol = policy({ company: rules('30000-60000'), groups: { a: rules('', [20000, 60999]), b: rules('', [30000, 60999]) } });
    expect(planHosts(pol, inventory({ h: ['a', 'b'] })).plans[0]!.refused).toMatch(/^groups disagree/);
  });
});

describe('planHosts: warnings', () => {
  it('warns for policy hosts and groups that the inventory does not have', () => {
    const pol = policy({ groups: { web: rules('41000'), ghost_group: rules('42000') }, hosts: { 'web-1': rules('43000'), 'old-host': rules('44000') } });
    const { warnings, plans } = planHosts(pol, inventory({ 'web-1': ['web'] }));
    expect(warnings.map((w) => w.message)).toEqual([
      'policy names host old-host, which is not in the inventory (inventories/prod.yml)',
      'policy names group ghost_group, which is not in the inventory (inventories/prod.yml)',
    ]);
    expect(plans.map((p) => p.host)).toEqual(['web-1']);
  });

  it('a group with no hosts that the inventory knows is no warning', () => {
    const pol = policy({ groups: { later: rules('41000') } });
    expect(planHosts(pol, inventory({ h: [] }, ['later'])).warnings).toEqual([]);
  });
});

describe('planHosts from a parsed policy', () => {
  it('plans an inline-inventory policy end to end', () => {
    const text = [
      'version: 1',
      'reserved_ports: [40000-40099]',
      'inventory:',
      '  hosts:',
      '    web1: { ansible_host: 198.18.0.11 }',
      '    db1: {}',
      '  groups:',
      '    web: [web1]',
      '    db: [db1]',
      '    all_servers: { children: [web, db] }',
      'groups:',
      '  all_servers: { reserved_ports: 40500 }',
      '  web: { reserved_ports: 40100-40199 }',
      'hosts:',
      '  db1: { reserved_ports: 40200 }',
      '',
    ].join('\n');
    const r = parsePolicyText(text, '/tmp/p.yaml');
    expect(r.errors).toEqual([]);
    const pol = r.policy!;
    const inv: Inventory = {
      hosts: [
        { name: 'db1', groups: ['all_servers', 'db'], vars: {} },
        { name: 'web1', groups: ['all_servers', 'web'], vars: {} },
      ],
      groups: ['all_servers', 'db', 'web'],
      source: 'inline',
    };
    const p = byHost(planHosts(pol, inv).plans);
    expect(format(p.web1!.desired)).toBe('40000-40199,40500');
    expect(format(p.db1!.desired)).toBe('40000-40099,40200,40500');
  });
});

describe('targetSet', () => {
  const plan = planHosts(policy({ company: rules('8080,9000-9100') }), inventory({ h: [] })).plans[0]!;

  it('exact: the policy set, whatever the host has', () => {
    expect(format(targetSet(plan, 'exact', { runtime: mustParse('7000,8080'), otherFiles: [] }))).toBe('8080,9000-9100');
    expect(format(targetSet(plan, 'exact', undefined))).toBe('8080,9000-9100');
  });

  const holds = (runtime: string, otherFiles = '', owned?: string) => ({
    runtime: mustParse(runtime),
    otherFiles: mustParse(otherFiles),
    ...(owned !== undefined ? { owned: mustParse(owned) } : {}),
  });

  it('additive: the policy set plus what the host already reserves', () => {
    expect(format(targetSet(plan, 'additive', holds('7000,8080,9101')))).toBe('7000,8080,9000-9101');
    expect(format(targetSet(plan, 'additive', undefined))).toBe('8080,9000-9100');
    expect(format(targetSet(plan, 'additive', holds('')))).toBe('8080,9000-9100');
  });

  it('additive: plus what other boot files reserve, even when not in the runtime value (issue 12)', () => {
    expect(format(targetSet(plan, 'additive', holds('', '30000-32767')))).toBe('8080,9000-9100,30000-32767');
  });

  it('additive: drops what fleet owned and the policy no longer wants, keeps what others reserve (issue 12)', () => {
    // fleet owned 8080,9000-10000; the policy now wants 8080,9000-9100; kubespray's file reserves 30000-32767
    expect(format(targetSet(plan, 'additive', holds('8080,9000-10000,30000-32767', '30000-32767', '8080,9000-10000')))).toBe('8080,9000-9100,30000-32767');
    // a dropped port another file also sets stays: it is that tool's
    expect(format(targetSet(plan, 'additive', holds('8080,9000-10000', '9500', '8080,9000-10000')))).toBe('8080,9000-9100,9500');
    // without a record of what fleet owned, nothing is taken away
    expect(format(targetSet(plan, 'additive', holds('8080,9000-10000')))).toBe('8080,9000-10000');
  });

  it('exact: other writers and ownership change nothing', () => {
    expect(format(targetSet(plan, 'exact', holds('7000', '30000-32767', '7000')))).toBe('8080,9000-9100');
  });
});
