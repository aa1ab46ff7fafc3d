/**
 * Reliability of fleet apply on the lab (issue 6): no retry storms on partial
 * failure, rolling rollouts that stop, interruption by SIGINT/SIGTERM, and
 * the per-policy lock. Every claim about a host is checked on the host itself.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { runtimeBase, shortName } from '../../src/engine/runtime-dir.js';
import type { RunReport } from '../../src/verify/types.js';
import { describeLab, driftSysctl, hostNames, labHost, latency, resetAll, setReadOnly, sshHost, stopHost } from './helpers.js';
import { CLI, fleet, hostResult, why, workDir, writePolicy } from './fleet.js';

const PERSIST = '/etc/sysctl.d/90-fleet-reserved-ports.conf';
const read = async (h: string) => (await sshHost(h, 'sysctl -n net.ipv4.ip_local_reserved_ports')).trim();
// without fleet's header line (version, policy sha256, time of the apply)
const persisted = async (h: string) => (await sshHost(h, `grep -v '^# Managed by fleet ' ${PERSIST} 2>/dev/null || true`)).trim();
const VALUE = '40000-40100';
const LINE = `net.ipv4.ip_local_reserved_ports=${VALUE}`;

/** Playbook runs recorded by FLEET_TRACE_EXEC (the `ansible-playbook --version` environment probe aside). */
function playbookRuns(traceFile: string): string[] {
  if (!existsSync(traceFile)) return [];
  return (
    readFileSync(traceFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { cmd: string; args: string[] })
      .filter((e) => e.cmd === 'ansible-playbook' && !e.args.includes('--version'))
      // the playbook, as playbooks/NAME.yml (fleet passes its absolute path, then the inventories)
      .map((e) => (e.args[0] ?? '').split('/').slice(-2).join('/'))
  );
}

/**
 * Processes that belong to a run: their command line, working directory or
 * environment mentions the run's own state dir or its private runtime folder
 * (ansible-playbook runs a playbook from the state dir; its forks and ssh
 * children inherit ANSIBLE_SSH_CONTROL_PATH_DIR; SSH ControlMasters name their
 * socket in the runtime folder).
 */
