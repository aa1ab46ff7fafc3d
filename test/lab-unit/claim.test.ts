import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processStart } from '../../src/io/proc.js';
import { CLAIMS_DIR, waitForLabLock } from '../../src/lab/claim.js';

// The lab's test-run lock is fleet's own lock (engine/lock.ts), waited on.
describe.skipIf(process.getuid?.() !== 0)('waitForLabLock (needs root: /run/fleet-lab)', () => {
  const name = () => `unit-${process.pid}-${Math.random().toString(36).slice(2)}`;

  it('a lock whose PID was reused by another process is stale: taken at once, not waited on', async () => {
    const n = name();
    const file = join(CLAIMS_DIR, `${n}.lock`);
    // our own (live) pid, but a start time that is not ours: the holder died and its pid was reused
    const start = String(Number(processStart(process.pid)) - 1);
    writeFileSync(file, JSON.stringify({ pid: process.pid, start, host: hostname(), command: 'lab test', since: 'then' }) + '\n');
    const waited: number[] = [];
    const release = await waitForLabLock(n, 2_000, (pid) => waited.push(pid));
    expect(waited).toEqual([]);
    expect(JSON.parse(readFileSync(file, 'utf8')).start).toBe(processStart(process.pid));
    await release();
    expect(existsSync(file)).toBe(false);
  });

  it('a live holder is waited on, then the wait gives up with exit 3 naming the holder', async () => {
    const n = name();
    const release = await waitForLabLock(n, 1_000);
    try {
      const waited: number[] = [];
      await expect(waitForLabLock(n, 600, (pid) => waited.push(pid))).rejects.toMatchObject({
        exitCode: 3,
        message: expect.stringContaining(`pid ${process.pid}`),
      });
      expect(waited).toEqual([process.pid]);
    } finally {
      await release();
    }
  });
});
