/**
 * fleet discover without the lab: option parsing, usage errors (exit 2, before
 * any Ansible), and the adapter from readHosts' results to observations — the
 * one place discover depends on the read-back parser's output.
 */
import { describe, expect, it } from 'vitest';
import { observations, parseGap, parseShare } from '../../src/cli/discover.js';
import type { HostRead } from '../../src/engine/session.js';
import { planHosts } from '../../src/plan/desired.js';
import { EMPTY } from '../../src/ports/portset.js';
import { parseSockets, type Observed } from '../../src/verify/readback.js';
import { runCli } from '../support/cli.js';

describe('discover options', () => {
  it.each([
    ['50%', 0.5],
    ['100%', 1],
    ['12.5%', 0.125],
    ['0.5', 0.5],
    ['1', 1],
    ['.25', 0.25],
  ])('--min-share %s = %s', (text, want) => expect(parseShare(text)).toBe(want));

  it.each(['0', '0%', '150%', '50', '-0.5', 'half', '', '1.5'])('--min-share %s is a usage error', (text) => {
    expect(() => parseShare(text)).toThrow(/--min-share .*50% or 0\.5/);
  });

  it('--merge-gap takes 0..65535', () => {
    expect(parseGap('0')).toBe(0);
    expect(parseGap('10')).toBe(10);
    for (const bad of ['-1', '1.5', '70000', 'x', '']) expect(() => parseGap(bad)).toThrow(/--merge-gap/);
  });

  it('without -i or a POLICY, or with a bad share: exit 2 with the reason', async () => {
    const none = await runCli(['discover']);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('give -i INVENTORY or a POLICY');
    const bad = await runCli(['discover', '-i', 'x.yml', '--min-share', '150%']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--min-share 150%');
  });

  it('refuses to write the proposal over the policy it reads (exit 2, before reading anything)', async () => {
    const r = await runCli(['discover', 'no-such-policy.yaml', '--out', './no-such-policy.yaml']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--out ./no-such-policy.yaml would overwrite the policy it reads');
  });
});

describe('observations (readHosts results -> what discover counts)', () => {
  const inventory = { source: 'inline', groups: ['web'], hosts: ['a', 'b', 'c'].map((name) => ({ name, groups: ['web'], vars: {} })) };
  const policy = { company: { reserved: EMPTY }, groups: {}, hosts: {}, minEphemeralPorts: 0 } as unknown as Parameters<typeof planHosts>[0];
  const [a, b, c] = planHosts(policy, inventory).plans;
  // Built directly (not through parseReadback) so a change of the read-back text format does not touch this test.
  const observed = (sockets?: string[]): Observed => ({
    reserved: EMPTY,
    reservedRaw: '',
    range: [1024, 65000],
    persist: { state: 'absent' },
    files: [],
    unreadableDirs: [],
    ...(sockets ? { sockets: parseSockets(sockets) } : {}),
  });

  it('a read host gives its listeners and range; no ss, or no read, makes the host unread with the reason', () => {
    const ok = { observed: observed(['tcp LISTEN 0 128 0.0.0.0:7001 0.0.0.0:* users:(("python3",pid=7,fd=3))', 'tcp ESTAB 0 0 1.2.3.4:40000 1.2.3.5:22']) };
    const noSs = { observed: observed() };
    const reads: HostRead[] = [
      { plan: a!, observed: ok.observed, result: { host: 'a', groups: ['web'], verdict: 'compliant', changed: false, desired: '' } },
      { plan: b!, observed: noSs.observed, result: { host: 'b', groups: ['web'], verdict: 'compliant', changed: false, desired: '' } },
      {
        plan: c!,
        result: {
          host: 'c',
          groups: ['web'],
          verdict: 'unreachable',
          changed: false,
          desired: '',
          message: 'ssh: connect to host c port 22: Connection refused',
        },
      },
    ];
    const o = observations(reads);
    expect(o.read).toEqual([
      {
        host: 'a',
        groups: ['web'],
        range: [1024, 65000],
        listeners: [{ proto: 'tcp', port: 7001, local: '0.0.0.0:7001', process: 'python3', pid: 7, loopback: false }],
      },
    ]);
    expect(o.unread).toEqual([
      { host: 'b', groups: ['web'], reason: '`ss` is not installed on the host' },
      { host: 'c', groups: ['web'], reason: 'unreachable: ssh: connect to host c port 22: Connection refused' },
    ]);
  });
});
