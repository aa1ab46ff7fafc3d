/** The one /proc reader: a process's state, start time and command line (Linux; undefined or '' elsewhere). */
import { readFileSync } from 'node:fs';

/** /proc/PID/stat's fields after the command name: [state, ppid, ...]; field 22 (start time) is index 19. */
function statFields(pid: number, procRoot: string): string[] | undefined {
  try {
    const stat = readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
    // the command name may contain spaces and parentheses: fields start after the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Process start time (clock ticks since boot): tells a live process from a reused PID. */
export function processStart(pid: number, procRoot = '/proc'): string | undefined {
  return statFields(pid, procRoot)?.[19];
}

/** Alive and not a zombie. One argument only: it is passed to `Array.some` as is. */
export function procAlive(pid: number | null | undefined): pid is number {
  if (!pid) return false;
  const state = statFields(pid, '/proc')?.[0];
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** The command line, arguments joined by spaces; '' when the process is gone. */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}
