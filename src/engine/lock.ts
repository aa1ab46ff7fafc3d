import { open, readFile, rename, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { ExitCode, FleetError } from '../errors.js';

/** What a lock file holds: enough to tell a live holder from a stale one. */
export interface LockInfo {
  pid: number;
  /** Process start time (clock ticks since boot, /proc/PID/stat field 22), to survive PID reuse. */
  start: string;
  host: string;
  command: string;
  since: string;
}

function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name may contain spaces and parentheses: fields start after the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** A lock is stale when its process is gone, or the PID now belongs to another process. */
export function isStale(info: LockInfo, thisHost = hostname()): boolean {
  if (info.host !== thisHost) return false; // cannot tell: another machine's lock on shared storage
  const start = processStart(info.pid);
  return start === undefined || start !== info.start;
}

export interface Lock {
  path: string;
  release(): Promise<void>;
  /** Set when a stale lock from a killed run was cleared on the way in. */
  clearedStale?: LockInfo;
}

/**
 * Take the per-policy lock so two runs never overlap. Creation is atomic
 * (O_EXCL). A stale lock is moved aside by rename, which only one of two
 * racing runs can win, then we try again.
 */
export async function acquireLock(path: string, command: string): Promise<Lock> {
  let clearedStale: LockInfo | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const info: LockInfo = { pid: process.pid, start: processStart(process.pid) ?? '', host: hostname(), command, since: new Date().toISOString() };
    try {
      const fh = await open(path, 'wx', 0o644);
      await fh.writeFile(JSON.stringify(info) + '\n');
      await fh.close();
      return {
        path,
        ...(clearedStale ? { clearedStale } : {}),
        release: async () => {
          await rm(path, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let held: LockInfo | undefined;
    try {
      held = JSON.parse(await readFile(path, 'utf8')) as LockInfo;
    } catch {
      held = undefined; // half-written or unreadable: treat as stale
    }
    if (held && !isStale(held)) {
      throw new FleetError(
        `another fleet ${held.command} is running on this policy (pid ${held.pid} on ${held.host}, since ${held.since})`,
        ExitCode.environment,
        [`wait for it to finish; if that process is gone, remove ${path}`],
      );
    }
    clearedStale = held;
    try {
      await rename(path, `${path}.stale-${process.pid}`);
      await rm(`${path}.stale-${process.pid}`, { force: true });
    } catch {
      // another run cleared it first; retry
    }
  }
  throw new FleetError(`could not take the lock ${path}`, ExitCode.environment);
}
