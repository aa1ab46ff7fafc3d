/** What lab tests share: the injected lab, ssh to a host, fault helpers bound to the lab, and a per-host reset. */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, inject } from 'vitest';
import { run, type ExecResult } from '../../src/io/exec.js';
import {
  clearLatency,
  findHost,
  labExec,
  labSysctl,
  loadState,
  readOnlyProcSys,
  rebootHost,
  setLatency,
  sshArgv,
  startSshd,
  stopSshd,
  type LabHost,
  type LabState,
} from '../../src/lab/index.js';

/** Kernel defaults of the two keys fleet manages (checked against a fresh namespace in lab.test.ts). */
export const DEFAULT_RESERVED_PORTS = '';
export const DEFAULT_PORT_RANGE = '32768\t60999';

const provided = inject('lab');

export function labAvailable(): boolean {
  return provided !== null;
}

/** `describe` when the lab is up, `describe.skip` otherwise (global setup already said why, once). */
export const describeLab = labAvailable() ? describe : describe.skip;

/** Current lab state (re-read: faults change PIDs, latency changes endpoints). */
export function lab(): LabState {
  if (!provided) throw new Error('the lab is not running');
  return loadState(provided.dir) ?? provided;
}

export function labHost(name: string): LabHost {
  return findHost(lab(), name);
}

export function hostNames(): string[] {
  return lab().hosts.map((h) => h.name);
}

/** ssh to a host exactly as Ansible would reach it; the full result, never throws. */
export async function sshRun(host: string, cmd: string, timeoutMs = 20_000): Promise<ExecResult> {
  const state = lab();
  return run('ssh', sshArgv(state, findHost(state, host), cmd), { timeoutMs });
}

/** ssh to a host and return stdout; throws with stderr when the command fails. */
export async function sshHost(host: string, cmd: string): Promise<string> {
  const r = await sshRun(host, cmd);
  if (r.exitCode !== 0) throw new Error(`ssh ${host} ${JSON.stringify(cmd)} exited ${r.exitCode}: ${r.stderr.trim()}`);
  return r.stdout;
}

const dir = (): string => lab().dir;
export const stopHost = (host: string): Promise<void> => stopSshd(host, dir());
export const startHost = (host: string): Promise<void> => startSshd(host, dir());
export const driftSysctl = (host: string, key: string, value: string): Promise<string> => labSysctl(host, key, value, dir());
export const execIn = (host: string, argv: string[]): Promise<ExecResult> => labExec(host, argv, dir());
export const setReadOnly = (host: string, on: boolean): Promise<void> => readOnlyProcSys(host, on, dir());
export const reboot = (host: string) => rebootHost(host, dir());
export const latency = (host: string, ms: number): Promise<void> => setLatency(host, ms, dir());

/**
 * Runs inside the host's mount namespace only when every boot sysctl folder is
 * the host's own mount (never the machine's), then the given script.
 */
const GUARD = `for m in /etc/sysctl.d /run /usr/local/lib /usr/lib/sysctl.d; do awk -v m="$m" '$5 == m { found = 1 } END { exit !found }' /proc/self/mountinfo || { echo "not a lab host mount: $m" >&2; exit 9; }; done`;

/** Run a shell script inside the host's mount and network namespaces, after the guard; $1.. are `args`. */
export async function inHostBoot(host: string, script: string, args: string[] = []): Promise<ExecResult> {
  const h = labHost(host);
  const r = await run('nsenter', ['-t', String(h.sshdPid), '-m', '-n', '--', 'sh', '-c', `set -e\n${GUARD}\n${script}`, 'fleet-lab-test', ...args], {
    write: true,
  });
  if (r.exitCode !== 0) throw new Error(`on ${host}: ${script.split('\n')[0]} exited ${r.exitCode}: ${r.stderr.trim()}`);
  return r;
}

/** Write a boot sysctl file on a host (any of its sysctl.d folders): text, a symlink, or a mode. */
export async function bootFile(host: string, path: string, what: { text: string; mode?: string } | { link: string }): Promise<void> {
  if ('link' in what) await inHostBoot(host, 'ln -sfn "$2" "$1"', [path, what.link]);
  else await inHostBoot(host, 'printf %s "$2" > "$1"; chmod "$3" "$1"', [path, what.text, what.mode ?? '644']);
}

/** Back to a fresh host: no persisted sysctl files, default ports sysctls, sshd up, /proc/sys writable, no latency. */
export async function resetHost(host: string): Promise<void> {
  await clearLatency(host, dir());
  const h = labHost(host);
  for (const f of readdirSync(h.sysctlDir)) rmSync(join(h.sysctlDir, f), { recursive: true, force: true });
  await startSshd(host, dir());
  await inHostBoot(host, 'for d in /run/sysctl.d /usr/local/lib/sysctl.d /usr/lib/sysctl.d; do find "$d" -mindepth 1 -delete; done');
  await readOnlyProcSys(host, false, dir());
  await labSysctl(host, 'net.ipv4.ip_local_reserved_ports', DEFAULT_RESERVED_PORTS, dir());
  await labSysctl(host, 'net.ipv4.ip_local_port_range', DEFAULT_PORT_RANGE.replace('\t', ' '), dir());
}

export async function resetAll(): Promise<void> {
  for (const h of hostNames()) await resetHost(h);
}
