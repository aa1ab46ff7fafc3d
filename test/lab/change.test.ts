/**
 * Change management on the lab (issue 12): plans for review with
 * --detailed-exitcode, the empty set in exact mode, rollback of an apply, and
 * --history across scheduled checks. Every expectation about a host is
 * checked on the host itself over ssh, independently of fleet.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, expect, it } from 'vitest';
import { describeLab, driftSysctl, resetAll, sshHost } from './helpers.js';
import type { RunReport } from '../../src/verify/types.js';
import { fleet, hostResult, why, workDir, writePolicy } from './fleet.js';

const PERSIST = '/etc/sysctl.d/90-fleet-reserved-ports.conf';
const runtime = async (h: string) => (await sshHost(h, 'sysctl -n net.ipv4.ip_local_reserved_ports')).trim();
const fileOf = async (h: string) => sshHost(h, `cat ${PERSIST} 2>/dev/null || echo '<absent>'`);
/** The persisted file without fleet's comment header. */
const settingsOf = async (h: string) =>
  (await fileOf(h))
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .join('\n');

describeLab('change management', () => {
  beforeEach(async () => {
    await resetAll();
  });

  it('plan --detailed-exitcode: 4 with one host drifted (only that host listed), 0 after apply; NOTE names the persisted file when runtime matches', async () => {
    const policy = writePolicy({ reserved_ports: '40000-40100' });
    const first = await fleet(['apply', policy, '--yes']);
    expect(first.exitCode, why(first)).toBe(0);
    await driftSysctl('h2', 'net.ipv4.ip_local_reserved_ports', '7000');
    const drifted = await fleet(['plan', policy, '--detailed-exitcode']);
    expect(drifted.exitCode, why(drifted)).toBe(4);
    const rows = drifted.stdout.split('\n').filter((l) => /^h\d/.test(l));
    expect(rows.map((l) => l.split(/\s+/)[0])).toEqual(['h2']);
    expect(drifted.stdout).toContain('6 hosts: 1 to change, 5 already compliant');

    // runtime right, persisted file gone: the NOTE says so
    await sshHost('h5', `rm -f ${PERSIST}`);
    const md = await fleet(['plan', policy, '--detailed-exitcode', '--format', 'markdown']);
    expect(md.exitCode, why(md)).toBe(4);
    expect(md.stdout).toMatch(/\| h5 \|.*persisted file absent/);
    expect(md.stdout.indexOf('| h2 |')).toBeLessThan(md.stdout.indexOf('| h5 |'));

    const fix = await fleet(['apply', policy, '--yes']);
    expect(fix.exitCode, why(fix)).toBe(0);
    const clean = await fleet(['plan', policy, '--detailed-exitcode']);
    expect(clean.exitCode, why(clean)).toBe(0);
    expect(clean.stdout.split('\n').filter((l) => /^h\d/.test(l))).toEqual([]);
  });

  it('audit trail: the report names operator and policy sha256; the persisted file header names version, sha256 and time, and a rerun leaves it alone', async () => {
    const policy = writePolicy({ reserved_ports: '40000-40100' });
    const sha = createHash('sha256').update(readFileSync(policy)).digest('hex');
    const r = await fleet(['apply', policy, '--yes', '--json']);
    expect(r.exitCode, why(r)).toBe(0);
    expect(r.report?.provenance).toMatchObject({ operator: expect.stringMatching(/^[^@\s]+@[^@\s]+$/), policySha256: sha });
    const file = await fileOf('h3');
    expect(file.split('\n')[0]).toMatch(new RegExp(`^# Managed by fleet 0\\.1\\.0; policy sha256 ${sha}; applied \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
    expect(await settingsOf('h3')).toBe('net.ipv4.ip_local_reserved_ports=40000-40100');
    const again = await fleet(['apply', policy, '--yes', '--json']);
    expect(again.report?.summary).toMatchObject({ compliant: 6, changed: 0 });
    expect(await fileOf('h3')).toBe(file);
    const check = await fleet(['check', policy, '--json']);
    expect(check.exitCode, why(check)).toBe(0);
    expect(check.report?.provenance?.policySha256).toBe(sha);
  });

  it('empty set in exact mode: runtime "" and a persisted empty assignment, check compliant, a rerun changes nothing', async () => {
    const before = await fleet(['apply', writePolicy({ reserved_ports: '40000-40100' }), '--yes']);
    expect(before.exitCode, why(before)).toBe(0);
    const empty = writePolicy({ mode: 'exact', reserved_ports: [] });
    const r = await fleet(['apply', empty, '--yes', '--json']);
    expect(r.exitCode, why(r)).toBe(0);
    expect(r.report?.summary).toMatchObject({ hosts: 6, compliant: 6, changed: 6 });
    for (const h of ['h1', 'h4']) {
      expect(await runtime(h), h).toBe('');
      expect(await settingsOf(h), h).toBe('net.ipv4.ip_local_reserved_ports=');
    }
    const check = await fleet(['check', empty, '--json']);
    expect(check.exitCode, why(check)).toBe(0);
    expect(hostResult(check.report, 'h1')).toMatchObject({ verdict: 'compliant', current: '', persisted: '' });
    const again = await fleet(['apply', empty, '--yes', '--json']);
    expect(again.report?.summary).toMatchObject({ compliant: 6, changed: 0 });
  });

  it('rollback: apply A, apply B, rollback B restores A on every host (runtime and persisted file, checked over ssh); a host changed since is refused unless --force', async () => {
    const a = writePolicy({ reserved_ports: '40000-40100', ephemeral_range: '20000-60999' });
    const b = writePolicy({ reserved_ports: '45000-45100', groups: { db: { reserved_ports: 46000 } } });
    const aJson = join(workDir(), 'rollback-a.json');
    const bJson = join(workDir(), 'rollback-b.json');
    const ra = await fleet(['apply', a, '--yes', '--report', `json=${aJson}`]);
    expect(ra.exitCode, why(ra)).toBe(0);
    const stateA: Record<string, [string, string, string]> = {};
    for (const h of ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'])
      stateA[h] = [await runtime(h), await fileOf(h), (await sshHost(h, 'sysctl -n net.ipv4.ip_local_port_range')).trim()];
    const rb = await fleet(['apply', b, '--yes', '--report', `json=${bJson}`]);
    expect(rb.exitCode, why(rb)).toBe(0);
    const recorded = JSON.parse(readFileSync(bJson, 'utf8')) as RunReport;
    expect(recorded.hosts.find((h) => h.host === 'h1')?.priorState).toMatchObject({
      reserved: '40000-40100',
      range: '20000-60999',
      file: PERSIST,
      content: expect.stringContaining('net.ipv4.ip_local_reserved_ports=40000-40100'),
    });
    expect(await runtime('h4')).toBe('45000-45100,46000');

    // something else changes h6 after B: rollback leaves it alone
    await driftSysctl('h6', 'net.ipv4.ip_local_reserved_ports', '7000');
    const dry = await fleet(['rollback', bJson, '--dry-run']);
    expect(dry.stdout).toMatch(/^h6 .*changed since the report/m);
    expect(await runtime('h1')).toBe('45000-45100');
    const back = await fleet(['rollback', bJson, '--yes', '--json']);
    expect(back.exitCode, why(back)).toBe(1);
    expect(back.report?.command).toBe('rollback');
    expect(hostResult(back.report, 'h6')).toMatchObject({ verdict: 'refused', message: expect.stringMatching(/changed since the report: runtime is 7000/) });
    expect(await runtime('h6')).toBe('7000');
    for (const h of ['h1', 'h2', 'h3', 'h4', 'h5']) {
      expect(hostResult(back.report, h).verdict, h).toBe('compliant');
      expect([await runtime(h), await fileOf(h), (await sshHost(h, 'sysctl -n net.ipv4.ip_local_port_range')).trim()], h).toEqual(stateA[h]);
    }
    const forced = await fleet(['rollback', bJson, '--yes', '--force', '--json']);
    expect(forced.exitCode, why(forced)).toBe(0);
    expect([await runtime('h6'), await fileOf('h6')]).toEqual(stateA.h6!.slice(0, 2));

    // rolling back A itself: the file fleet created is removed, the runtime value is the kernel default again
    const none = await fleet(['rollback', aJson, '--yes']);
    expect(none.exitCode, why(none)).toBe(0);
    for (const h of ['h1', 'h6']) expect([await runtime(h), await fileOf(h)], h).toEqual(['', '<absent>\n']);
  });

  it('--history: three checks, drift on h2 before the second and fixed before the third: new_drift then fixed; the HTML trend has three runs', async () => {
    const policy = writePolicy({ reserved_ports: '40000-40100' });
    const dir = join(workDir(), 'history');
    const html = join(workDir(), 'history.html');
    const applied = await fleet(['apply', policy, '--yes']);
    expect(applied.exitCode, why(applied)).toBe(0);
    const check = (...extra: string[]) => fleet(['check', policy, '--history', dir, '--keep', '5', ...extra]);
    const first = await check('--json');
    expect(first.exitCode, why(first)).toBe(0);
    expect(first.report?.since_last).toBeUndefined();
    await driftSysctl('h2', 'net.ipv4.ip_local_reserved_ports', '7000');
    const second = await check('--json');
    expect(second.exitCode, why(second)).toBe(1);
    expect(second.report?.since_last).toMatchObject({ previous: first.report?.startedAt, new_drift: ['h2'], fixed: [], new_unreachable: [] });
    // --fail-on without drift: the same state does not fail the run
    const lenient = await fleet(['check', policy, '--fail-on', 'unreachable,failed']);
    expect(lenient.exitCode, why(lenient)).toBe(0);
    const fix = await fleet(['apply', policy, '--yes']);
    expect(fix.exitCode, why(fix)).toBe(0);
    const third = await check('--report', `html=${html}`);
    expect(third.exitCode, why(third)).toBe(0);
    expect(third.stdout).toMatch(/^since last run \(.*\): 0 new drift, 1 fixed \(h2\), 0 new unreachable$/m);
    expect(readdirSync(dir).filter((n) => n.endsWith('-check.json'))).toHaveLength(3);
    expect(readFileSync(html, 'utf8').match(/<g><title>/g)).toHaveLength(3);
  });
});
