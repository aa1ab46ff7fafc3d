/**
 * Processes the lab started, identified by PID and double-checked before any
 * signal: a recorded PID may have been reused by an unrelated process.
 */
import { readdirSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { cmdline, procAlive } from '../io/proc.js';

/** Identity (device:inode) of a namespace file, or undefined. */
function nsId(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** Identity of a named network namespace (its /run/netns bind mount), or undefined when absent. */
export function netnsInode(name: string): string | undefined {
  return nsId(`/run/netns/${name}`);
}

/** Is this PID alive and inside the named network namespace? */
export function pidInNetns(pid: number | null | undefined, netns: string): pid is number {
  if (!procAlive(pid)) return false;
  const want = netnsInode(netns);
  return want !== undefined && nsId(`/proc/${pid}/ns/net`) === want;
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

/** Every process in a network namespace (sshd, its sessions, anything they started); what `ip netns pids` does, without a spawn. */
export async function netnsPids(netns: string): Promise<number[]> {
  const want = netnsInode(netns);
  if (want === undefined) return [];
  return allPids().filter((pid) => nsId(`/proc/${pid}/ns/net`) === want && procAlive(pid));
}

/** PIDs whose command line contains `needle` (used for proxies of a lab whose state file is lost). */
export function pidsWithCmdline(needle: string): number[] {
  return allPids().filter((pid) => cmdline(pid).includes(needle));
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
