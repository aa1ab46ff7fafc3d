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
  /**
   * Take the speculative process (speculate()) when it is exactly this one;
   * when it is not, stop it before starting this one. Other runs leave it alone.
   */
  adopt?: boolean;
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
  /** The process was started speculatively and adopted (speculate()), not started by this call. */
  adopted: boolean;
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

function trace(cmd: string, args: readonly string[], write: boolean, speculative = false): void {
  // Tests point FLEET_TRACE_EXEC at a file to prove which processes ran (or that none did).
  const file = process.env.FLEET_TRACE_EXEC;
  if (file) appendFileSync(file, JSON.stringify({ cmd, args, write, ...(speculative ? { speculative } : {}) }) + '\n');
}

/**
 * A process started before fleet knew it would want it (engine/prelaunch.ts):
 * its stdin is held back, so a process that waits for its input (fleet's
 * start gate) has done nothing yet. run() adopts it when asked to start
 * exactly this process; anything else discards it.
 */
interface Speculative {
  child: ChildProcess;
  cmd: string;
  args: readonly string[];
  cwd: string | undefined;
  env: Record<string, string | undefined>;
  detached: boolean;
  /** Date.now() just before the spawn. */
  since: number;
  failed: boolean;
}

let speculative: Speculative | undefined;

function spawnOptions(opts: ExecOptions) {
  return { env: { ...process.env, ...opts.env }, cwd: opts.cwd, detached: opts.detached ?? false };
}

/**
 * Start `cmd` now with stdin as a pipe fleet has not written to, for run() to
 * adopt later. Read-only processes only: nothing started this way may change
 * anything before fleet writes its input. Returns false when nothing started.
 */
export function speculate(cmd: string, args: readonly string[], opts: Pick<ExecOptions, 'env' | 'cwd' | 'detached'>): boolean {
  if (speculative) return false;
  const o = spawnOptions(opts);
  trace(cmd, args, false, true);
  const since = Date.now();
  const child = spawn(cmd, [...args], { ...o, stdio: ['pipe', 'pipe', 'pipe'] });
  const spec: Speculative = { child, cmd, args: [...args], cwd: o.cwd, env: o.env, detached: o.detached, since, failed: false };
  // a failed start (ENOENT) must not become an uncaught error; run() starts it again and reports it
  child.on('error', () => {
    spec.failed = true;
  });
  child.stdin!.on('error', () => undefined);
  if (child.pid === undefined) return false;
  // until it is adopted it must not keep fleet alive: a run that ends early (an error) ends, and the exit hook stops it
  holdOpen(child, false);
  speculative = spec;
  live.add(child);
  stopChildrenOnExit();
  return true;
}

/** The speculative process waiting to be adopted, if any: its PID, and when it was started (Date.now()). */
export function speculation(): { pid: number; since: number } | undefined {
  return speculative ? { pid: speculative.child.pid!, since: speculative.since } : undefined;
}

/** Stop the speculative process, if any, and wait for it to end (it never got its input: it has done nothing). */
export async function discardSpeculative(): Promise<void> {
  const spec = speculative;
  if (!spec) return;
  speculative = undefined;
  const { child } = spec;
  if (child.exitCode === null && child.signalCode === null && !spec.failed) {
    const closed = new Promise<void>((done) => child.once('exit', () => done()));
    // waited for now: it must keep the event loop alive until it is gone
    holdOpen(child, true);
    signalChild(child, 'SIGKILL');
    child.stdin!.destroy();
    child.stdout!.resume();
    child.stderr!.resume();
    await closed;
  }
  live.delete(child);
}

function sameEnv(a: Record<string, string | undefined>, b: Record<string, string | undefined>): boolean {
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => a[k] === b[k]);
}

/** The speculative process, when it is exactly the one this run() would start and it still waits for its input. */
function adopt(cmd: string, args: readonly string[], opts: ExecOptions): ChildProcess | undefined {
  const spec = speculative;
  if (!spec || !opts.adopt || opts.input === undefined) return undefined;
  const o = spawnOptions(opts);
  const same =
    spec.cmd === cmd &&
    spec.args.length === args.length &&
    spec.args.every((a, i) => a === args[i]) &&
    spec.cwd === o.cwd &&
    spec.detached === o.detached &&
    sameEnv(spec.env, o.env);
  if (!same || spec.failed || spec.child.exitCode !== null || spec.child.signalCode !== null) return undefined;
  speculative = undefined;
  holdOpen(spec.child, true);
  return spec.child;
}

/** Whether a child (the process and its pipes) keeps Node's event loop alive. */
function holdOpen(child: ChildProcess, on: boolean): void {
  for (const h of [child, child.stdin, child.stdout, child.stderr] as ({ ref?: () => void; unref?: () => void } | null)[]) {
    if (on) h?.ref?.();
    else h?.unref?.();
  }
}

async function startFresh(cmd: string, args: readonly string[], opts: ExecOptions, write: boolean): Promise<ChildProcess> {
  if (opts.adopt) await discardSpeculative();
  trace(cmd, args, write);
  return spawn(cmd, [...args], { ...spawnOptions(opts), stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
}

/**
 * Run a command to its end and collect its output (never throws for the
 * command's own failure: exit code, signal, timeout and a failed start are in
 * the result). On node:child_process directly: this module is on every run's
 * start-up path, and execa cost ≈ 45 ms of imports there (issue 19: ansible-playbook
 * started at ≈ 265 ms instead of ≈ 310 ms into a one-host `fleet check`).
 * With `adopt`, a speculative process (speculate()) that is exactly this
 * command is adopted instead of starting another; one that is not is stopped first.
 */
export async function run(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const write = opts.write ?? false;
  if (write && readOnly) {
    throw new FleetError(`refusing to run ${cmd}: this run is read-only`, ExitCode.invalid);
  }
  const started = performance.now();
  const adopted = adopt(cmd, args, opts);
  const child = adopted ?? (await startFresh(cmd, args, opts, write));
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
      adopted: adopted !== undefined,
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
  for (const child of live) if (signalChild(child, signal)) n++;
  return n;
}

/** Signal a child's process group when it leads one, else the child itself; false when it is gone. */
function signalChild(child: ChildProcess, signal: NodeJS.Signals): boolean {
  const pid = child.pid;
  if (pid === undefined) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    // not a group leader: fall back to the process itself
  }
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
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
