import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkPolicy } from '../../src/policy/checks.js';
import { DEFAULT_PERSIST_FILE } from '../../src/policy/types.js';
import { format, intersect, mustParse, size } from '../../src/ports/portset.js';
import { HEAD, errorsOf, warningsOf } from './helpers.js';

const OUTSIDE = 'so the kernel never hands these ports out today; reserving them has no effect until the ephemeral range grows to include them';

describe('warnings (the policy is still valid)', () => {
  it.each<[string, string, string[]]>([
    [
      'reserved range entirely outside the ephemeral range',
      'reserved_ports: 5000-10000\n',
      [`3:17 reserved_ports: 5000-10000 lies outside the ephemeral range 32768-60999, ${OUTSIDE}`],
    ],
    [
      'reserved range partly outside',
      'reserved_ports: 30000-33000\n',
      [`3:17 reserved_ports: 30000-32767 lies outside the ephemeral range 32768-60999, ${OUTSIDE}`],
    ],
    [
      'several parts outside',
      'reserved_ports: [80, 40000, 61000]\n',
      [`3:17 reserved_ports: 80,61000 lie outside the ephemeral range 32768-60999, ${OUTSIDE}`],
    ],
    [
      'group checked against its own ephemeral range',
      'reserved_ports: 40000\ngroups:\n  web:\n    ephemeral_range: 20000-60999\n    reserved_ports: 19000-20001\n',
      [`7:21 groups.web.reserved_ports: 19000-19999 lies outside the ephemeral range 20000-60999, ${OUTSIDE}`],
    ],
    [
      'overlapping groups',
      'reserved_ports: 40000\ngroups:\n  web: {reserved_ports: 41000-41010}\n  db: {reserved_ports: [41005-41020, 41010]}\n',
      ['5:25 groups.web.reserved_ports: groups `db` and `web` both reserve 41005-41010; a host in both gets them once, so check the overlap is intended'],
    ],
    [
      'ephemeral range below 1024',
      'reserved_ports: 40000\nephemeral_range: 1000-60999\n',
      ['4:18 ephemeral_range: ephemeral range 1000-60999 starts below 1024, so outgoing connections can take system ports that services expect to bind'],
    ],
    [
      'persist file outside sysctl.d',
      'reserved_ports: 40000\npersist_file: /opt/fleet/ports.conf\n',
      [
        '4:15 persist_file: /opt/fleet/ports.conf is not in a folder systemd-sysctl reads at boot (/etc/sysctl.d/...), so the setting would not survive a reboot',
      ],
    ],
    [
      'persist file under /run (issue 10, case 7)',
      'reserved_ports: 40000\npersist_file: /run/sysctl.d/90-fleet.conf\n',
      [
        '4:15 persist_file: /run/sysctl.d/90-fleet.conf is under /run, a tmpfs emptied at every boot: the file and the setting are gone after a reboot (use /etc/sysctl.d/)',
      ],
    ],
    [
      'persist file under /usr/lib (issue 10, case 7)',
      'reserved_ports: 40000\npersist_file: /usr/lib/sysctl.d/90-fleet.conf\n',
      [
        '4:15 persist_file: /usr/lib/sysctl.d/90-fleet.conf is in /usr/lib/sysctl.d/, which belongs to packages: a package update can replace or remove it, and a file of the same name in /etc/sysctl.d masks it (use /etc/sysctl.d/)',
      ],
    ],
    [
      'persist file under /lib (issue 10, case 7)',
      'reserved_ports: 40000\npersist_file: /lib/sysctl.d/90-fleet.conf\n',
      [
        '4:15 persist_file: /lib/sysctl.d/90-fleet.conf is in /lib/sysctl.d/, which belongs to packages: a package update can replace or remove it, and a file of the same name in /etc/sysctl.d masks it (use /etc/sysctl.d/)',
      ],
    ],
    ['no warnings for ports inside the range', 'reserved_ports: 40000-40100\n', []],
    [
      'additive mode: the default persist file sorts before 99-sysctl.conf (issue 12)',
      'mode: additive\nreserved_ports: 40000\n',
      [
        "1:1 persist_file: in additive mode fleet's file should be read last at boot, but 90-fleet-reserved-ports.conf sorts before 99-sysctl.conf (kubespray's file, and Debian's link to /etc/sysctl.conf): when that file sets the key, it decides the boot value without the policy's ports; use e.g. /etc/sysctl.d/99-zz-fleet-reserved-ports.conf",
      ],
    ],
    [
      "additive mode: /etc/sysctl.conf is the other writers' file (issue 12)",
      'mode: additive\nreserved_ports: 40000\npersist_file: /etc/sysctl.conf\n',
      [
        "5:15 persist_file: /etc/sysctl.conf is the file kubespray and other tools rewrite (Debian links it as /etc/sysctl.d/99-sysctl.conf): their next run overwrites fleet's value; use a file of fleet's own that sorts last, e.g. /etc/sysctl.d/99-zz-fleet-reserved-ports.conf",
      ],
    ],
    [
      'additive mode: a persist file that sorts last is fine',
      'mode: additive\nreserved_ports: 40000\npersist_file: /etc/sysctl.d/99-zz-fleet-reserved-ports.conf\n',
      [],
    ],
    ['exact mode: no ordering warning', 'reserved_ports: 40000\npersist_file: /etc/sysctl.d/50-fleet.conf\n', []],
  ])('%s', (_, body, expected) => {
    expect(warningsOf(HEAD + body)).toEqual(expected);
  });

  it('warns about groups and hosts missing from an inline inventory', () => {
    const text =
      'version: 1\nreserved_ports: 40000\ninventory:\n  hosts: {web1: {}}\n  groups: {web: [web1]}\ngroups:\n  dbs: {reserved_ports: 40001}\nhosts:\n  web9: {reserved_ports: 40002}\n';
    expect(warningsOf(text)).toEqual([
      '7:3 groups.dbs: group `dbs` is not in the inline inventory, so these ports apply to no host',
      '9:3 hosts.web9: host `web9` is not in the inline inventory, so these ports apply to no host',
    ]);
  });
});

