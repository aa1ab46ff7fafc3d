import { describe, expect, it } from 'vitest';
import { mergePorts, proposePolicy, reachesShare, type HostListeners, type ProposeOptions } from '../../src/plan/propose.js';
import { format, mustParse, type PortRange } from '../../src/ports/portset.js';
import type { Listener } from '../../src/verify/listeners.js';

const WIDE: PortRange = [1024, 65000];
const opts: ProposeOptions = { minShare: 0.5, mergeGap: 10, minEphemeralPorts: 10000 };
const tcp = (port: number, process = 'python3', local = `0.0.0.0:${port}`): Listener => ({
  proto: 'tcp',
  port,
  local,
  process,
  pid: 100 + port,
  loopback: local.startsWith('127.'),
});

/** The lab: h1-h3 in web, h4-h6 in db. */
function fleet(extra: (host: string) => Listener[], range: PortRange | undefined = WIDE): HostListeners[] {
  return ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((host, i) => ({
    host,
    groups: i < 3 ? ['web'] : ['db'],
    ...(range ? { range } : {}),
    listeners: [tcp(22, 'sshd'), ...extra(host)],
  }));
}
const levelPorts = (l: { entries: { range: PortRange }[] } | undefined) => format((l?.entries ?? []).map((e) => e.range));

