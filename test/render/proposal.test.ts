import { describe, expect, it } from 'vitest';
import { proposePolicy, type HostListeners, type ProposeOptions } from '../../src/plan/propose.js';
import { parsePolicyText, type Policy } from '../../src/policy/index.js';
import { format, type PortRange } from '../../src/ports/portset.js';
import { baseFromPolicy, inlineInventoryField, renderProposal, type ProposalBase } from '../../src/render/proposal.js';
import type { Listener } from '../../src/verify/listeners.js';

const opts: ProposeOptions = { minShare: 0.5, mergeGap: 10, minEphemeralPorts: 10000 };
const base: ProposalBase = { source: 'inventory inventories/lab.yml', inventory: '../inventories/lab.yml', minEphemeralPorts: 10000 };
const tcp = (port: number, process = 'python3'): Listener => ({ proto: 'tcp', port, local: `0.0.0.0:${port}`, process, pid: port, loopback: false });
const FILE = '/srv/fleet/policies/proposal.yaml';

function acceptanceFleet(range: PortRange = [1024, 65000]): HostListeners[] {
  return ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((host, i) => ({
    host,
    groups: i < 3 ? ['web'] : ['db'],
    range,
    listeners: [tcp(22, 'sshd'), tcp(80), tcp(7001), ...(i < 3 ? [tcp(7002)] : []), ...(host === 'h4' ? [tcp(40123)] : [])],
  }));
}

function valid(text: string): Policy {
  const r = parsePolicyText(text, FILE);
  expect(r.errors).toEqual([]);
  return r.policy!;
}