function processesOf(...dirs: string[]): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (!args) continue; // kernel thread or zombie
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        // gone meanwhile
      }
      let env = '';
      try {
        env = readFileSync(`/proc/${pid}/environ`, 'utf8');
      } catch {
        // gone meanwhile
      }
      if (dirs.some((d) => args.includes(d) || cwd.startsWith(d) || env.includes(d))) found.push(`${pid} ${args}`);
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** `fleet apply POLICY --yes --json` as a child we can signal, with its own state dir. */
function startApply(policy: string) {
  const stateDir = mkdtempSync(join(workDir(), 'run-'));
  const child: ResultPromise = execa(process.execPath, [CLI, 'apply', policy, '--yes', '--json'], {
    env: { FLEET_STATE_DIR: stateDir, NO_COLOR: '1' },
    reject: false,
    timeout: 170_000,
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const waitFor = async (what: () => boolean, label: string, ms = 90_000): Promise<void> => {
    const until = Date.now() + ms;
    while (!what()) {
      if (child.exitCode !== null) throw new Error(`fleet exited (${child.exitCode}) before ${label}:\n${stderr}`);
      if (Date.now() > until) throw new Error(`timed out waiting for ${label}:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const lockFile = join(stateDir, basename(policy, extname(policy)), 'lock');
  return { child, stateDir, lockFile, stderr: () => stderr, waitFor };
}

async function slowFleet(ms: number): Promise<void> {
  for (const h of hostNames()) await latency(h, ms);
}

describeLab('fleet reliability', () => {
  beforeEach(async () => {
    await resetAll();
  });
  afterEach(async () => {
    await resetAll(); // clears latency too
  });

  it('partial failure: Ansible runs exactly once (read, plan and apply in one run; no retries) and the summary counts the hosts that succeeded', async () => {
    await stopHost('h5');
    await setReadOnly('h6', true);
    const trace = join(workDir(), 'trace-partial.jsonl');
    const r = await fleet(['apply', writePolicy({ reserved_ports: VALUE }), '--yes'], { FLEET_TRACE_EXEC: trace });
    expect(r.exitCode, why(r)).toBe(1);
    // read, plan and apply in one run; the unreachable and failing hosts are not retried
    expect(playbookRuns(trace)).toEqual(['playbooks/run.yml']);
    expect(r.stdout).toMatch(/^6 hosts: 4 changed, 4 compliant, 0 drift, 1 failed, 1 unreachable, 0 not run, 0 refused$/m);
    for (const h of ['h1', 'h2', 'h3', 'h4']) expect(await read(h), h).toBe(VALUE);
    // the host that could not be set got no persistence file either (the next boot is not broken)
    expect(await read('h6')).toBe('');
    expect(await persisted('h6')).toBe('');
    // the unreachable host was not touched: its /etc/sysctl.d is a folder on this machine
    expect(readdirSync(labHost('h5').sysctlDir)).toEqual([]);
  });

  it('rolling rollout: a failure in the first batch (serial 2, max_fail_percentage 0) stops it; later batches keep their old value', async () => {
    // The apply play orders its hosts by name (order: sorted), so batch 1 is h1,h2.
    // The fault is read-only /proc/sys, not a stopped sshd: a host unreachable when fleet reads it is left out of
    // the apply run, and ansible-core 2.14's linear strategy does not count unreachable hosts towards
    // max_fail_percentage (only a batch that is entirely unreachable stops the play).
    for (const h of hostNames()) await driftSysctl(h, 'net.ipv4.ip_local_reserved_ports', '30000');
    await setReadOnly('h1', true);
    const r = await fleet(['apply', writePolicy({ reserved_ports: VALUE, ansible: { serial: 2, max_fail_percentage: 0 } }), '--yes', '--json']);
    expect(r.exitCode, why(r)).toBe(1);
    expect(hostResult(r.report, 'h1')).toMatchObject({ verdict: 'failed' });
    expect(hostResult(r.report, 'h1').message).toMatch(/permission denied|read-only/i);
    for (const h of ['h3', 'h4', 'h5', 'h6']) {
      expect(hostResult(r.report, h), h).toMatchObject({ verdict: 'not_run', changed: false });
      expect(hostResult(r.report, h).message, h).toMatch(/rollout stopped/);
      expect(await read(h), h).toBe('30000');
      expect(await persisted(h), h).toBe('');
    }
    // h2 shared the failed batch: whatever fleet says about it must match the host
    const h2 = hostResult(r.report, 'h2');
    const h2Value = await read('h2');
    expect(['30000', VALUE]).toContain(h2Value);
    expect(h2.changed, JSON.stringify(h2)).toBe(h2Value === VALUE);
    expect(r.report?.summary).toMatchObject({ hosts: 6, not_run: 4 });
  });

  // SIGHUP: a closed terminal or SSH session during apply (issue 15 case 6)
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${sig} during a slow apply: exit ${code}, one JSON report with every host, no stray process, no half-written file`, async () => {
      await slowFleet(300);
      const policy = writePolicy({ reserved_ports: VALUE, ansible: { serial: 1 } });
      const run = startApply(policy);
      await run.waitFor(() => /apply: 1\/6 hosts done/.test(run.stderr()), 'the first host to be applied');
      // the detector sees the run's Ansible while it runs, so an empty list afterwards means something
      const sockets = join(runtimeBase(), shortName(join(run.stateDir, basename(policy, extname(policy)))));
      const during = processesOf(run.stateDir, sockets).join('\n');
      expect(during).toMatch(/ansible-playbook/);
      expect(during).toMatch(/\[mux\]/); // h1's SSH ControlMaster, kept by ControlPersist
      run.child.kill(sig);
      const r = await run.child;
      expect(r.exitCode, run.stderr()).toBe(code);
      expect(run.stderr()).toContain(`${sig}: stopping Ansible`);
      const report = JSON.parse(String(r.stdout)) as RunReport; // exactly one document, or this throws
      expect(report.interrupted).toBe(sig);
      expect(report.hosts.map((h) => h.host).sort()).toEqual(hostNames().sort());
      expect(hostResult(report, 'h1')).toMatchObject({ verdict: 'compliant', changed: true });
      for (const h of ['h4', 'h5', 'h6']) {
        expect(hostResult(report, h), h).toMatchObject({ verdict: 'not_run', changed: false });
        expect(hostResult(report, h).message, h).toMatch(/interrupted/);
      }
      expect(processesOf(run.stateDir, sockets)).toEqual([]);
      expect(existsSync(run.lockFile)).toBe(false);
      await slowFleet(0);
      for (const h of hostNames()) {
        const file = await persisted(h);
        // absent, or exactly the one canonical line: never a partial write
        if (file !== '') expect(file, h).toBe(LINE);
        const verdict = hostResult(report, h).verdict;
        if (verdict === 'not_run') expect(await read(h), h).toBe(''); // "not run" is true on the host
        if (verdict === 'compliant') expect([await read(h), file], h).toEqual([VALUE, LINE]);
      }
    });
  }

  it('a check on the same policy while an apply runs refuses (exit 3, names the apply and its pid); afterwards it runs', async () => {
    await slowFleet(300);
    const policy = writePolicy({ reserved_ports: VALUE, ansible: { serial: 1 } });
    const run = startApply(policy);
    await run.waitFor(() => existsSync(run.lockFile), 'the apply to take its lock');
    const env = { FLEET_STATE_DIR: run.stateDir };
    const second = await fleet(['check', policy], env);
    expect(second.exitCode, why(second)).toBe(3);
    expect(second.stderr).toContain('another fleet apply is running');
    expect(second.stderr).toContain(`pid ${run.child.pid}`);
    const apply2 = await fleet(['apply', policy, '--yes'], env);
    expect(apply2.exitCode, why(apply2)).toBe(3);
    expect(apply2.stderr).toContain('another fleet apply is running');
    run.child.kill('SIGINT');
    await run.child;
    await slowFleet(0);
    const after = await fleet(['check', policy, '--json'], env);
    expect([0, 1], why(after)).toContain(after.exitCode);
    expect(after.report?.summary.hosts).toBe(6);
    expect(after.stderr).not.toMatch(/another fleet|stale lock/);
  });

  it('a stale lock (its process is gone, or its pid was reused) is cleared with a warning and the run goes on', async () => {
    const policy = writePolicy({ reserved_ports: VALUE });
    const stateDir = mkdtempSync(join(workDir(), 'stale-'));
    const lockFile = join(stateDir, basename(policy, extname(policy)), 'lock');
    const dead = spawnSync('true');
    expect(dead.pid).toBeGreaterThan(0);
    const locks = [
      // the killed run's process has exited
      { pid: dead.pid, start: '1', host: hostname(), command: 'apply', since: '2020-01-01T00:00:00.000Z' },
      // the pid is alive but belongs to another process now (its start time differs)
      { pid: process.pid, start: '1', host: hostname(), command: 'apply', since: '2020-01-01T00:00:00.000Z' },
    ];
    for (const lock of locks) {
      mkdirSync(dirname(lockFile), { recursive: true });
      writeFileSync(lockFile, JSON.stringify(lock) + '\n');
      const r = await fleet(['check', policy, '--json', '--limit', 'h1'], { FLEET_STATE_DIR: stateDir });
      expect(r.exitCode, why(r)).toBe(1); // h1 is at kernel defaults: drift
      expect(r.stderr).toContain(`cleared a stale lock left by pid ${lock.pid}`);
      expect(hostResult(r.report, 'h1').current).toBe('');
      expect(existsSync(lockFile)).toBe(false);
    }
  });
});
