/**
 * Measuring: run a command under /usr/bin/time, and run contenders side by
 * side (order rotated each repetition) so load changes hit all of them alike.
 * Nothing here knows about fleet or reports.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

/** One measured command: wall seconds and user+sys CPU seconds of its whole waited process tree. */
export interface Timed {
  wall: number;
  cpu: number;
  rssKb: number;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface TimedOptions {
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

const timeDir = mkdtempSync(join(tmpdir(), 'fleet-bench-time-'));

export async function timed(cmd: string, args: readonly string[], opts: TimedOptions = {}): Promise<Timed> {
  const tf = join(timeDir, 'time.out');
  const r = await execa('/usr/bin/time', ['-f', '%e %U %S %M', '-o', tf, cmd, ...args], {
    reject: false,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    env: { ...process.env, ...opts.env },
    stdin: 'ignore',
    timeout: opts.timeoutMs ?? 900_000,
  });
  const last = readFileSync(tf, 'utf8').trim().split('\n').at(-1) ?? '';
  const [wall = NaN, user = NaN, sys = NaN, rssKb = NaN] = last.split(/\s+/).map(Number);
  return { wall, cpu: user + sys, rssKb, exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A contender: its steps are timed and summed; `check` returns why a repetition is wrong, if it is. */
export interface Contender {
  name: string;
  desc: string;
  before?: (rep: number) => void | Promise<void>;
  steps: ((rep: number) => Promise<Timed>)[];
  check?: (steps: Timed[], rep: number) => string | undefined;
  /** Ansible host-tasks each host of the run cost (read after the run, e.g. from the playbooks it ran). */
  hostTasks?: (steps: Timed[]) => number | undefined;
}

/** Medians of one contender over the repetitions. */
export interface Row {
  name: string;
  desc: string;
  wall: number;
  cpu: number;
  walls: number[];
  cpus: number[];
  /** Host-tasks per host of the last repetition, when the contender says. */
  hostTasks?: number;
}

export interface AlternateOptions {
  reps: number;
  /** Run before every measured contender (e.g. close SSH ControlMasters: every run starts cold). */
  beforeEach?: () => Promise<void>;
  log?: (message: string) => void;
}

/**
 * Run the contenders `reps` times, rotating their order each repetition; an
 * inner array is a group that keeps its own order (e.g. an apply and the
 * no-op apply right after it).
 */
export async function alternate(label: string, entries: (Contender | Contender[])[], opts: AlternateOptions): Promise<Row[]> {
  const groups = entries.map((e) => (Array.isArray(e) ? e : [e]));
  const contenders = groups.flat();
  const samples = new Map<string, { wall: number; cpu: number }[]>(contenders.map((c) => [c.name, []]));
  const tasks = new Map<string, number>();
  for (let rep = 0; rep < opts.reps; rep++) {
    const order = groups.flatMap((_, i) => groups[(i + rep) % groups.length]!);
    for (const c of order) {
      if (c.before) await c.before(rep);
      if (opts.beforeEach) await opts.beforeEach();
      const steps: Timed[] = [];
      for (const step of c.steps) steps.push(await step(rep));
      const bad = c.check?.(steps, rep);
      if (bad) throw new Error(`${label}: ${c.name} (repetition ${rep + 1}): ${bad}`);
      samples.get(c.name)!.push({ wall: steps.reduce((n, s) => n + s.wall, 0), cpu: steps.reduce((n, s) => n + s.cpu, 0) });
      const t = c.hostTasks?.(steps);
      if (t !== undefined) tasks.set(c.name, t);
    }
    opts.log?.(`${label}: repetition ${rep + 1}/${opts.reps} done`);
  }
  return contenders.map((c) => {
    const s = samples.get(c.name)!;
    const t = tasks.get(c.name);
    return {
      name: c.name,
      desc: c.desc,
      wall: median(s.map((x) => x.wall)),
      cpu: median(s.map((x) => x.cpu)),
      walls: s.map((x) => x.wall),
      cpus: s.map((x) => x.cpu),
      ...(t !== undefined ? { hostTasks: t } : {}),
    };
  });
}
