import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { acquireLock, isStale, lockInternals, UNREADABLE_GRACE_MS, type LockInfo } from '../../src/engine/lock.js';
import { FleetError } from '../../src/errors.js';
import { tempDir } from '../support/tmp.js';

let dir: string;
let path: string;
beforeEach(() => {
  dir = tempDir('lock');
  path = join(dir, '.fleet.lock');
});

const startOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
};

/** The pid of a process that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  const pid = child.pid!;
  await new Promise<void>((resolve, reject) => {
    child.on('exit', () => resolve());
    child.on('error', reject);
  });
  expect(existsSync(`/proc/${pid}`)).toBe(false);
  return pid;
}

const info = (p: Partial<LockInfo>): LockInfo => ({
  pid: process.pid,
  start: startOf(process.pid),
  host: hostname(),
  command: 'apply',
  since: '2026-01-01T00:00:00.000Z',
  ...p,
});

describe('acquireLock', () => {
  it('creates the lock with this process and removes it on release', async () => {
    const lock = await acquireLock(path, 'apply');
    expect(lock.path).toBe(path);
    expect(lock.clearedStale).toBeUndefined();
    const held = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    expect(held).toMatchObject({ pid: process.pid, start: startOf(process.pid), host: hostname(), command: 'apply' });
    expect(new Date(held.since).toString()).not.toBe('Invalid Date');
    await lock.release();
    expect(existsSync(path)).toBe(false);
    await lock.release(); // twice is harmless
  });

  it('can be taken again after release', async () => {
    await (await acquireLock(path, 'check')).release();
    const again = await acquireLock(path, 'apply');
    expect(again.clearedStale).toBeUndefined();
    await again.release();
  });

  it('refuses a second run while held, naming command, pid and host, exit 3', async () => {
    const lock = await acquireLock(path, 'apply');
    try {
      const err = await acquireLock(path, 'check').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(FleetError);
      const fe = err as FleetError;
      expect(fe.message).toContain(`another fleet apply is running on this policy (pid ${process.pid} on ${hostname()}`);
      expect(fe.exitCode).toBe(3);
      expect(fe.details.join(' ')).toContain(path);
      expect(existsSync(path)).toBe(true);
    } finally {
      await lock.release();
    }
  });

  it('clears a stale lock from a process that has exited, and reports it', async () => {
    const pid = await deadPid();
    const stale = info({ pid, start: '12345', command: 'apply' });
    writeFileSync(path, JSON.stringify(stale) + '\n');
    const lock = await acquireLock(path, 'check');
    expect(lock.clearedStale).toEqual(stale);
    expect((JSON.parse(readFileSync(path, 'utf8')) as LockInfo).pid).toBe(process.pid);
    expect(readdirSync(dir)).toEqual(['.fleet.lock']); // the moved-aside file is gone
    await lock.release();
  });

  it('treats a reused pid (same pid, other start time) as stale', async () => {
    const stale = info({ start: String(Number(startOf(process.pid)) - 1) });
    writeFileSync(path, JSON.stringify(stale));
    const lock = await acquireLock(path, 'apply');
    expect(lock.clearedStale).toEqual(stale);
    await lock.release();
  });

  it.each(['', '{"pid":', 'not json at all', '\0\0\0'])('an unreadable lock file %j older than the grace period is cleared', async (content) => {
    writeFileSync(path, content);
    const old = (Date.now() - UNREADABLE_GRACE_MS - 5000) / 1000;
    utimesSync(path, old, old);
    const lock = await acquireLock(path, 'apply');
    expect(lock.clearedStale).toBeUndefined();
    expect(lock.clearedUnreadable).toBe(true);
    expect((JSON.parse(readFileSync(path, 'utf8')) as LockInfo).pid).toBe(process.pid);
    await lock.release();
  });

  it.each(['', '{"pid":'])('a fresh unreadable lock file %j (being written) is held, never cleared: exit 3', async (content) => {
    writeFileSync(path, content);
    const err = await acquireLock(path, 'apply').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FleetError);
    expect((err as FleetError).exitCode).toBe(3);
    expect(readFileSync(path, 'utf8')).toBe(content);
  });

  it('a run that judged a lock stale earlier never removes the lock another run took since (issue 15 case 1)', async () => {
    const stale = info({ start: '1' });
    writeFileSync(path, JSON.stringify(stale));
    const seen = await lockInternals.readLockFile(path);
    expect(seen?.info).toEqual(stale);
    // run A clears the stale lock and takes it; run B then acts on what it read before
    const a = await acquireLock(path, 'apply');
    expect(a.clearedStale).toEqual(stale);
    const removed = await lockInternals.clearIfSame(path, seen!, info({ command: 'check' }));
    expect(removed).toBe(false);
    expect((JSON.parse(readFileSync(path, 'utf8')) as LockInfo).command).toBe('apply');
    await expect(acquireLock(path, 'check')).rejects.toThrow(/another fleet apply is running/);
    await a.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a clearer killed mid-clear (its marker left behind) does not block the next run for good', async () => {
    const stale = info({ pid: await deadPid(), start: '1' });
    writeFileSync(path, JSON.stringify(stale));
    const seen = await lockInternals.readLockFile(path);
    writeFileSync(`${path}.clear-${seen!.id}`, JSON.stringify(info({ pid: await deadPid(), start: '1', command: 'clear-stale-lock' })));
    const lock = await acquireLock(path, 'apply');
    expect(lock.clearedStale).toEqual(stale);
    await lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("release removes only its own lock, never another run's", async () => {
    const a = await acquireLock(path, 'apply');
    rmSync(path);
    const b = await acquireLock(path, 'check');
    await a.release();
    expect((JSON.parse(readFileSync(path, 'utf8')) as LockInfo).command).toBe('check');
    await b.release();
    expect(existsSync(path)).toBe(false);
  });

  it('a planted symlink at the lock path is refused, its target untouched', async () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'keep');
    symlinkSync(victim, path);
    await expect(acquireLock(path, 'apply')).rejects.toMatchObject({ exitCode: 3 });
    expect(readFileSync(victim, 'utf8')).toBe('keep');
  });

  it('does not clear a lock held by another machine (cannot tell if it is alive)', async () => {
    const pid = await deadPid();
    writeFileSync(path, JSON.stringify(info({ pid, host: 'other-controller.example.com' })));
    await expect(acquireLock(path, 'apply')).rejects.toThrow(/pid \d+ on other-controller\.example\.com/);
  });

  it('fails with the fs error when the folder does not exist', async () => {
    await expect(acquireLock(join(dir, 'missing', 'x.lock'), 'apply')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('isStale', () => {
  it('a live process with its own start time is not stale', () => {
    expect(isStale(info({}))).toBe(false);
  });

  it('an exited process is stale', async () => {
    expect(isStale(info({ pid: await deadPid() }))).toBe(true);
  });

  it('the same pid with another start time is stale', () => {
    expect(isStale(info({ start: '1' }))).toBe(true);
  });

  it('a live pid with no recorded start time (written without /proc) is not stale; a gone one is', async () => {
    expect(isStale(info({ start: '' }))).toBe(false);
    expect(isStale(info({ pid: await deadPid(), start: '' }))).toBe(true);
  });

  it('without /proc a live pid is held (kill(pid, 0)), a gone pid is stale', async () => {
    expect(isStale(info({ start: '999' }), hostname(), join(dir, 'no-proc'))).toBe(false);
    expect(isStale(info({ pid: await deadPid() }), hostname(), join(dir, 'no-proc'))).toBe(true);
  });

  it("another host's lock is never stale", () => {
    expect(isStale(info({ start: '1', host: 'elsewhere' }))).toBe(false);
    expect(isStale(info({ start: '1', host: 'elsewhere' }), 'elsewhere')).toBe(true);
  });

  it('reads the start time past a command name with spaces and parentheses', async () => {
    // the kernel's comm is the executable's base name: "a) b (c" exercises the last-')' rule
    const exe = join(dir, 'a) b (c');
    copyFileSync('/bin/sleep', exe);
    chmodSync(exe, 0o755);
    const child = spawn(exe, ['5'], { stdio: 'ignore' });
    try {
      const pid = child.pid!;
      let stat = '';
      for (let i = 0; i < 50 && !stat.includes('(a) b (c)'); i++) {
        await new Promise((r) => setTimeout(r, 20));
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      }
      const prefix = `${pid} (a) b (c) `;
      expect(stat.startsWith(prefix)).toBe(true);
      const start = stat.slice(prefix.length).split(' ')[19]!;
      expect(start).toMatch(/^\d+$/);
      expect(isStale(info({ pid, start }))).toBe(false);
      expect(isStale(info({ pid, start: `${start}0` }))).toBe(true);
    } finally {
      child.kill();
    }
  });
});
