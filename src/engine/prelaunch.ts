/**
 * Start Ansible before fleet has validated the run, and use that process only
 * when it is exactly the run fleet then decides to start (issue 19: a one-host
 * `fleet check` paid Node's start-up, the policy load and the render before
 * ansible-playbook's own ≈ 0.35 s of Python start-up, inventory parse and
 * playbook load; now the two overlap).
 *
 * How it stays safe:
 * - Every ansible-playbook run fleet starts waits at its start gate (fleet's
 *   callback plugin, render/callback-plugin.ts) for "go" on stdin, before any
 *   host is contacted. A speculative process gets no input until it is adopted;
 *   one that is not adopted is killed at the gate (and one whose fleet died
 *   reads end-of-file there and exits). So nothing reaches a host unless the
 *   validated run asked for this very process.
 * - Adoption (io/exec.ts) requires the same program, arguments, folder and
 *   environment as the run fleet would start now.
 * - The files of the rendered project Ansible loaded must not have changed
 *   since the speculative start: no file or folder of the project may have a
 *   ctime after it (minus the coarse clock's slack). A run whose render wrote
 *   anything (a new policy, another fleet version, other settings) starts a
 *   fresh process instead.
 * - The state folders must pass the checks a normal run makes before it loads
 *   anything from them (nobody else can write them), made before the early start.
 * - A speculative start happens only for a command line seen before (same
 *   arguments, same folder) whose policy file has the same bytes: a record of
 *   the process that run started, kept in fleet's private runtime folder
 *   (0700, refused when not the user's own). An edited or new policy never
 *   starts anything before it is validated.
 *
 * Only `fleet check` (without --remediate or a password prompt) speculates;
 * FLEET_NO_PRELAUNCH=1 turns it off.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { lstat, readdir, rename, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { discardSpeculative, speculate, speculation } from '../io/exec.js';
import { runtimeBase } from './runtime-dir.js';
import { writableByOthers } from './trust.js';

/** What an eligible run started: enough to start it again, and to know when not to. */
export interface LaunchRecord {
  v: 1;
  /** fleet's own arguments (after `node main.js`) and folder: the key. */
  argv: string[];
  cwd: string;
  /** The policy file (absolute) and the sha256 of its bytes when the record was made. */
  policy: string;
  policySha256: string;
  cmd: string;
  args: string[];
  /** The variables fleet set on top of its own environment. */
  env: Record<string, string>;
  /** The rendered project the process loads its playbook and plugins from. */
  project: string;
}

/** A speculative process's files must be older than its start by more than this (ctime is kept by a coarse clock). */
const CTIME_SLACK_MS = 50;

let armed: { file: string; argv: string[]; cwd: string } | undefined;

/** Arguments after which a run never speculates: writes, prompts, help. */
function eligible(argv: readonly string[]): boolean {
  if (argv[0] !== 'check' || process.env.FLEET_NO_PRELAUNCH === '1') return false;
  return !argv.some((a) => ['--remediate', '--ask-vault-pass', '--ask-become-pass', '--help'].includes(a) || /^-[A-Za-z]*[Kh]/.test(a));
}

function recordFile(argv: readonly string[], cwd: string): string {
  const key = createHash('sha256')
    .update(JSON.stringify([cwd, ...argv]))
    .digest('hex')
    .slice(0, 24);
  return join(runtimeBase(), `launch-${key}.json`);
}

/** The runtime folder is fleet's and private, the record a regular file of this user's: only then is it trusted to start a process. */
function trusted(base: string, file: string): boolean {
  const uid = process.getuid?.();
  const dir = lstatSync(base);
  const f = lstatSync(file);
  return dir.isDirectory() && f.isFile() && (dir.mode & 0o077) === 0 && (uid === undefined || (dir.uid === uid && f.uid === uid));
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * Called first thing by the binary, with fleet's arguments: when this command
 * line ran before with a policy of the same bytes, start the process it
 * started then (held at its gate). Never throws; synchronous and small (it is
 * on every run's start-up path).
 */
export function prelaunch(argv: readonly string[]): void {
  armed = undefined;
  try {
    if (!eligible(argv)) return;
    const cwd = process.cwd();
    const file = recordFile(argv, cwd);
    armed = { file, argv: [...argv], cwd };
    if (!trusted(runtimeBase(), file)) return;
    const r = JSON.parse(readFileSync(file, 'utf8')) as LaunchRecord;
    if (r.v !== 1 || r.cwd !== cwd || JSON.stringify(r.argv) !== JSON.stringify(argv)) return;
    if (sha256File(r.policy) !== r.policySha256) return;
    if (!safeProject(r.project)) return;
    speculate(r.cmd, r.args, { cwd: r.cwd, env: r.env, detached: true });
  } catch {
    // no record, an unreadable one, a policy gone: start nothing early
  }
}

/**
 * The rendered project may be loaded (its plugins run) only when nobody else
 * could have written it: the rule ensureStateDir applies before a normal run
 * (trust.ts), applied here before the early start, which comes first.
 * Every folder from the state root down, and every file in the project: not a
 * link, owned by this user (or root), not group- or world-writable (a sticky
 * state root like /tmp excepted).
 */
function safeProject(project: string): boolean {
  const me = process.getuid?.();
  const ok = (path: string, sticky = false): boolean => {
    const st = lstatSync(path);
    return !st.isSymbolicLink() && writableByOthers(st, me, sticky) === undefined;
  };
  const tree = (dir: string): boolean =>
    ok(dir) && readdirSync(dir, { withFileTypes: true }).every((e) => (e.isDirectory() ? tree(join(dir, e.name)) : ok(join(dir, e.name))));
  const stateDir = dirname(project);
  return ok(dirname(stateDir), true) && ok(stateDir) && tree(project);
}

/**
 * Before a run starts ansible-playbook over `project`: the speculative process,
 * if any, stays adoptable only when no file or folder of the project changed
 * since it started (it may have loaded the old ones). run() then adopts it if
 * it is the same process, or stops it.
 */
export async function confirmProject(project: string): Promise<void> {
  const spec = speculation();
  if (spec && (await changedSince(project, spec.since - CTIME_SLACK_MS))) await discardSpeculative();
}

async function changedSince(dir: string, t: number): Promise<boolean> {
  try {
    if ((await lstat(dir)).ctimeMs >= t) return true;
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory() ? await changedSince(p, t) : (await lstat(p)).ctimeMs >= t) return true;
    }
    return false;
  } catch {
    return true;
  }
}

/**
 * After the eligible run's process ran to its end: record it for the next run
 * of the same command line (an adopted one only marks its record as used, for
 * the runtime folder's pruning). Best effort: a run never fails for it.
 */
export async function recordLaunch(run: Omit<LaunchRecord, 'v' | 'argv'>, adopted: boolean): Promise<void> {
  const a = armed;
  armed = undefined;
  if (!a || run.cwd !== a.cwd) return;
  if (adopted) {
    const now = new Date();
    await utimes(a.file, now, now).catch(() => undefined);
    return;
  }
  const record: LaunchRecord = { v: 1, argv: a.argv, ...run, policy: resolve(run.policy) };
  try {
    await writeFile(`${a.file}.tmp`, JSON.stringify(record), { mode: 0o600 });
    await rename(`${a.file}.tmp`, a.file);
  } catch {
    // housekeeping
  }
}
