/** Temporary folders that remove themselves: no test cleans up by hand. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

function make(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `fleet-${prefix}-`));
}

const remove = (dir: string) => rmSync(dir, { recursive: true, force: true });

/** Inside a test: a new folder, removed when the test finishes (passed or failed). */
export function tempDir(prefix: string): string {
  const dir = make(prefix);
  onTestFinished(() => remove(dir));
  return dir;
}

/** At the top of a file or in a describe: one folder for the file's tests, removed after all of them. */
export function sharedTempDir(prefix: string): string {
  const dir = make(prefix);
  afterAll(() => remove(dir));
  return dir;
}
