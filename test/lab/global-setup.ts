/**
 * Brings up the lab every integration test shares (TEST_LAB in lab-config.ts:
 * 6 hosts, web = h1-h3, db = h4-h6, in `.lab-test/`, apart from a user's demo
 * lab in `.lab/`). Tests get the LabState with `inject('lab')` (null
 * when the lab could not start: not root, missing tools; every lab test then
 * skips). With CI=true a lab that cannot start fails the run instead.
 * FLEET_LAB_KEEP=1 leaves the lab up afterwards for debugging. Runs take a
 * lock per lab prefix (/run/fleet-lab/test-run-PREFIX.lock), so concurrent runs
 * of one lab wait their turn.
 */
import type { TestProject } from 'vitest/node';
import { labDown, labUp, waitForLabLock, type LabState } from '../../src/lab/index.js';
import { TEST_LAB } from './lab-config.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The shared lab, or null when lab tests must skip. */
    lab: LabState | null;
  }
}

export { TEST_LAB };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let state: LabState | null = null;
  let release = async (): Promise<void> => undefined;
  if (process.getuid?.() !== 0) {
    if (process.env.CI === 'true') throw new Error('lab tests need root (CI=true: refusing to skip them)');
    process.stderr.write('lab tests skipped: they need root (network namespaces); run `sudo npm test`\n');
  } else {
    try {
      // Concurrent lab runs in one checkout would share (and tear down) one lab: take turns.
      release = await waitForLabLock(`test-run-${TEST_LAB.prefix}`, 15 * 60_000, (pid) =>
        process.stderr.write(`lab: waiting for another lab test run (pid ${pid})\n`),
      );
      const started = performance.now();
      state = await labUp(TEST_LAB);
      process.stderr.write(`lab: ${state.hosts.length} hosts up in ${Math.round(performance.now() - started)} ms\n`);
    } catch (e) {
      await release();
      if (process.env.CI === 'true') throw e;
      process.stderr.write(`lab tests skipped: the lab could not start: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  project.provide('lab', state);
  return async () => {
    try {
      if (state && process.env.FLEET_LAB_KEEP !== '1') await labDown(state.dir);
    } finally {
      await release();
    }
  };
}
