/** A run that changes or reads hosts holds the policy's lock and traps the signals that end it early. */
import { dirname, join } from 'node:path';
import { killAll } from '../io/exec.js';
import { closeConnections } from './connections.js';
import { acquireLock, type Lock } from './lock.js';
import { controlDir, type Session } from './session.js';
import { ensureStateDir } from './workspace.js';

/** Where a guard says what it did (a stale lock cleared, a signal caught): the CLI's stderr. */
export type Notify = (message: string) => void;

/** Take the policy's lock for the whole run. */
export async function lockSession(s: Session, command: string, notify: Notify): Promise<Lock> {
  // checked again: the folder holding the playbooks we run must not be writable by others
  await ensureStateDir(s.stateDir, dirname(s.stateDir));
  const lock = await acquireLock(join(s.stateDir, 'lock'), command);
  if (lock.clearedStale) notify(`cleared a stale lock left by pid ${lock.clearedStale.pid} (${lock.clearedStale.command} since ${lock.clearedStale.since})`);
  if (lock.clearedUnreadable) notify('cleared an old unreadable lock file (a run killed while taking the lock)');
  return lock;
}

/** The signals that end a run early: Ctrl-C, a kill, and a closed terminal or SSH session. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * On SIGINT/SIGTERM/SIGHUP: stop Ansible and its SSH children (their process
 * group), let the run finish with what it has, and remember the signal for
 * the exit code (130/143/129). A second signal does the same again. After a
 * SIGHUP the terminal may be gone: a failed write to it must not end the run
 * before the report files are written and the lock released.
 */
export function trapSignals(notify: Notify): { signal: () => NodeJS.Signals | undefined; dispose: () => void } {
  let got: NodeJS.Signals | undefined;
  const ignore = () => undefined;
  const handler = (sig: NodeJS.Signals) => {
    got = sig;
    if (sig === 'SIGHUP') {
      process.stdout.on('error', ignore);
      process.stderr.on('error', ignore);
    }
    notify(`${sig}: stopping Ansible and its SSH connections; writing the partial report`);
    killAll('SIGTERM');
  };
  for (const sig of STOP_SIGNALS) process.on(sig, handler);
  return {
    signal: () => got,
    dispose: () => {
      for (const sig of STOP_SIGNALS) process.off(sig, handler);
    },
  };
}

/** Run `body` holding the policy's lock, with SIGINT/SIGTERM/SIGHUP trapped; always release both. */
export async function whileLocked(
  s: Session,
  command: string,
  body: (signal: () => NodeJS.Signals | undefined) => Promise<number>,
  notify: Notify,
): Promise<number> {
  const lock = await lockSession(s, command, notify);
  const signals = trapSignals(notify);
  try {
    return await body(signals.signal);
  } finally {
    signals.dispose();
    await lock.release();
  }
}

/** After a signal: close the SSH master connections the run opened. */
export async function cleanupAfterSignal(s: Session): Promise<void> {
  await closeConnections(controlDir(s));
}
