import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir } from 'node:fs/promises';
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
  return dir;
}
