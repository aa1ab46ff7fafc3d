import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, rmdir, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, FleetError } from '../errors.js';

/**
 * fleet's private per-user folder for sockets and secrets: short (a Unix
 * socket path is limited to 108 bytes, so it must not depend on where the
 * policy lives), mode 0700, and refused when someone else owns it.
 * `$XDG_RUNTIME_DIR/fleet` when there is one, else `/tmp/fleet-UID`.
 */
export function runtimeBase(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string {
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'fleet') : `/tmp/fleet-${uid}`;
}

/** A short, stable name for a policy's state dir (12 hex characters). */
export function shortName(stateDir: string): string {
  return createHash('sha256').update(stateDir).digest('hex').slice(0, 12);
}

async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await lstat(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) {
    throw new FleetError(`${dir} is not a folder of yours: fleet keeps SSH sockets and secrets there`, ExitCode.environment, [
      `remove it, or set XDG_RUNTIME_DIR to a private folder`,
    ]);
  }
  if ((st.mode & 0o077) !== 0) await chmod(dir, 0o700);
}

/** The policy's private runtime folder (created 0700): `<base>/<hash of the state dir>`. */
export async function runtimeDirFor(stateDir: string): Promise<string> {
  const base = runtimeBase();
  await privateDir(base);
  const dir = join(base, shortName(stateDir));
  await privateDir(dir);
  // in use from now: its time is what pruneIdle reads
  const now = new Date();
  await utimes(dir, now, now);
  if (await pruneDue(base, now)) await pruneIdle(base, dir);
  return dir;
}

/** Prune at most once an hour (a stamp file in the base folder): a run should not list every policy's folder. */
async function pruneDue(base: string, now: Date): Promise<boolean> {
  const stamp = join(base, '.pruned');
  try {
    if (now.getTime() - (await lstat(stamp)).mtimeMs < 60 * 60 * 1000) return false;
  } catch {
    // never pruned here
  }
  try {
    await writeFile(stamp, '', { mode: 0o600 });
    await utimes(stamp, now, now);
  } catch {
    // pruning is housekeeping: a base we cannot stamp is pruned every run
  }
  return true;
}

/** A policy's runtime folder left empty and unused this long is a leftover, not one a run is using. */
export const IDLE_MS = 24 * 60 * 60 * 1000;

/** An early-start record (engine/prelaunch.ts) neither written nor used this long is a command line nobody runs any more. */
export const LAUNCH_IDLE_MS = 30 * IDLE_MS;

/**
 * Remove the other policies' runtime folders that are empty and untouched for
 * IDLE_MS (a day; every run touches its own at start): one folder per policy
 * ever run would otherwise pile up in /tmp. An open ControlMaster socket or a
 * secret file keeps a folder (rmdir refuses a folder that is not empty,
 * atomically), and a policy's next run makes its folder again. Only fleet's
 * own names (12 hex characters) are touched. Early-start records unused for
 * LAUNCH_IDLE_MS go too. Returns what was removed.
 */
export async function pruneIdle(base: string, keep: string, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(base);
  } catch {
    return removed;
  }
  for (const name of names) {
    const dir = join(base, name);
    if (/^launch-[0-9a-f]{24}\.json$/.test(name)) {
      try {
        const st = await lstat(dir);
        if (st.isFile() && now - st.mtimeMs >= LAUNCH_IDLE_MS) {
          await unlink(dir);
          removed.push(dir);
        }
      } catch {
        // already gone
      }
      continue;
    }
    if (!/^[0-9a-f]{12}$/.test(name) || dir === keep) continue;
    try {
      const st = await lstat(dir);
      if (!st.isDirectory() || now - st.mtimeMs < IDLE_MS) continue;
      await rmdir(dir);
      removed.push(dir);
    } catch {
      // not empty, already gone, or not ours to remove: leave it
    }
  }
  return removed;
}
