/**
 * Pull mode for real (issue 16): five lab hosts run ansible-pull from a local
 * git repository inside their own namespaces, each serves its textfile
 * through its own node_exporter on its lab address, and one Prometheus on
 * 127.0.0.1 scrapes the lab addresses only; `fleet status` reads Prometheus.
 * h6 is outside the policy's inventory: it reports itself not governed.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { run, which } from '../../src/io/exec.js';
import { labPull, startHostExporter, startLabPrometheus, stopHostExporter, TEXTFILE_DIR, type LabPrometheus } from '../../src/lab/index.js';
import type { RunReport } from '../../src/verify/types.js';
import { checkExposition } from '../report/prom-format.js';
import { describeLab, driftSysctl, lab, resetAll, sshHost } from './helpers.js';
import { fleet, why, workDir, writePolicy } from './fleet.js';

const GOVERNED = ['h1', 'h2', 'h3', 'h4', 'h5'];
const DESIRED = '40000-40100';
const haveTools = Boolean((await which('prometheus')) && (await which('prometheus-node-exporter')) && (await which('ansible-pull')) && (await which('git')));
if (!haveTools && process.env.CI === 'true')
  throw new Error('pull lab test: prometheus, prometheus-node-exporter, ansible-pull and git are needed (run scripts/bootstrap)');
const describePull = haveTools ? describeLab : describeLab.skip;

let prom: LabPrometheus | undefined;
let policy: string;
let repoUrl: string;

const git = async (cwd: string, ...args: string[]) => {
  const r = await run('git', ['-c', 'user.name=fleet-test', '-c', 'user.email=fleet-test@invalid', '-c', 'init.defaultBranch=main', ...args], {
    cwd,
    write: true,
  });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
};

const pull = (host: string, ...args: string[]) => labPull(host, repoUrl, args, lab().dir);
const pullAll = (hosts: string[], ...args: string[]) => Promise.all(hosts.map((h) => pull(h, ...args)));
const textfile = (host: string) => readFileSync(join(lab().dir, 'hosts', host, 'textfile', 'fleet.prom'), 'utf8');
const lastRun = (host: string) => checkExposition(textfile(host)).samples.find((s) => s.name === 'fleet_last_run_timestamp_seconds')!.value;

async function status(...args: string[]) {
  const r = await fleet(['status', policy, '--prometheus', prom!.url, '--json', ...args]);
  return { ...r, report: r.stdout.trim().startsWith('{') ? (JSON.parse(r.stdout) as RunReport) : undefined };
}

/** Prometheus scrapes every second: ask until the answer says what we wait for (bounded), return the last answer. */
async function statusUntil(pred: (r: Awaited<ReturnType<typeof status>>) => boolean, ...args: string[]) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await status(...args);
    if (pred(r) || Date.now() > deadline) return r;
    await new Promise((ok) => setTimeout(ok, 500));
  }
}

const verdicts = (r: { report?: RunReport }) => Object.fromEntries((r.report?.hosts ?? []).map((h) => [h.host, h.verdict]));

