/**
 * The lock under real races (issue 15): many processes taking and releasing
 * one lock while stale locks are planted between rounds, and the lock seen
 * from a process without /proc. Runs the built lock (dist/engine/lock.js) in
 * separate Node processes: needs `npm run build`.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/engine/lock.js';
import { sharedTempDir } from '../support/tmp.js';

const LIB = resolve('dist/engine/lock.js');
const PROCESSES = 20;
const ROUNDS = 50;

const dir = sharedTempDir('lock-hammer');
beforeAll(() => {
  if (!existsSync(LIB)) throw new Error(`${LIB} is missing: run \`npm run build\` before these tests`);
});

/** Each worker: ROUNDS times take the lock (retrying while held), log enter/exit with O_APPEND, release; every fifth round (not the last) plant a stale lock. */
const WORKER = `
import { acquireLock } from ${JSON.stringify(pathToFileURL(LIB).href)};
import { appendFileSync, linkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
const [lockPath, log, idText, roundsText, deadlineText] = process.argv.slice(2);
const id = Number(idText), rounds = Number(roundsText), deadline = Number(deadlineText);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function plantStale(round) {
  const tmp = lockPath + '.plant-' + id + '-' + round;
  if (round % 2) {
    // this very pid with another start time: a reused pid, stale
    writeFileSync(tmp, JSON.stringify({ pid: process.pid, start: 'not-this-process', host: hostname(), command: 'killed', since: 'earlier' }));
  } else {
    // an empty file well past the grace period: a run killed while writing it
    writeFileSync(tmp, '');
    const t = (Date.now() - 3600000) / 1000;
    utimesSync(tmp, t, t);
  }
  try { linkSync(tmp, lockPath); appendFileSync(log, 'stale ' + id + ' ' + round + '\\n'); } catch {}
  unlinkSync(tmp);
}
for (let round = 0; round < rounds; round++) {
  let lock;
  while (!lock) {
    if (Date.now() > deadline) { console.error('deadline passed in round ' + round); process.exit(4); }
    try { lock = await acquireLock(lockPath, 'hammer'); }
    catch (e) { if (e.exitCode !== 3) throw e; await sleep(Math.random() * 4); }
  }
  appendFileSync(log, 'enter ' + id + ' ' + round + '\\n');
  if (round % 2) await sleep(1); // hold across event-loop turns too
  appendFileSync(log, 'exit ' + id + ' ' + round + '\\n');
  await lock.release();
  // never after the last round: every planted lock must meet a later acquire of its planter, so none is left at the end
  if (round < rounds - 1 && round % 5 === id % 5) plantStale(round);
}
`;

function runNode(args: string[], opts: { wrap?: string[] } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const argv = [...(opts.wrap ?? []), process.execPath, ...args];
  return new Promise((res, rej) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', rej);
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

describe('lock hammer', () => {
  it(`${PROCESSES} processes x ${ROUNDS} rounds with stale locks planted: never two holders at once`, { timeout: 240_000 }, async () => {
    const worker = join(dir, 'worker.mjs');
    const lockPath = join(dir, 'hammer.lock');
    const log = join(dir, 'hammer.log');
    writeFileSync(worker, WORKER);
    writeFileSync(log, '');
    const deadline = Date.now() + 200_000; // bounded: a worker that cannot get the lock by then fails the test
    const results = await Promise.all(
      Array.from({ length: PROCESSES }, (_, i) => runNode([worker, lockPath, log, String(i), String(ROUNDS), String(deadline)])),
    );
    for (const r of results) expect(r.code, r.stderr).toBe(0);

    const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    let holder: string | undefined;
    const overlaps: string[] = [];
    let entries = 0;
    lines.forEach((line, n) => {
      const [what, id, round] = line.split(' ');
      const who = `${id}/${round}`;
      if (what === 'enter') {
        entries++;
        if (holder !== undefined) overlaps.push(`line ${n + 1}: ${who} entered while ${holder} held the lock`);
        holder = who;
      } else if (what === 'exit') {
        if (holder !== who) overlaps.push(`line ${n + 1}: ${who} left but the holder was ${holder}`);
        holder = undefined;
      }
    });
    expect(overlaps).toEqual([]);
    expect(entries).toBe(PROCESSES * ROUNDS);
    const planted = lines.filter((l) => l.startsWith('stale ')).length;
    expect(planted).toBeGreaterThan(PROCESSES); // stale locks really were in the way, many times
    expect(existsSync(lockPath)).toBe(false);
  });
});

const canHideProc = process.getuid?.() === 0 && existsSync('/usr/bin/unshare');

describe.skipIf(!canHideProc)('lock without /proc (a private mount namespace with an empty /proc)', () => {
  const PROBE = `
import { acquireLock } from ${JSON.stringify(pathToFileURL(LIB).href)};
import { existsSync } from 'node:fs';
try {
  const lock = await acquireLock(process.argv[2], 'probe');
  console.log(JSON.stringify({ proc: existsSync('/proc/self/stat'), took: true, cleared: lock.clearedStale?.pid ?? null }));
  await lock.release();
} catch (e) {
  console.log(JSON.stringify({ proc: existsSync('/proc/self/stat'), took: false, exitCode: e.exitCode, message: e.message }));
}
`;
  const hidden = ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs none /proc && exec "$@"', 'sh'];

  it('a live holder keeps its lock (kill(pid, 0)); a gone one is cleared', async () => {
    const probe = join(dir, 'probe.mjs');
    writeFileSync(probe, PROBE);
    const lockPath = join(dir, 'noproc.lock');
    const held = await acquireLock(lockPath, 'apply');
    try {
      const r = await runNode([probe, lockPath], { wrap: hidden });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { proc: boolean; took: boolean; exitCode?: number; message?: string };
      expect(out.proc).toBe(false);
      expect(out, 'the probe took a lock held by a live process').toMatchObject({ took: false, exitCode: 3 });
      expect(out.message).toContain(`pid ${process.pid}`);
    } finally {
      await held.release();
    }
    // a lock whose process is gone: cleared without /proc too
    const dead = spawn('true');
    const deadPid = dead.pid!;
    await new Promise((r) => dead.on('exit', r));
    writeFileSync(lockPath, JSON.stringify({ pid: deadPid, start: '1', host: hostname(), command: 'apply', since: 'earlier' }));
    const r2 = await runNode([probe, lockPath], { wrap: hidden });
    expect(JSON.parse(r2.stdout)).toMatchObject({ proc: false, took: true, cleared: deadPid });
  });
});
