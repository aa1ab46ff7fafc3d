/** The boot model (src/verify/boot.ts); test/lab/boot-oracle.test.ts checks it against the real systemd-sysctl. */
import { describe, expect, it } from 'vitest';
import { bootOrder, kernelValue, normalizeKey, parseSysctlText, predictBoot, type SysctlFile } from '../../src/verify/boot.js';

const KEY = 'net.ipv4.ip_local_reserved_ports';
const f = (dir: string, name: string, text: string): SysctlFile => ({ dir, name, state: 'content', text });

describe('normalizeKey (systemd sysctl_normalize)', () => {
  it.each([
    ['net.ipv4.ip_local_reserved_ports', 'net/ipv4/ip_local_reserved_ports'],
    ['net/ipv4/ip_local_reserved_ports', 'net/ipv4/ip_local_reserved_ports'],
    ['/net//ipv4/./ip_local_reserved_ports/', 'net/ipv4/ip_local_reserved_ports'],
    ['net.ipv4/ip_local_reserved_ports', 'net/ipv4.ip_local_reserved_ports'],
    ['net/ipv4.ip_local_reserved_ports', 'net/ipv4.ip_local_reserved_ports'],
  ])('%s -> %s', (raw, want) => expect(normalizeKey(raw)).toBe(want));
});

describe('parseSysctlText', () => {
  it('strips ASCII space and tab only, ends lines at LF, CR and NUL, skips # and ; comments', () => {
    expect(parseSysctlText(`# c\n; c\n \t${KEY} \t=\t 1 \r\n${KEY}=2\r${KEY}=3\0${KEY}=\u00a04\u00a0\nno assignment\n-${KEY}\n`)).toEqual([
      { key: 'net/ipv4/ip_local_reserved_ports', value: '1', line: 3 },
      { key: 'net/ipv4/ip_local_reserved_ports', value: '2', line: 4 },
      { key: 'net/ipv4/ip_local_reserved_ports', value: '3', line: 5 },
      { key: 'net/ipv4/ip_local_reserved_ports', value: '\u00a04\u00a0', line: 6 },
      { key: 'net/ipv4/ip_local_reserved_ports', value: null, line: 8 },
    ]);
  });

  it('a leading - is dropped from an assignment; quotes are kept as part of the value', () => {
    expect(parseSysctlText(`-${KEY} = "7000"`)).toEqual([{ key: 'net/ipv4/ip_local_reserved_ports', value: '"7000"', line: 1 }]);
  });
});

describe('bootOrder', () => {
  it('higher folders mask the same name; names sort by bytes across folders', () => {
    const files = [
      f('/usr/lib/sysctl.d', 'b.conf', 'usr'),
      f('/etc/sysctl.d', 'b.conf', 'etc'),
      f('/run/sysctl.d', 'a.conf', 'run'),
      f('/lib/sysctl.d', 'B.conf', 'lib'),
      f('/usr/local/lib/sysctl.d', 'a.conf', 'local'),
    ];
    expect(bootOrder(files).map((x) => `${x.dir}/${x.name}`)).toEqual(['/lib/sysctl.d/B.conf', '/run/sysctl.d/a.conf', '/etc/sysctl.d/b.conf']);
  });
});

describe('kernelValue', () => {
  it.each<[string, string, string | undefined]>([
    ['reserved', '9000,8080-8090,8085', '8080-8090,9000'],
    ['reserved', '', ''],
    ['reserved', '8080, 9000', undefined],
    ['reserved', '70000', undefined],
    ['reserved', '9000-8000', undefined],
    ['reserved', '\u00a08080', undefined],
    ['reserved', '"8080"', undefined],
    ['range', '1024 65000', '1024 65000'],
    ['range', '1024\t \t65000', '1024 65000'],
    ['range', '60999 32768', undefined],
    ['range', '1024-65000', undefined],
  ])('%s %j -> %j', (key, v, want) => expect(kernelValue(key as 'reserved' | 'range', v)).toBe(want));
});

describe('predictBoot', () => {
  it('the last assignment in boot order decides; a masked file sets nothing', () => {
    const files = [
      f('/etc/sysctl.d', '50-a.conf', `${KEY}=1\n`),
      f('/usr/lib/sysctl.d', '60-b.conf', `${KEY}=2\n`),
      { dir: '/etc/sysctl.d', name: '60-b.conf', state: 'empty' as const },
    ];
    expect(predictBoot(files, 'reserved')).toEqual({ key: 'reserved', value: '1', written: '1', file: '/etc/sysctl.d/50-a.conf', line: 1, unreadable: [] });
  });

  it('a glob applies only when no line names the key', () => {
    expect(predictBoot([f('/etc/sysctl.d', 'a.conf', 'net.ipv4.ip_local_reserved_port? = 5\n')], 'reserved')).toMatchObject({ value: '5' });
    expect(predictBoot([f('/etc/sysctl.d', 'a.conf', `${KEY}=4\nnet.ipv4.ip_local_* = 5\n`)], 'reserved')).toMatchObject({ value: '4' });
  });

  it('an unreadable file after the deciding line makes it unknown; before it, not', () => {
    const u = (name: string): SysctlFile => ({ dir: '/etc/sysctl.d', name, state: 'unreadable' });
    expect(predictBoot([f('/etc/sysctl.d', '50.conf', `${KEY}=1`), u('60.conf')], 'reserved')).toMatchObject({
      value: null,
      unreadable: ['/etc/sysctl.d/60.conf'],
    });
    expect(predictBoot([f('/etc/sysctl.d', '50.conf', `${KEY}=1`), u('40.conf')], 'reserved')).toMatchObject({ value: '1', unreadable: [] });
  });

  it('file names are shown as UTF-8', () => {
    const name = Buffer.from('99-é:v2.conf', 'utf8').toString('latin1');
    expect(predictBoot([f('/etc/sysctl.d', name, `${KEY}=1`)], 'reserved').file).toBe('/etc/sysctl.d/99-é:v2.conf');
  });
});