describe('proposePolicy', () => {
  it('the acceptance fleet: 7001 everywhere company-wide, 7002 on web for web, 40123 on h4 for h4, 80 and 22 left out', () => {
    const hosts = fleet((h) => [tcp(80), tcp(7001), ...(['h1', 'h2', 'h3'].includes(h) ? [tcp(7002)] : []), ...(h === 'h4' ? [tcp(40123)] : [])]);
    const p = proposePolicy(hosts, [], opts);
    expect(levelPorts(p.company)).toBe('7001');
    expect(Object.keys(p.groups)).toEqual(['web']);
    expect(levelPorts(p.groups.web)).toBe('7002');
    expect(Object.keys(p.hosts)).toEqual(['h4']);
    expect(levelPorts(p.hosts.h4)).toBe('40123');
    expect(p.systemPorts.map((u) => [u.port, u.processes, u.hosts.length])).toEqual([
      [22, ['sshd'], 6],
      [80, ['python3'], 6],
    ]);
    expect(p.unusedReserved).toBe(0);
    expect(p.shortfalls).toEqual([]);
    expect(p.ranges).toEqual([{ range: '1024-65000', hosts: 6 }]);
  });

  it('a port on at least --min-share of the hosts, across groups, is company-wide; below it, a group needs 2+ hosts at its share', () => {
    const on = (port: number, hs: string[]) => (h: string) => (hs.includes(h) ? [tcp(port)] : []);
    const hosts = fleet((h) => [...on(8000, ['h1', 'h2', 'h4', 'h5'])(h), ...on(8100, ['h1', 'h4'])(h), ...on(8200, ['h5', 'h6'])(h)]);
    const p = proposePolicy(hosts, [], { ...opts, mergeGap: 0 });
    expect(levelPorts(p.company)).toBe('8000'); // 4/6, in both groups
    expect(levelPorts(p.groups.db)).toBe('8200'); // 2/3 of db
    expect(levelPorts(p.hosts.h1)).toBe('8100'); // 1 host per group: host additions
    expect(levelPorts(p.hosts.h4)).toBe('8100');
    const strict = proposePolicy(hosts, [], { ...opts, mergeGap: 0, minShare: 0.8 });
    expect(levelPorts(strict.company)).toBe('');
    expect(strict.groups).toEqual({}); // 2/3 of a group is below 80%
    expect(Object.fromEntries(Object.entries(strict.hosts).map(([h, l]) => [h, levelPorts(l)]))).toEqual({
      h1: '8000,8100',
      h2: '8000',
      h4: '8000,8100',
      h5: '8000,8200',
      h6: '8200',
    });
  });

  it('merges ports at most --merge-gap apart and counts the ports nobody listens on', () => {
    const hosts = fleet(() => [tcp(7001), tcp(7005), tcp(7020)]);
    const p = proposePolicy(hosts, [], opts);
    expect(levelPorts(p.company)).toBe('7001-7005,7020');
    expect(p.company.entries[0]!.unused).toBe(3);
    expect(p.unusedReserved).toBe(3);
    const wide = proposePolicy(hosts, [], { ...opts, mergeGap: 14 });
    expect(levelPorts(wide.company)).toBe('7001-7020');
    expect(wide.unusedReserved).toBe(20 - 3);
    const none = proposePolicy(hosts, [], { ...opts, mergeGap: 0 });
    expect(levelPorts(none.company)).toBe('7001,7005,7020');
    expect(none.unusedReserved).toBe(0);
  });

  it('a group port that a merged company range covers is not repeated for the group', () => {
    const hosts = fleet((h) => [tcp(7001), tcp(7009), ...(['h1', 'h2', 'h3'].includes(h) ? [tcp(7005)] : [])]);
    const p = proposePolicy(hosts, [], opts);
    expect(levelPorts(p.company)).toBe('7001-7009');
    expect(p.groups).toEqual({});
    expect(p.company.entries[0]!.uses.map((u) => u.port)).toEqual([7001, 7005, 7009]);
    expect(p.company.entries[0]!.unused).toBe(6);
  });

  it('marks entries outside the hosts current ephemeral range and loopback-only listeners', () => {
    const hosts = fleet(() => [tcp(7001), tcp(6379, 'redis-server', '127.0.0.1:6379')], [32768, 60999]);
    const p = proposePolicy(hosts, [], { ...opts, mergeGap: 0 });
    expect(levelPorts(p.company)).toBe('6379,7001');
    expect(p.company.entries.every((e) => e.outsideEphemeral.length === 6)).toBe(true);
    expect(p.company.entries[0]!.uses[0]!.loopbackOnly).toBe(true);
    expect(p.company.entries[1]!.uses[0]!.loopbackOnly).toBe(false);
  });

  it('names every host whose free ephemeral ports would fall below min_ephemeral_ports, with the range it uses', () => {
    const hosts = fleet((h) => (h === 'h2' ? [tcp(20000), tcp(20010)] : []), [15000, 30000]); // 15001 ports
    const unread = [{ host: 'h7', groups: [], reason: 'unreachable' }];
    const merged = proposePolicy(hosts, unread, { ...opts, mergeGap: 20, minEphemeralPorts: 15000 });
    expect(levelPorts(merged.hosts.h2)).toBe('20000-20010');
    expect(merged.shortfalls).toEqual([{ host: 'h2', free: 14990, range: [15000, 30000] }]); // h7: default range, 28232 free
    const managed = proposePolicy(hosts, [], { ...opts, mergeGap: 0, minEphemeralPorts: 15000, managedRanges: { h2: [20000, 34999] } });
    expect(managed.shortfalls).toEqual([{ host: 'h2', free: 14998, range: [20000, 34999] }]);
    expect(proposePolicy(hosts, [], { ...opts, mergeGap: 0, minEphemeralPorts: 14999 }).shortfalls).toEqual([]);
  });

  it('unread hosts are kept apart and do not count towards shares', () => {
    const hosts = fleet((h) => (['h1', 'h2'].includes(h) ? [tcp(9000)] : [])).slice(0, 3);
    const p = proposePolicy(hosts, [{ host: 'h4', groups: ['db'], reason: 'unreachable: ssh: connect timed out' }], opts);
    expect(p.hostsRead).toEqual(['h1', 'h2', 'h3']);
    expect(p.unread.map((u) => u.host)).toEqual(['h4']);
    expect(levelPorts(p.company)).toBe('9000'); // 2 of the 3 read hosts
  });

  it('the same observations in any order give the same proposal', () => {
    const hosts = fleet((h) => [tcp(7001), tcp(h === 'h3' ? 7003 : 7002), { proto: 'udp', port: 7001, local: '[::]:7001', loopback: false }]);
    const shuffled = [...hosts].reverse().map((h) => ({ ...h, listeners: [...h.listeners].reverse() }));
    expect(proposePolicy(shuffled, [], opts)).toEqual(proposePolicy(hosts, [], opts));
  });
});

describe('helpers', () => {
  it('reachesShare has no float surprises', () => {
    expect(reachesShare(3, 10, 0.3)).toBe(true);
    expect(reachesShare(3, 6, 0.5)).toBe(true);
    expect(reachesShare(2, 6, 0.5)).toBe(false);
    expect(reachesShare(0, 0, 0.5)).toBe(false);
  });
  it('mergePorts', () => {
    expect(format(mergePorts(mustParse('1,3,10-12,20'), 1))).toBe('1-3,10-12,20');
    expect(format(mergePorts(mustParse('1,3,10-12,20'), 0))).toBe('1,3,10-12,20');
  });
});
