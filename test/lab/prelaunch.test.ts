/**
 * A repeated `fleet check` starts ansible-playbook before validating
 * (engine/prelaunch.ts), held at the start gate of fleet's callback plugin
 * until fleet has checked it is the run it wants. On real hosts: the adopted
 * process gives the same verdicts as a fresh one, it reads the host as it is
 * now, and anything that changed the run (the policy, the rendered project)
 * means a fresh process, never the speculative one. The trace
 * (FLEET_TRACE_EXEC) says which processes started.
 */
import { appendFileSync, chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cmdline, procAlive, processStart } from '../../src/io/proc.js';
import { pidsWithCmdline } from '../../src/lab/procs.js';
import { describeLab, driftSysctl, hostNames, lab, resetAll } from './helpers.js';
import { fleet, hostResult, why, workDir, writePolicy } from './fleet.js';

interface Spawned {
  cmd: string;
  args: string[];
  speculative?: boolean;
}

let n = 0;
/** `fleet check POLICY --limit HOST --json` with its process trace. */
async function check(policy: string, host: string, env: Record<string, string> = {}) {
  const trace = join(workDir(), `prelaunch-trace-${++n}.jsonl`);
  writeFileSync(trace, '');
  const r = await fleet(['check', policy, '--limit', host, '--json'], { FLEET_TRACE_EXEC: trace, ...env });
  const spawned = readFileSync(trace, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Spawned);
  return { ...r, playbooks: spawned.filter((s) => s.cmd === 'ansible-playbook' && !s.args.includes('--version')) };
}

/** A new policy checked once on `host` (the run that records its command line), and its state folder. */
async function checkedOnce(host: string): Promise<{ policy: string; stateDir: string }> {
  const policy = writePolicy({ reserved_ports: '40000-40100' });
  await check(policy, host);
  return { policy, stateDir: join(workDir(), 'state', basename(policy, '.yaml')) };
}

/** ansible-playbook processes still running over this policy's state folder. */
const leftOver = (stateDir: string): number[] => pidsWithCmdline(stateDir).filter((pid) => cmdline(pid).includes('ansible-playbook') && procAlive(pid));

describeLab('a repeated check starts Ansible early, and uses it only when it is the run fleet wants', () => {
  let host: string;
  beforeAll(async () => {
    await resetAll();
    host = hostNames()[0]!;
  });

  it('the second run adopts the process it started before validating: one ansible-playbook, same verdicts', async () => {
    const policy = writePolicy({ reserved_ports: '40000-40100' });
    expect((await fleet(['apply', policy, '--yes', '--json'])).exitCode).toBe(0);
    const first = await check(policy, host);
    expect(first.exitCode, why(first)).toBe(0);
    expect(first.playbooks.map((p) => Boolean(p.speculative))).toEqual([false]);
    const second = await check(policy, host);
    expect(second.exitCode, why(second)).toBe(0);
    expect(second.playbooks.map((p) => Boolean(p.speculative))).toEqual([true]);
    expect(second.report!.summary).toEqual(first.report!.summary);
    expect(hostResult(second.report, host).verdict).toBe('compliant');

    // the adopted process reads the host as it is now
    await driftSysctl(host, 'net.ipv4.ip_local_reserved_ports', '40000-40050');
    const drifted = await check(policy, host);
    expect(drifted.playbooks.map((p) => Boolean(p.speculative))).toEqual([true]);
    expect(drifted.exitCode, why(drifted)).toBe(1);
    expect(hostResult(drifted.report, host).verdict).toBe('drift');
  });

  it('an edited policy starts nothing early: the run validates it first, then starts Ansible', async () => {
    const { policy } = await checkedOnce(host);
    writeFileSync(policy, stringify({ version: 1, inventory: lab().inventory, min_ephemeral_ports: 1000, reserved_ports: '40000-40200' }));
    const r = await check(policy, host);
    expect(r.playbooks.map((p) => Boolean(p.speculative))).toEqual([false]);
    expect(hostResult(r.report, host).verdict).toBe('drift');
    // an invalid policy: refused before any Ansible process, even though the same command line ran before
    writeFileSync(policy, stringify({ version: 1, inventory: lab().inventory, reserved_ports: '70000' }));
    const bad = await check(policy, host);
    expect(bad.exitCode).toBe(2);
    expect(bad.playbooks).toEqual([]);
  });

  it('a rendered project that changed since the early start: that process is stopped at its gate, a fresh one runs', async () => {
    const { policy, stateDir } = await checkedOnce(host);
    // as if another fleet version had rendered the project: the early process may load these bytes, fleet would write others
    appendFileSync(join(stateDir, 'check', 'playbooks', 'check.yml'), '# changed\n');
    await sleep(100);
    const r = await check(policy, host);
    expect(r.exitCode, why(r)).toBe(1);
    expect(r.playbooks.map((p) => Boolean(p.speculative))).toEqual([true, false]);
    expect(readFileSync(join(stateDir, 'check', 'playbooks', 'check.yml'), 'utf8')).not.toContain('# changed');
    // and the next run adopts again
    const again = await check(policy, host);
    expect(again.playbooks.map((p) => Boolean(p.speculative))).toEqual([true]);
  });

  it('a run that fails before starting Ansible leaves no early process behind (it never passed its gate)', async () => {
    const { policy, stateDir } = await checkedOnce(host);
    // another run holds the policy's lock (this live test process): fleet refuses, exit 3, after the early start
    writeFileSync(
      join(stateDir, 'lock'),
      `${JSON.stringify({ pid: process.pid, start: processStart(process.pid), host: hostname(), command: 'apply', since: new Date().toISOString(), token: 'test' })}\n`,
    );
    try {
      const r = await check(policy, host);
      expect(r.exitCode, why(r)).toBe(3);
      expect(r.stderr).toContain('another fleet apply is running');
      expect(r.playbooks.map((p) => Boolean(p.speculative))).toEqual([true]);
      await sleep(200);
      expect(leftOver(stateDir)).toEqual([]);
    } finally {
      rmSync(join(stateDir, 'lock'), { force: true });
    }
  });

  it('a state folder others can write to: nothing starts early (its plugins would run before the check that refuses it)', async () => {
    const { policy, stateDir } = await checkedOnce(host);
    chmodSync(join(stateDir, 'check', 'playbooks'), 0o777);
    try {
      const r = await check(policy, host);
      expect(r.exitCode, why(r)).toBe(3);
      expect(r.playbooks).toEqual([]);
    } finally {
      chmodSync(join(stateDir, 'check', 'playbooks'), 0o700);
    }
  });
});
