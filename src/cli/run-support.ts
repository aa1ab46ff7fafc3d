import { dirname, join } from 'node:path';
import { acquireLock, type Lock } from '../engine/lock.js';
import { closeConnections } from '../engine/connections.js';
import { controlDir, type Session } from '../engine/session.js';
import { ensureStateDir } from '../engine/workspace.js';
import { ExitCode } from '../errors.js';
import { killAll } from '../io/exec.js';
import { writeReports } from '../io/files.js';
import { parseReportSpec, renderJson, renderTable, type ReportSpec } from '../report/index.js';
import type { RunReport } from '../verify/types.js';
import { useColor, warn } from './common.js';

/** Take the policy's lock for the whole run. */
export async function lockSession(s: Session, command: string): Promise<Lock> {
  // checked again: the folder holding the playbooks we run must not be writable by others
  await ensureStateDir(s.stateDir, dirname(s.stateDir));
  const lock = await acquireLock(join(s.stateDir, 'lock'), command);
  if (lock.clearedStale) warn(`cleared a stale lock left by pid ${lock.clearedStale.pid} (${lock.clearedStale.command} since ${lock.clearedStale.since})`);
  if (lock.clearedUnreadable) warn('cleared an old unreadable lock file (a run killed while taking the lock)');
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
export function trapSignals(): { signal: () => NodeJS.Signals | undefined; dispose: () => void } {
  let got: NodeJS.Signals | undefined;
  const ignore = () => undefined;
  const handler = (sig: NodeJS.Signals) => {
    got = sig;
    if (sig === 'SIGHUP') {
      process.stdout.on('error', ignore);
      process.stderr.on('error', ignore);
    }
    warn(`${sig}: stopping Ansible and its SSH connections; writing the partial report`);
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
export async function whileLocked(s: Session, command: string, body: (signal: () => NodeJS.Signals | undefined) => Promise<number>): Promise<number> {
  const lock = await lockSession(s, command);
  const signals = trapSignals();
  try {
    return await body(signals.signal);
  } finally {
    signals.dispose();
    await lock.release();
  }
}

export async function cleanupAfterSignal(s: Session): Promise<void> {
  await closeConnections(controlDir(s));
}

export function signalExit(sig: NodeJS.Signals | undefined): number | undefined {
  return sig === 'SIGINT' ? ExitCode.sigint : sig === 'SIGTERM' ? ExitCode.sigterm : sig === 'SIGHUP' ? ExitCode.sighup : undefined;
}

export function collectReport(value: string, previous: ReportSpec[] = []): ReportSpec[] {
  return [...previous, parseReportSpec(value)];
}

/** Print the result (table or the one JSON document) and write every --report. */
export async function emit(report: RunReport, opts: { json?: boolean; report?: ReportSpec[] }): Promise<void> {
  if (opts.json) process.stdout.write(renderJson(report));
  else process.stdout.write(renderTable(report, { color: useColor() }).join('\n') + '\n');
  const written = await writeReports(opts.report ?? [], report);
  for (const p of written) process.stderr.write(`fleet: wrote ${p}\n`);
}

/** 0 when every targeted host is compliant, 1 otherwise. */
export function verdictExit(report: RunReport, strictAudit = false): number {
  const s = report.summary;
  const bad = s.hosts - s.compliant;
  if (bad > 0) return ExitCode.drift;
  if (strictAudit && s.auditFindings > 0) return ExitCode.drift;
  return ExitCode.ok;
}