describePull('pull mode: ansible-pull on every host, Prometheus for the fleet view', () => {
  beforeAll(async () => {
    await resetAll();
    const machineBefore = (await run('sysctl', ['-n', 'net.ipv4.ip_local_reserved_ports'])).stdout;
    const exporters = await Promise.all(lab().hosts.map((h) => startHostExporter(h.name, lab().dir)));
    const work = join(workDir(), 'pull');
    mkdirSync(work, { recursive: true });
    prom = await startLabPrometheus(
      join(work, 'prometheus'),
      exporters.map((e) => e.target),
    );
    policy = writePolicy({ reserved_ports: DESIRED, ephemeral_range: '1024-65000', inventory: { hosts: Object.fromEntries(GOVERNED.map((h) => [h, null])) } });
    const repo = join(work, 'repo');
    const r = await fleet(['render', policy, '--pull', '--out', repo]);
    expect(r.exitCode, why(r)).toBe(0);
    await git(repo, 'init', '-q');
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-q', '-m', 'fleet render --pull');
    repoUrl = `file://${repo}`;
    expect((await run('sysctl', ['-n', 'net.ipv4.ip_local_reserved_ports'])).stdout).toBe(machineBefore);
  });
  afterAll(async () => {
    await prom?.stop();
    // later test files share these hosts: an exporter left listening on :9100 would be a listener they see
    await Promise.all(lab().hosts.map((h) => stopHostExporter(h.name, lab().dir)));
  });

  it('before any pull run every host is not_run (no metrics) and status exits 1', async () => {
    const r = await status();
    expect(r.exitCode, why(r)).toBe(1);
    expect(r.report?.summary).toMatchObject({ hosts: 5, not_run: 5 });
    expect(r.report?.hosts[0]?.message).toMatch(/no pull metrics/);
  });

  it('enforce: 5 hosts pulling reach the policy (checked over ssh), status reports 5 compliant and exits 0; h6, outside the inventory, reports itself not governed', async () => {
    const machineBefore = (await run('sysctl', ['-n', 'net.ipv4.ip_local_reserved_ports'])).stdout;
    const [h6, ...runs] = await pullAll(['h6', ...GOVERNED]);
    for (const [i, r] of runs.entries()) expect(r.exitCode, `${GOVERNED[i]}: ${r.stdout.slice(-2000)}${r.stderr}`).toBe(0);
    for (const h of GOVERNED) {
      expect((await sshHost(h, 'sysctl -n net.ipv4.ip_local_reserved_ports')).trim(), h).toBe(DESIRED);
      expect(await sshHost(h, 'cat /etc/sysctl.d/90-fleet-reserved-ports.conf'), h).toContain(`net.ipv4.ip_local_reserved_ports=${DESIRED}`);
      expect(checkExposition(textfile(h)).problems, h).toEqual([]);
    }
    // the textfile folder is the host's own: nothing lands in the machine's
    expect(existsSync(join(TEXTFILE_DIR, 'fleet.prom'))).toBe(false);
    expect((await run('sysctl', ['-n', 'net.ipv4.ip_local_reserved_ports'])).stdout).toBe(machineBefore);
    const r = await statusUntil((x) => x.exitCode === 0);
    expect(r.exitCode, why(r)).toBe(0);
    expect(r.report?.summary).toMatchObject({ hosts: 5, compliant: 5 });
    expect(r.report?.command).toBe('status');

    // h6: its run fails loudly, its textfile says fleet_governed 0, nothing applied, and it is no verdict of the policy
    expect(h6!.exitCode).not.toBe(0);
    expect(h6!.stdout + h6!.stderr).toMatch(/h6\) is not in the policy's inventory: not governed/);
    const s = checkExposition(textfile('h6')).samples;
    expect(s.find((x) => x.name === 'fleet_governed')).toMatchObject({ labels: { host: 'h6' }, value: 0 });
    expect(s.some((x) => x.name === 'fleet_compliant')).toBe(false);
    expect((await sshHost('h6', 'sysctl -n net.ipv4.ip_local_reserved_ports')).trim()).toBe('');
    expect(r.stderr).toMatch(/1 host\(s\) report under this policy but are not in its inventory: h6/);
  });

  it('drift on h2: a check-mode pull reports it and status exits 1 naming h2 and the missing ports; an enforce pull fixes it', async () => {
    await driftSysctl('h2', 'net.ipv4.ip_local_reserved_ports', '40050');
    const check = await pull('h2', '-e', 'fleet_pull_mode=check');
    expect(check.exitCode).not.toBe(0);
    expect((await sshHost('h2', 'sysctl -n net.ipv4.ip_local_reserved_ports')).trim()).toBe('40050');
    const r = await statusUntil((x) => verdicts(x).h2 === 'drift');
    expect(r.exitCode, why(r)).toBe(1);
    const h2 = r.report?.hosts.find((h) => h.host === 'h2');
    expect(h2).toMatchObject({ verdict: 'drift', current: '40050', runtime: { missing: '40000-40049,40051-40100' } });
    expect(r.report?.summary).toMatchObject({ compliant: 4, drift: 1 });
    const table = await fleet(['status', policy, '--prometheus', prom!.url]);
    expect(table.exitCode).toBe(1);
    expect(table.stdout).toMatch(/h2.*40000-40049,40051-40100/);

    const enforce = await pull('h2');
    expect(enforce.exitCode, enforce.stdout.slice(-2000)).toBe(0);
    expect((await sshHost('h2', 'sysctl -n net.ipv4.ip_local_reserved_ports')).trim()).toBe(DESIRED);
    const fixed = await statusUntil((x) => verdicts(x).h2 === 'compliant');
    expect(verdicts(fixed).h2).toBe('compliant');
  });

  it('hosts whose timer stopped are stale (not_run) after the configured age; h2, which ran since, is not', async () => {
    const stopped = ['h1', 'h3', 'h4', 'h5'];
    const lastStopped = Math.max(...stopped.map(lastRun));
    // h2 must have run well after the others; how long the tests before took decides the natural gap, so make it when it is short
    if (lastRun('h2') - lastStopped <= 10) {
      await sleep(Math.max(0, (lastStopped + 11) * 1000 - Date.now()));
      const again = await pull('h2');
      expect(again.exitCode, again.stdout.slice(-2000)).toBe(0);
    }
    expect(lastRun('h2') - lastStopped, 'h2 ran after the others stopped').toBeGreaterThan(10);
    // an age between the stopped hosts' last run and h2's: they are past it, h2 is not
    const maxAge = Math.floor(Date.now() / 1000 - lastStopped) - 5;
    const r = await statusUntil((x) => x.report !== undefined, '--max-age', `${maxAge}s`);
    expect(verdicts(r)).toEqual({ h1: 'not_run', h2: 'compliant', h3: 'not_run', h4: 'not_run', h5: 'not_run' });
    expect(r.report?.hosts.find((h) => h.host === 'h5')?.message).toMatch(/^stale: last pull run \d+ s ago/);
    expect(r.exitCode).toBe(1);
  });
});
