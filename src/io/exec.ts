// io/: the only place that spawns processes, writes files atomically and reads /proc.
/**
 * The one place fleet spawns processes. Argument arrays only, never a shell
 * string built from data. Read-only mode is enforced here: once a command
 * declares itself read-only (check, plan, dry runs), any spawn marked as a
 * write is refused, whatever code path asked for it.
 */
import { appendFileSync, closeSync, openSync } from 'node:fs';
import { type ChildProcess, spawn } from 'node:child_process';
import { ExitCode, FleetError } from '../errors.js';

export interface ExecOptions {
  /** Does this process change remote or local state? */
  write?: boolean;
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
  /** Called with each stdout line as it arrives. */
  onLine?: (line: string) => void;
  /** Start in its own process group so the whole tree can be signalled. */
  detached?: boolean;
}

export interface ExecResult {
  command: string;
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  /** The process could not be started at all (ENOENT, EACCES). */
  spawnError: string | undefined;
  timedOut: boolean;
  durationMs: number;
}

let readOnly = false;
const live = new Set<ChildProcess>();

let exitHook = false;

/** If fleet itself ends while children run (a bug's uncaught exception), they end too: no Ansible run outlives its controller. */
function stopChildrenOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => killAll('SIGTERM'));
}

/** After a timeout's SIGTERM, how long a process gets before SIGKILL. */
const FORCE_KILL_MS = 5000;

/** Refuse any spawn marked `write` from now on (fleet check, plan, --dry-run). */
export function setReadOnly(value: boolean): void {
  readOnly = value;
}

function trace(cmd: string, args: readonly string[], write: boolean): void {
  // Tests point FLEET_TRACE_EXEC at a file to prove which processes ran (or that none did).
  const file = process.env.FLEET_TRACE_EXEC;
  if (file) appendFileSync(file, JSON.stringify({ cmd, args, write }) + '\n');
}

/**
 * Run a command to its end and collect its output (never throws for the
 * command's own failure: exit code, signal, timeout and a failed start are in
 * the result). On node:child_process directly: this module is on every run's
 * start-up path, and execa cost ≈ 45 ms of imports there (issue 19: ansible-playbook
 * started at ≈ 265 ms instead of ≈ 310 ms into a one-host `fleet check`).
 */
export async function run(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const write = opts.write ?? false;
  if (write && readOnly) {
    throw new FleetError(`refusing to run ${cmd}: this run is read-only`, ExitCode.invalid);
  }
  trace(cmd, args, write);
  const started = performance.now();
  const child = spawn(cmd, [...args], {
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd,
    detached: opts.detached ?? false,
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  stopChildrenOnExit();
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    stdout += chunk;
    if (!opts.onLine) return;
    pending += chunk;
    for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
      const line = pending.slice(0, i);
      pending = pending.slice(i + 1);
      opts.onLine(line);
    }
  });
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk;
  });
  if (opts.input !== undefined && child.stdin) {
    // a process that exits without reading its input closes the pipe: not an error of ours
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input);
  }
  let timedOut = false;
  let forceKill: NodeJS.Timeout | undefined;
  const timer =
    opts.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          child.kill('SIGTERM');
          forceKill = setTimeout(() => child.kill('SIGKILL'), FORCE_KILL_MS);
          forceKill.unref();
        }, opts.timeoutMs);
  try {
    const end = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((done) => {
      let startError: Error | undefined;
      child.on('error', (e) => {
        startError = e;
        // a process that never started emits no 'close'
        if (child.pid === undefined) done({ code: null, signal: null, error: e });
      });
      // 'close': the process ended and its output streams are drained
      child.on('close', (code, signal) => done({ code, signal, ...(startError ? { error: startError } : {}) }));
    });
    if (opts.onLine && pending) opts.onLine(pending);
    return {
      command: [cmd, ...args].join(' '),
      exitCode: end.code ?? undefined,
      signal: end.signal ?? undefined,
      stdout,
      stderr,
      spawnError: end.error && child.pid === undefined ? `${end.error.message}` : undefined,
      timedOut,
      durationMs: performance.now() - started,
    };
  } finally {
    if (timer) clearTimeout(timer);
    if (forceKill) clearTimeout(forceKill);
    live.delete(child);
  }
}

/**
 * Signal every child we started, and its process group when it has one, so
 * Ansible's forks and ssh children stop too. Used on SIGINT/SIGTERM/SIGHUP.
 */
export function killAll(signal: NodeJS.Signals = 'SIGTERM'): number {
  let n = 0;
  for (const child of live) {
    const pid = child.pid;
    if (pid === undefined) continue;
    try {
      process.kill(-pid, signal);
      n++;
      continue;
    } catch {
      // not a group leader: fall back to the process itself
    }
    try {
      process.kill(pid, signal);
      n++;
    } catch {
      // already gone
    }
  }
  return n;
}

/** Options for a long-running process that must outlive the fleet process (lab sshd, latency proxies). */
export interface DetachedOptions {
  /** Does this process change remote or local state? */
  write?: boolean;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** stdout and stderr are appended here; without it they go to /dev/null. */
  logFile?: string;
}

/**
 * Start a process in its own session and forget it: its PID is the caller's
 * to record and stop later. Not tracked by killAll, because lab hosts must
 * survive the CLI command that started them.
 */
export function spawnDetached(cmd: string, args: readonly string[], opts: DetachedOptions = {}): { pid: number } {
  const write = opts.write ?? false;
  if (write && readOnly) {
    throw new FleetError(`refusing to run ${cmd}: this run is read-only`, ExitCode.invalid);
  }
  trace(cmd, args, write);
  const fd = openSync(opts.logFile ?? '/dev/null', 'a');
  try {
    const child = spawn(cmd, [...args], {
      detached: true,
      stdio: ['ignore', fd, fd],
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
    });
    if (child.pid === undefined) throw new FleetError(`could not start ${cmd}`, ExitCode.environment);
    // Reap it if it dies while we are alive; never keep the event loop open for it.
    child.on('error', () => undefined);
    child.unref();
    return { pid: child.pid };
  } finally {
    closeSync(fd);
  }
}

/** Is an executable on PATH? (Pure lookup, spawns nothing.) */
export async function which(cmd: string): Promise<string | undefined> {
  const { access, constants } = await import('node:fs/promises');
  const { delimiter, join } = await import('node:path');
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}