describe('renderProposal', () => {
  it('is a valid policy reserving what was proposed at each level, with a comment on every entry', () => {
    const text = renderProposal(proposePolicy(acceptanceFleet(), [], opts), base);
    const policy = valid(text);
    expect(format(policy.company.reserved)).toBe('7001');
    expect(format(policy.groups.web!.reserved)).toBe('7002');
    expect(format(policy.hosts.h4!.reserved)).toBe('40123');
    expect(policy.inventory).toEqual({ kind: 'source', source: '/srv/fleet/inventories/lab.yml' });
    expect(policy.minEphemeralPorts).toBe(10000);
    expect(text).toContain('  - 7001 # tcp python3 on 6/6 hosts\n');
    expect(text).toContain('      - 7002 # tcp python3 on 3/3 hosts of web\n');
    expect(text).toContain('      - 40123 # tcp python3\n');
    expect(text).toMatch(/Left out, below 1024.*\n# {3}22 tcp sshd on 6\/6 hosts\n# {3}80 tcp python3 on 6\/6 hosts\n/);
    expect(text).toContain('6 of 6 read');
    expect(text).not.toContain('PARTIAL');
    expect(text).toContain('Current ephemeral ranges (not managed by this policy): 1024-65000 on 6 hosts.');
  });

  it('is deterministic: the same observations, in any order, give the same bytes', () => {
    const a = renderProposal(proposePolicy(acceptanceFleet(), [], opts), base);
    const shuffled = acceptanceFleet()
      .reverse()
      .map((h) => ({ ...h, listeners: [...h.listeners].reverse() }));
    const b = renderProposal(proposePolicy(shuffled, [], opts), base);
    expect(b).toBe(a);
  });

  it('says it is partial and names each host that could not be read, with the reason', () => {
    const read = acceptanceFleet().filter((h) => h.host !== 'h6');
    const text = renderProposal(
      proposePolicy(read, [{ host: 'h6', groups: ['db'], reason: 'unreachable: ssh: connect to host 198.18.17.16 port 22: Connection refused\nmore' }], opts),
      base,
    );
    valid(text);
    expect(text).toContain('5 of 6 read');
    expect(text).toContain(
      '# PARTIAL: 1 host could not be read, so ports only they listen on are missing:\n#   h6: unreachable: ssh: connect to host 198.18.17.16 port 22: Connection refused\n',
    );
  });

  it('annotates merges with their cost, ports outside the current ephemeral range, loopback-only listeners and shortfalls', () => {
    const hosts: HostListeners[] = ['a1', 'a2'].map((host) => ({
      host,
      groups: [],
      range: [32768, 60999],
      listeners: [tcp(7001, 'java'), tcp(7005, 'java'), { proto: 'udp', port: 7005, local: '127.0.0.1:7005', process: 'statsd', pid: 3, loopback: true }],
    }));
    const text = renderProposal(proposePolicy(hosts, [], { ...opts, minEphemeralPorts: 28230 }), { ...base, minEphemeralPorts: 28230 });
    valid(text);
    expect(text).toContain(
      '  - 7001-7005 # 7001 tcp java on 2/2 hosts; 7005 tcp+udp java,statsd on 2/2 hosts; merged: 3 ports nobody listens on; outside the current ephemeral range on 2/2 hosts: no effect until the range is widened\n',
    );
    expect(text).toContain('(--merge-gap): 3 ports reserved that nobody listens on.');
    expect(text).not.toContain('WARNING'); // 7001-7005 is outside 32768-60999: it costs no ephemeral port
    const short = renderProposal(
      proposePolicy(
        hosts.map((h) => ({ ...h, listeners: [...h.listeners, tcp(40000)] })),
        [],
        { ...opts, minEphemeralPorts: 28232 },
      ),
      base,
    );
    expect(short).toContain(
      '# WARNING: these hosts would keep fewer than min_ephemeral_ports 28232 ephemeral ports:\n#   a1: 28231 free in 32768-60999\n#   a2: 28231 free in 32768-60999\n',
    );
    const loop = renderProposal(
      proposePolicy(
        [{ ...hosts[0]!, listeners: [{ proto: 'tcp', port: 6379, local: '127.0.0.1:6379', process: 'redis-server', pid: 1, loopback: true }] }],
        [],
        opts,
      ),
      base,
    );
    expect(loop).toContain('- 6379 # tcp redis-server, loopback only; outside the current ephemeral range: no effect until the range is widened\n');
  });

  it('hostile process and host names stay inside comments and keys (YAML 1.1 words quoted)', () => {
    const evil = 'x\nreserved_ports: 1-65535 #';
    const hosts: HostListeners[] = ['yes', 'on', '1e3', 'h-ok'].map((host) => ({ host, groups: ['no'], listeners: [tcp(9000 + host.length, evil)] }));
    const text = renderProposal(proposePolicy(hosts, [{ host: 'off', groups: [], reason: 'unreachable\nreserved_ports: 1' }], { ...opts, minShare: 1 }), base);
    const policy = valid(text);
    expect(format(policy.company.reserved)).toBe('');
    expect(Object.keys(policy.hosts).sort()).toEqual(['1e3', 'h-ok', 'on', 'yes']);
    expect(format(policy.hosts.yes!.reserved)).toBe('9003');
    const injected = text.split('\n').filter((l) => l.includes('reserved_ports: 1'));
    expect(injected.length).toBeGreaterThan(0);
    for (const l of injected) expect(l.indexOf('#'), l).toBeLessThan(l.indexOf('reserved_ports: 1'));
    expect(text).not.toContain('outside the current ephemeral range'); // no range known: nothing to say
    expect(text).toContain('"yes":');
  });

  it('keeps the settings of the policy it was made from, and an inline inventory', () => {
    const source = `version: 1
mode: additive
ephemeral_range: 1024-65000
min_ephemeral_ports: 20000
persist_file: /etc/sysctl.d/80-ports.conf
inventory:
  hosts:
    h1: { ansible_host: 198.18.17.11 }
    h2: {}
  groups:
    web: [h1, h2]
reserved_ports: 5000
groups:
  web: { ephemeral_range: 2000-64000 }
targets: "all:!winhosts"
ansible: { forks: 5, become: true, user: deploy }
audit: { allow_ports: [9100] }
`;
    const old = valid(source);
    const inv = old.inventory.kind === 'inline' ? inlineInventoryField(old.inventory) : 'x';
    const hosts: HostListeners[] = ['h1', 'h2'].map((host) => ({ host, groups: ['web'], range: [2000, 64000], listeners: [tcp(7001)] }));
    const text = renderProposal(proposePolicy(hosts, [], { ...opts, minEphemeralPorts: 20000 }), baseFromPolicy(old, 'policy old.yaml', inv));
    const p = valid(text);
    expect(p).toMatchObject({
      mode: 'additive',
      minEphemeralPorts: 20000,
      persistFile: '/etc/sysctl.d/80-ports.conf',
      targets: 'all:!winhosts',
      ansible: { forks: 5, become: { reads: false }, user: 'deploy' },
    });
    expect(p.ansible).not.toHaveProperty('timeout');
    const withMethod = valid(source.replace('become: true', 'become: { method: su, reads: true }'));
    expect(valid(renderProposal(proposePolicy(hosts, [], opts), baseFromPolicy(withMethod, 'policy old.yaml', inv))).ansible.become).toEqual({
      method: 'su',
      reads: true,
    });
    expect(p.company).toEqual({ reserved: [[7001, 7001]], ephemeral: [1024, 65000] });
    expect(p.groups.web).toEqual({ reserved: [], ephemeral: [2000, 64000] });
    expect(format(p.audit.allow)).toBe('9100');
    expect(p.inventory).toEqual(old.inventory);
  });
});
