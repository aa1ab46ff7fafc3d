/**
 * The per-policy lock: two fleet runs on one policy never overlap.
 *
 * How it stays correct under races:
 * - A lock file is written completely into a private temp file first and
 *   made visible with `link()`, which fails if the lock exists (an atomic
 *   O_EXCL create). A reader never sees a half-written fleet lock.
 * - Every lock carries a random token; `release()` removes the lock only if it
 *   still holds its own token.
 * - A stale lock (its process is gone) is removed only by the one run that
 *   holds the clearing marker named after that very file (inode + ctime), and
 *   only after reading the file again and finding the same bytes. A run that
 *   judged an older file stale can never remove a newer lock.
 * - A lock file fleet cannot read (empty, or not JSON: an older fleet may be
 *   writing it) is stale only after UNREADABLE_GRACE_MS; a fresh one is held.
 * - Liveness is `kill(pid, 0)` (gone = stale) plus, where /proc exists, the
 *   process start time (a reused pid = stale). Without /proc a live pid keeps
 *   its lock: it is never cleared by mistake, at worst held until that pid exits.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { ExitCode, FleetError } from '../errors.js';
import { processStart } from '../io/proc.js';

/** What a lock file holds: enough to tell a live holder from a stale one. */
export interface LockInfo {
  pid: number;
  /** Process start time (clock ticks since boot, /proc/PID/stat field 22), to survive PID reuse; '' without /proc. */
  start: string;
  host: string;
  command: string;
  since: string;
  /** Random, per lock: release and stale-clearing act only on the file that holds it. */
  token?: string;
}

/** An unreadable lock file younger than this is being written by someone: held, not stale. */
export const UNREADABLE_GRACE_MS = 10_000;

/** kill(pid, 0): ESRCH means gone; EPERM means alive under another user. */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A lock is stale when its process is gone, or the PID now belongs to another
 * process (start time differs). Without /proc (or without a recorded start
 * time) only "gone" counts.
 */
export function isStale(info: LockInfo, thisHost = hostname(), procRoot = '/proc'): boolean {
  if (info.host !== thisHost) return false; // cannot tell: another machine's lock on shared storage
  if (!processExists(info.pid)) return true;
  const start = processStart(info.pid, procRoot);
  if (start === undefined || info.start === '') return false;
  return start !== info.start;
}

export interface Lock {
  path: string;
  release(): Promise<void>;
  /** Set when a stale lock from a killed run was cleared on the way in. */
  clearedStale?: LockInfo;
  /** Set when an old unreadable lock file (empty or not JSON) was cleared on the way in. */
  clearedUnreadable?: boolean;
}

function parseInfo(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (typeof v !== 'object' || v === null) return undefined;
    if (!Number.isInteger(v.pid) || v.pid! <= 0 || typeof v.host !== 'string' || typeof v.start !== 'string') return undefined;
    return { command: '?', since: '?', ...v } as LockInfo;
  } catch {
    return undefined;
  }
}

/** One observation of a lock file: `id` names this very file (inode + ctime), `text` its bytes. */
interface Seen {
  id: string;
  text: string;
  mtimeMs: number;
  info?: LockInfo;
}

async function readLockFile(path: string): Promise<Seen | undefined> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new FleetError(`the lock ${path} is a symbolic link`, ExitCode.environment, [`remove it: rm ${path}`]);
    throw e;
  }
  try {
    const st = await fh.stat({ bigint: true });
    const text = await fh.readFile('utf8');
    const info = parseInfo(text);
    return { id: `${st.ino}-${st.ctimeNs}`, text, mtimeMs: Number(st.mtimeMs), ...(info ? { info } : {}) };
  } finally {
    await fh.close();
  }
}

function stale(seen: Seen, now: number): boolean {
  return seen.info ? isStale(seen.info) : now - seen.mtimeMs > UNREADABLE_GRACE_MS;
}

const random = () => randomBytes(8).toString('hex');

/** Write `text` to a new private file next to `path` (O_EXCL | O_NOFOLLOW, random name); returns its path. */
async function writeTemp(path: string, text: string): Promise<string> {
  const tmp = `${path}.${random()}.tmp`;
  await writeFile(tmp, text, { flag: constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode: 0o644 });
  return tmp;
}

/** Make `path` appear with `text`, complete, only if nothing is there; false when something is. */
async function createComplete(path: string, text: string): Promise<boolean> {
  const tmp = await writeTemp(path, text);
  try {
    await link(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/**
 * Remove the stale file `seen` at `path`, if it is still that file. Clearers
 * of one file serialise on a marker named after it; a marker left by a
 * clearer that died is itself cleared the same way (depth-limited).
 * @returns true when this call removed the file.
 */
async function clearIfSame(path: string, seen: Seen, me: LockInfo, depth = 0): Promise<boolean> {
  const marker = `${path}.clear-${seen.id}`;
  if (!(await createComplete(marker, JSON.stringify({ ...me, command: 'clear-stale-lock', token: random() }) + '\n'))) {
    const other = depth < 3 ? await readLockFile(marker) : undefined;
    if (other && stale(other, Date.now())) await clearIfSame(marker, other, me, depth + 1);
    return false;
  }
  try {
    const now = await readLockFile(path);
    if (!now || now.id !== seen.id || now.text !== seen.text) return false;
    await unlink(path);
    return true;
  } finally {
    await unlink(marker).catch(() => undefined);
  }
}

/** The lock is held by a live run (exit 3); `holder` is what its file says, when readable. */
export class LockHeldError extends FleetError {
  constructor(
    message: string,
    fixes: string[],
    readonly holder?: LockInfo,
  ) {
    super(message, ExitCode.environment, fixes);
  }
}

function heldError(path: string, seen: Seen | undefined): LockHeldError {
  const fix = [`wait for it to finish; if that process is gone, remove ${path}`];
  if (!seen?.info) return new LockHeldError(`another fleet run is taking the lock ${path} right now`, fix);
  const h = seen.info;
  return new LockHeldError(`another fleet ${h.command} is running on this policy (pid ${h.pid} on ${h.host}, since ${h.since})`, fix, h);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Take the per-policy lock so two runs never overlap.
 * @throws FleetError (exit 3) when a live run holds it.
 */
export async function acquireLock(path: string, command: string): Promise<Lock> {
  const me: LockInfo = {
    pid: process.pid,
    start: processStart(process.pid) ?? '',
    host: hostname(),
    command,
    since: new Date().toISOString(),
    token: random(),
  };
  const text = JSON.stringify(me) + '\n';
  let clearedStale: LockInfo | undefined;
  let clearedUnreadable = false;
  let last: Seen | undefined;
  for (let attempt = 0; attempt < 10; attempt++) {
    if (await createComplete(path, text)) {
      return {
        path,
        ...(clearedStale ? { clearedStale } : {}),
        ...(clearedUnreadable ? { clearedUnreadable } : {}),
        release: async () => {
          const now = await readLockFile(path).catch(() => undefined);
          if (now?.info?.token === me.token) await unlink(path).catch(() => undefined);
        },
      };
    }
    last = await readLockFile(path);
    if (!last) continue; // released in between: try again
    if (!stale(last, Date.now())) throw heldError(path, last);
    if (await clearIfSame(path, last, me)) {
      if (last.info) clearedStale = last.info;
      else clearedUnreadable = true;
    } else {
      await pause(1 + Math.random() * 10); // another run is clearing it
    }
  }
  throw heldError(path, last);
}

/** Exported for tests only: the race where a run clears a file it judged stale earlier. */
export const lockInternals = { readLockFile, clearIfSame };
