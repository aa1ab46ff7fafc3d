import { describe, expect, test } from 'vitest';
import { driftDetails, persistedState, policyName, portCount, sanitize, stripAnsi } from '../../src/report/text.js';
import { host } from '../fixtures/reports/build.js';

describe('sanitize', () => {
  test.each([
    ['plain', false, 'plain'],
    ['\x1b[1;31mred\x1b[0m', false, 'red'],
    ['a\x1b]8;;http://x/\x07link\x1b]8;;\x07b', false, 'alinkb'],
    ['bell\x07 nul\x00 del\x7f', false, 'bell␇ nul␀ del␡'],
    ['a\r\nb\rc', false, 'a\nb␍c'],
    ['a\nb\tc', true, 'a b c'],
    ['c1\x9b', false, 'c1\ufffd'],
    ['lone\ud800', false, 'lone\ufffd'],
    ['pair😀', false, 'pair😀'],
  ])('%j (oneLine %s) -> %j', (input, oneLine, want) => {
    expect(sanitize(input, oneLine)).toBe(want);
  });

  test('stripAnsi keeps text', () => {
    expect(stripAnsi('\x1b[2K\x1b[1Gok')).toBe('ok');
  });
});

describe('portCount', () => {
  test.each([
    ['', 0],
    ['8080', 1],
    ['5000-5999,8080', 1001],
    ['1-65535', 65535],
    ['5000, 6000', undefined],
    [undefined, undefined],
  ])('%j -> %j', (s, n) => {
    expect(portCount(s)).toBe(n);
  });
});

describe('policyName', () => {
  test.each([
    ['policies/ports.yaml', 'ports'],
    ['/etc/fleet/prod.yml', 'prod'],
    ['ports', 'ports'],
    ['C:\\fleet\\p.yaml', 'p'],
  ])('%s -> %s', (policy, want) => {
    expect(policyName({ policy })).toBe(want);
  });
});

describe('persistedState', () => {
  test.each([
    [host('a'), 'ok'],
    [host('a', { persisted: undefined }), '-'],
    [host('a', { persisted: null }), 'absent'],
    [host('a', { persistedDiff: { missing: '', extra: '7000' } }), 'differs'],
    [host('a', { overriddenBy: ['/etc/sysctl.d/99-a.conf', '/run/sysctl.d/99-b.conf'] }), 'ok, overridden by 99-a.conf, 99-b.conf'],
  ])('%#', (h, want) => {
    expect(persistedState(h)).toBe(want);
  });
});

describe('driftDetails: boot values (issue 10)', () => {
  test("names each managed key's boot value and the file that decides it", () => {
    const h = {
      host: 'a',
      groups: [],
      verdict: 'drift' as const,
      changed: false,
      desired: '8080',
      boot: {
        reserved: { value: '7000', file: '/etc/sysctl.d/99-app:v2.conf', line: 3, written: '7000' },
        range: { value: '32768 60999', file: '/etc/sysctl.d/99-x.conf', line: 1, written: 'x', rejected: true },
      },
    };
    expect(driftDetails(h)).toEqual([
      'reserved at boot: 7000, set by /etc/sysctl.d/99-app:v2.conf:3',
      'range at boot:    32768 60999, kernel default, /etc/sysctl.d/99-x.conf:1 is refused',
    ]);
    expect(driftDetails({ ...h, boot: { reserved: { value: null, unreadable: ['/etc/sysctl.d/s.conf'] } } })).toEqual([
      'reserved at boot: (unknown: cannot read /etc/sysctl.d/s.conf)',
    ]);
  });
});