describe('capacity errors', () => {
  it('company level: explains what eats the ephemeral range', () => {
    expect(errorsOf(`${HEAD}reserved_ports: 30000-55000\n`)).toEqual([
      '3:17 reserved_ports: too few ephemeral ports left (5999, min_ephemeral_ports is 10000): ephemeral range 32768-60999 has 28232 ports; reserved inside it: 32768-55000 (22233 ports); 5999 left for outgoing connections',
    ]);
  });

  it('group level counts company ∪ group against the group range', () => {
    const body = 'reserved_ports: 40000-45000\nmin_ephemeral_ports: 5000\ngroups:\n  web:\n    ephemeral_range: 40000-50000\n    reserved_ports: 45001-46000\n';
    expect(errorsOf(HEAD + body)).toEqual([
      '8:21 groups.web.reserved_ports: too few ephemeral ports left (4000, min_ephemeral_ports is 5000): ephemeral range 40000-50000 has 10001 ports; reserved inside it: 40000-46000 (6001 ports); 4000 left for outgoing connections',
    ]);
  });

  it('host level, pointing at the ephemeral range when the host reserves nothing itself', () => {
    const body = 'reserved_ports: 40000\nhosts:\n  h1:\n    ephemeral_range: 50000-51000\n';
    expect(errorsOf(HEAD + body)[0]).toMatch(/^6:22 hosts\.h1\.ephemeral_range: too few ephemeral ports left \(1001, /);
  });

  it('a company-wide shortfall is reported once, not again for every group', () => {
    const body = 'reserved_ports: 30000-55000\ngroups:\n  web: {reserved_ports: 56000}\n  db: {reserved_ports: 57000}\n';
    expect(errorsOf(HEAD + body)).toHaveLength(1);
  });

  it('min_ephemeral_ports 0 turns the check off', () => {
    expect(errorsOf(`${HEAD}reserved_ports: 1-65535\nmin_ephemeral_ports: 0\n`)).toEqual([]);
  });

  it('an additive policy with no reserved ports anywhere is empty', () => {
    expect(errorsOf(`${HEAD}mode: additive\nreserved_ports: []\ngroups: {web: {ephemeral_range: 40000-60999}}\n`)).toEqual([
      '4:17 reserved_ports: the policy is empty: it reserves no ports anywhere, and in additive mode that changes nothing; set reserved_ports company-wide or under groups/hosts (or use mode: exact to retire a reservation)',
    ]);
  });

  it('an exact policy with no reserved ports is valid (it retires the reservation), with a warning', () => {
    expect(errorsOf(`${HEAD}reserved_ports: []\n`)).toEqual([]);
    expect(warningsOf(`${HEAD}reserved_ports: []\n`)).toEqual([
      '3:17 reserved_ports: the policy reserves no ports anywhere: in exact mode every host gets an empty reservation (this retires it)',
    ]);
  });
});

describe('overlapping groups, many at once', () => {
  it('finds exactly the pairs that intersecting every pair of groups finds, in the same order', () => {
    const span = fc.tuple(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 20 })).map(([lo, w]) => `${lo}-${lo + w}`);
    fc.assert(
      fc.property(fc.array(fc.array(span, { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 8 }), (groupSpans) => {
        const groups = Object.fromEntries(groupSpans.map((s, i) => [`g${i}`, { reserved: mustParse(s.join(',')) }]));
        const policy = {
          file: '/p.yaml',
          version: 1 as const,
          mode: 'exact' as const,
          company: { reserved: mustParse('5000') },
          minEphemeralPorts: 0,
          groups,
          hosts: {},
          inventory: { kind: 'source' as const, source: '/i' },
          targets: 'all',
          persistFile: DEFAULT_PERSIST_FILE,
          ansible: { become: false as const, timeout: 10 },
          audit: { allow: [] },
        };
        const names = Object.keys(groups).sort();
        const naive: string[] = [];
        names.forEach((a, i) => {
          for (const b of names.slice(i + 1)) {
            const both = intersect(groups[a]!.reserved, groups[b]!.reserved);
            if (size(both) > 0) naive.push(`${b}: ${a} ${format(both)}`);
          }
        });
        const got = checkPolicy(policy)
          .warnings.filter((w) => w.message.startsWith('groups `'))
          .map((w) => `${w.path[1]}: ${/`(\S+)` and/.exec(w.message)![1]} ${/reserve (\S+);/.exec(w.message)![1]}`);
        expect(got).toEqual(naive);
      }),
      { numRuns: 300 },
    );
  });
});
