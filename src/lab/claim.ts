// lab/: the local fleet of netns sshd hosts (tests, demo, `fleet lab`), built on io/ and engine/.
/**
 * Labs share one kernel: two labs with the same name prefix would repair and
 * delete each other's namespaces. Each prefix is claimed by one lab dir in
 * /run/fleet-lab (tmpfs: claims vanish with the namespaces at reboot), and
 * whole test runs take a lock so concurrent runs in one checkout take turns.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireLock, LockHeldError } from '../engine/lock.js';
import { ExitCode, FleetError } from '../errors.js';

export const CLAIMS_DIR = '/run/fleet-lab';

function claimFile(prefix: string): string {
  return join(CLAIMS_DIR, `${prefix}.owner`);
}

/** The lab dir that owns a prefix, if that lab still exists. */
export function prefixOwner(prefix: string): string | undefined {
  const file = claimFile(prefix);
  if (!existsSync(file)) return undefined;
  const dir = readFileSync(file, 'utf8').trim();
  return existsSync(join(dir, 'state.json')) ? dir : undefined;
}

/** Claim `prefix` for the lab in `dir`, refusing when another live lab holds it. */
export function claimPrefix(prefix: string, dir: string): void {
  const owner = prefixOwner(prefix);
  if (owner !== undefined && owner !== dir) {
    throw new FleetError(
      `lab prefix "${prefix}" is in use by the lab in ${owner}: pick another --prefix and --subnet, or run \`fleet lab down --dir ${owner}\``,
      ExitCode.environment,
    );
  }
  mkdirSync(CLAIMS_DIR, { recursive: true });
  writeFileSync(claimFile(prefix), `${dir}\n`);
}

export function releasePrefix(prefix: string, dir: string): void {
  const file = claimFile(prefix);
  if (existsSync(file) && readFileSync(file, 'utf8').trim() === dir) rmSync(file);
  if (existsSync(CLAIMS_DIR) && readdirSync(CLAIMS_DIR).length === 0) rmdirSync(CLAIMS_DIR);
}

/**
 * Exclusive lock `name` (in CLAIMS_DIR), held by this process until the
 * returned release. It is fleet's own per-policy lock (engine/lock.ts: atomic
 * create, stale holders cleared, PID reuse detected), waited on: while a live
 * run holds it, retry every half second up to `timeoutMs`.
 */
export async function waitForLabLock(name: string, timeoutMs: number, onWait: (holder: number) => void = () => undefined): Promise<() => Promise<void>> {
  mkdirSync(CLAIMS_DIR, { recursive: true });
  const file = join(CLAIMS_DIR, `${name}.lock`);
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      const lock = await acquireLock(file, `lab ${name}`);
      return () => lock.release();
    } catch (e) {
      if (!(e instanceof LockHeldError)) throw e;
      if (Date.now() > deadline) throw new FleetError(`the lab lock ${file} is still held${e.holder ? ` by pid ${e.holder.pid}` : ''}`, ExitCode.environment);
      if (!told && e.holder) onWait(e.holder.pid);
      told = true;
    }
    await sleep(500);
  }
}
