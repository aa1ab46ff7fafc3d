/**
 * fleet status without the lab: the real CLI (dist/) against a stand-in
 * Prometheus on 127.0.0.1 that answers /api/v1/query with crafted vectors —
 * the path from a Prometheus answer to the report, the table and the exit code.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/cli/status.js';
import { loadPolicy } from '../../src/policy/index.js';
import { planHosts } from '../../src/plan/desired.js';
import { inlineInventory } from '../../src/inventory/inline.js';
import { policyDigest, pullTargets } from '../../src/render/pull.js';
import type { RunReport } from '../../src/verify/types.js';
import { runCli } from '../support/cli.js';
import { sharedTempDir } from '../support/tmp.js';

const schema = JSON.parse(readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8')) as object;
const validateReport = new Ajv({ allErrors: true, strict: true }).compile(schema);
const dir = sharedTempDir('status');
const policyFile = join(dir, 'prod.yaml');
writeFileSync(
  policyFile,
  ['version: 1', 'reserved_ports: 5000-10000', 'min_ephemeral_ports: 1000', 'inventory:', '  hosts: { h1: , h2: , h3: }', ''].join('\n'),
);

let answer: unknown = {};
let lastQuery = '';
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    lastQuery = u.searchParams.get('query') ?? '';
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(answer));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

async function digest(): Promise<string> {
  const { policy } = await loadPolicy(policyFile);
  if (policy.inventory.kind !== 'inline') throw new Error('inline expected');
  return policyDigest(policy, pullTargets(planHosts(policy, inlineInventory(policy.inventory, policyFile)).plans));
}

function vector(hosts: Record<string, { current: string; compliant: boolean; age?: number; sha?: string }>, sha: string, now = Math.floor(Date.now() / 1000)) {
  const result = Object.entries(hosts).flatMap(([host, h]) => {
    const id = { host, policy: 'prod', policy_sha256: h.sha ?? sha, fleet_version: '0.1.0', mode: 'check' };
    const s = (name: string, v: number, extra: Record<string, string> = {}) => ({ metric: { __name__: name, ...id, ...extra }, value: [now, String(v)] });
    return [
      s('fleet_governed', 1),
      s('fleet_last_run_timestamp_seconds', now - (h.age ?? 20)),
      s('fleet_compliant', h.compliant ? 1 : 0),
      s('fleet_drift', h.compliant ? 0 : 1, { reason: 'runtime' }),
      s('fleet_host_info', 1, { desired: '5000-10000', current: h.current, persisted: '5000-10000', port_range: '', message: '' }),
    ];
  });
  return { status: 'success', data: { resultType: 'vector', result } };
}

const status = (...args: string[]) => runCli(['status', policyFile, '--prometheus', url, ...args]);

describe('fleet status (stand-in Prometheus)', () => {
  it('all hosts compliant: exit 0, the same table as check, one query for this policy', async () => {
    answer = vector(
      { h1: { current: '5000-10000', compliant: true }, h2: { current: '5000-10000', compliant: true }, h3: { current: '5000-10000', compliant: true } },
      await digest(),
    );
    const r = await status();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('3 hosts: 0 changed, 3 compliant, 0 drift, 0 failed, 0 unreachable, 0 not run, 0 refused');
    expect(lastQuery).toContain('policy="prod"');
  });

  it('drift on one host, one never reported, one stale: exit 1; JSON names the host, its missing ports and why; junit written', async () => {
    answer = vector({ h1: { current: '7000', compliant: false }, h3: { current: '5000-10000', compliant: true, age: 4000 } }, await digest());
    const junit = join(dir, 'status.xml');
    const r = await status('--json', '--max-age', '1h', '--report', `junit=${junit}`);
    expect(r.exitCode, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as RunReport;
    expect(report.command).toBe('status');
    expect(validateReport(report), JSON.stringify(validateReport.errors)).toBe(true);
    const h = Object.fromEntries(report.hosts.map((x) => [x.host, x]));
    expect(h.h1).toMatchObject({ verdict: 'drift', current: '7000', runtime: { missing: '5000-6999,7001-10000' } });
    expect(h.h2).toMatchObject({ verdict: 'not_run' });
    expect(h.h3).toMatchObject({ verdict: 'not_run', message: expect.stringMatching(/^stale: last pull run 1\.1 h ago, older than the allowed 1\.0 h/) });
    expect(readFileSync(junit, 'utf8')).toContain('5000-6999,7001-10000');
  });

  it('a host on another policy version is drift', async () => {
    answer = vector(
      {
        h1: { current: '5000-10000', compliant: true, sha: 'f'.repeat(64) },
        h2: { current: '5000-10000', compliant: true },
        h3: { current: '5000-10000', compliant: true },
      },
      await digest(),
    );
    const r = await status();
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/h1.*policy version ffffffffffff/);
  });

  it('Prometheus errors and unreachable Prometheus: exit 3 naming it; a bad URL or --max-age: exit 2', async () => {
    answer = { status: 'error', errorType: 'bad_data', error: 'invalid parameter "query"' };
    const bad = await status();
    expect(bad.exitCode).toBe(3);
    expect(bad.stderr).toContain('invalid parameter "query"');
    const down = await runCli(['status', policyFile, '--prometheus', 'http://127.0.0.1:1']);
    expect(down.exitCode).toBe(3);
    expect(down.stderr).toMatch(/cannot reach Prometheus at http:\/\/127\.0\.0\.1:1\//);
    expect((await runCli(['status', policyFile, '--prometheus', 'ftp://x'])).exitCode).toBe(2);
    expect((await runCli(['status', policyFile, '--prometheus', 'http://u:p@x'])).exitCode).toBe(2);
    expect((await status('--max-age', 'soon')).exitCode).toBe(2);
  });
});

describe('fleet render --pull', () => {
  it('writes the repository; --pull-mode without --pull and an additive policy are usage errors (exit 2)', async () => {
    const out = join(dir, 'repo');
    const ok = await runCli(['render', policyFile, '--pull', '--pull-mode', 'check', '--out', out]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(readFileSync(join(out, 'inventory.yml'), 'utf8')).toContain(`fleet_policy_sha256: "${await digest()}"`);
    expect(readFileSync(join(out, 'inventory.yml'), 'utf8')).toContain('fleet_pull_mode: "check"');
    const lone = await runCli(['render', policyFile, '--pull-mode', 'check', '--out', join(dir, 'x')]);
    expect(lone.exitCode).toBe(2);
    expect(lone.stderr).toContain('--pull-mode needs --pull');
    const additive = join(dir, 'additive.yaml');
    writeFileSync(additive, readFileSync(policyFile, 'utf8') + 'mode: additive\n');
    const r = await runCli(['render', additive, '--pull', '--out', join(dir, 'y')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('pull mode needs `mode: exact`');
  });
});

describe('parseDuration', () => {
  it.each([
    ['90', 90],
    ['90s', 90],
    ['30m', 1800],
    ['2h', 7200],
    ['1d', 86400],
  ])('%s = %i s', (t, s) => expect(parseDuration(t)).toBe(s));
  it.each(['0', '-1m', '1.5h', 'soon', ''])('%s is a usage error', (t) => expect(() => parseDuration(t)).toThrow(/--max-age/));
});
