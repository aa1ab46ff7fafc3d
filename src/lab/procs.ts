/**
 * Processes the lab started, identified by PID and double-checked before any
 * signal: a recorded PID may have been reused by an unrelated process.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from '../io/exec.js';

/** Alive and not a zombie. */
export function procAlive(pid: number | null | undefined): pid is number {
  if (!pid) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Inode of a named network namespace (its /run/netns bind mount), or undefined. */
export function netnsInode(name: string): number | undefined {
  try {
    return statSync(`/run/netns/${name}`).ino;
  } catch {
    return undefined;
  }
}

/** Is this PID alive and inside the named network namespace? */
export function pidInNetns(pid: number | null | undefined, netns: string): pid is number {
  if (!procAlive(pid)) return false;
  const want = netnsInode(netns);
  try {
    return want !== undefined && statSync(`/proc/${pid}/ns/net`).ino === want;
  } catch {
    return false;
  }
}

/** Every process in a network namespace (sshd, its sessions, anything they started). */
export async function netnsPids(netns: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', netns]);
  if (r.exitCode !== 0) return [];
  return r.stdout.split(/\s+/).filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 1 && n !== process.pid);
}

/** PIDs whose command line contains `needle` (used for proxies of a lab whose state file is lost). */
export function pidsWithCmdline(needle: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => pid !== process.pid && cmdline(pid).includes(needle));
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL what is left; resolves when all are gone. */
export async function killAndWait(pids: readonly number[], graceMs = 2000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(procAlive) && Date.now() < deadline) await sleep(20);
  if (!pids.some(procAlive)) return;
  signal('SIGKILL');
  while (pids.some(procAlive)) await sleep(20);
}
