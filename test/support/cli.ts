/**
 * `runCli(args)`: fleet in this process (src/cli/run.ts, commander with exitOverride), stdout and
 * stderr captured, the exit code returned as main.ts would set it. For unit tests of the CLI;
 * lab tests run dist/ as a subprocess (test/lab/fleet.ts), since they test the real binary.
 * Runs take turns: each swaps process.stdout/stderr.write and the environment for its duration.
 */
import { runFleet } from '../../src/cli/run.js';
import { setReadOnly } from '../../src/io/exec.js';

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

let turn: Promise<unknown> = Promise.resolve();

/** `env`: variables set for this run only (an `undefined` value unsets one). */
export function runCli(args: readonly string[], opts: { env?: Record<string, string | undefined> } = {}): Promise<CliRun> {
  const run = turn.then(() => runOnce(args, opts.env ?? {}));
  turn = run.catch(() => undefined);
  return run;
}

async function runOnce(args: readonly string[], env: Record<string, string | undefined>): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { stdout: process.stdout.write, stderr: process.stderr.write };
  const savedEnv: Record<string, string | undefined> = {};
  const capture = (into: string[]) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof process.stdout.write;
  for (const [k, v] of Object.entries({ NO_COLOR: '1', ...env })) {
    savedEnv[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  setReadOnly(false); // module state a previous run (check, plan, --dry-run) may have set
  try {
    const exitCode = await runFleet(['node', 'fleet', ...args]);
    return { exitCode, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = saved.stdout;
    process.stderr.write = saved.stderr;
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
