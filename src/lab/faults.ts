/**
 * Faults and life-cycle of single hosts, for demos and tests: unreachable
 * (sshd stopped), drift (sysctl set behind Ansible's back), read-only
 * /proc/sys, reboot, and network latency.
 */
import { readFileSync } from 'node:fs';
import { run, type ExecResult } from '../io/exec.js';
import { ExitCode, FleetError } from '../errors.js';
import { checkLabEnvironment } from './env.js';
import { rebootHostRecord, startSshdFor, stopSshdFor, type BootSysctl } from './host.js';
import { writeInventory } from './inventory.js';
import { pidInNetns } from './procs.js';
import { proxyAlive, startProxy, stopProxy } from './proxy.js';
import { defaultLabDir, findHost, requireState, saveState } from './state.js';
import type { LabHost, LabState } from './types.js';

/** Load the lab, act on one host, save what changed. */
async function withHost<T>(name: string, dir: string, fn: (state: LabState, host: LabHost) => Promise<T>): Promise<T> {
  const state = requireState(dir);
  const host = findHost(state, name);
  try {
    return await fn(state, host);
  } finally {
    await saveState(state);
  }
}

async function sshdPath(): Promise<string> {
  return (await checkLabEnvironment()).sshd!;
}

function runningPid(host: LabHost): number {
  if (!pidInNetns(host.sshdPid, host.netns)) {
    throw new FleetError(`host ${host.name} is stopped: start it with \`fleet lab start ${host.name}\``, ExitCode.environment);
  }
  return host.sshdPid;
}

function check(r: ExecResult, what: string): string {
  if (r.exitCode !== 0) throw new FleetError(`${what} failed: ${(r.stderr || r.spawnError || r.stdout).trim()}`, ExitCode.environment);
  return r.stdout;
}

/** Make the host unreachable: its sshd and every open session end. */
export async function stopSshd(name: string, dir = defaultLabDir()): Promise<void> {
  await withHost(name, dir, (_s, host) => stopSshdFor(host));
}

export async function startSshd(name: string, dir = defaultLabDir()): Promise<void> {
  const path = await sshdPath();
  await withHost(name, dir, (_s, host) => startSshdFor(host, path));
}

/** Only per-network-namespace keys: anything else would change the real machine. */
function checkNetKey(key: string): void {
  if (!/^net(\.[A-Za-z0-9_-]+)+$/.test(key)) {
    throw new FleetError(`refusing sysctl key "${key}": lab hosts share the machine's kernel, only net.* keys are per host`, ExitCode.invalid);
  }
}

/** `sysctl -w KEY=VALUE` inside the host's network namespace (drift). Returns the value read back. */
export async function labSysctl(name: string, key: string, value: string, dir = defaultLabDir()): Promise<string> {
  checkNetKey(key);
  if (/[\n\0]/.test(value)) throw new FleetError('sysctl value must be one line', ExitCode.invalid);
  return withHost(name, dir, async (_s, host) => {
    check(await run('ip', ['netns', 'exec', host.netns, 'sysctl', '-w', `${key}=${value}`], { write: true }), `sysctl -w ${key} on ${name}`);
    // sysctl -w echoes what it was given; the kernel's canonical form comes from reading back.
    return check(await run('ip', ['netns', 'exec', host.netns, 'sysctl', '-n', key]), `sysctl -n ${key} on ${name}`).trim();
  });
}

/** Run argv inside the host's network, mount and UTS namespaces (what an ssh session sees). */
export async function labExec(name: string, argv: readonly string[], dir = defaultLabDir()): Promise<ExecResult> {
  if (argv.length === 0) throw new FleetError('nothing to run: give a command after --', ExitCode.invalid);
  return withHost(name, dir, async (_s, host) => {
    const pid = runningPid(host);
    return run('nsenter', ['-t', String(pid), '-n', '-m', '-u', '--', ...argv], { write: true, cwd: '/', env: { HOME: '/root' } });
  });
}

function procSysReadOnly(pid: number): boolean {
  const mounts = readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n');
  return mounts.some((line) => {
    const f = line.split(' ');
    return f[4] === '/proc/sys' && (f[5] ?? '').split(',').includes('ro');
  });
}

/**
 * Read-only /proc/sys in the host's mount namespace, so setting any sysctl
 * fails there. The namespace is sshd's and private, so sessions see it and
 * the machine does not.
 */
export async function readOnlyProcSys(name: string, on: boolean, dir = defaultLabDir()): Promise<void> {
  await withHost(name, dir, async (_s, host) => {
    const pid = String(runningPid(host));
    const ns = ['-t', pid, '-m', '--'];
    if (on && !procSysReadOnly(Number(pid))) {
      check(await run('nsenter', [...ns, 'mount', '--bind', '/proc/sys', '/proc/sys'], { write: true }), `bind /proc/sys on ${name}`);
      check(await run('nsenter', [...ns, 'mount', '-o', 'remount,bind,ro', '/proc/sys'], { write: true }), `remount /proc/sys read-only on ${name}`);
    }
    while (!on && procSysReadOnly(Number(pid))) {
      check(await run('nsenter', [...ns, 'umount', '/proc/sys'], { write: true }), `unmount /proc/sys on ${name}`);
    }
    host.readOnlyProcSys = on;
  });
}

/**
 * Reboot: processes gone, namespace recreated (kernel defaults), the host's
 * /etc/sysctl.d/*.conf applied in name order as at boot, sshd started.
 */
export async function rebootHost(name: string, dir = defaultLabDir()): Promise<BootSysctl[]> {
  const path = await sshdPath();
  return withHost(name, dir, (state, host) => rebootHostRecord(state, host, path));
}

/** Delay every chunk by `ms` each way through a proxy; 0 removes it. Rewrites the inventory. */
export async function setLatency(name: string, ms: number, dir = defaultLabDir()): Promise<void> {
  if (!Number.isInteger(ms) || ms < 0 || ms > 60_000) throw new FleetError(`latency must be whole milliseconds from 0 to 60000, got ${ms}`, ExitCode.invalid);
  await withHost(name, dir, async (state, host) => {
    if (ms === host.latencyMs && (ms === 0 || proxyAlive(state, host))) return;
    await stopProxy(state, host);
    host.proxyPid = null;
    host.latencyMs = 0;
    if (ms > 0) {
      host.proxyPid = await startProxy(state, host, ms);
      host.latencyMs = ms;
    }
    await writeInventory(state);
  });
}

export async function clearLatency(name: string, dir = defaultLabDir()): Promise<void> {
  await setLatency(name, 0, dir);
}
