import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const PURE = ['policy', 'ports', 'plan', 'render', 'ansible', 'verify', 'report'];
const FORBIDDEN = [/from '\.\.\/(io|engine|lab|cli)\//, /from '\.\.\/inventory\/load\.js'/, /from 'execa'/, /from 'node:child_process'/];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

// src/README.md's layering rule, checked: the pure stages never reach for I/O.
test.each(PURE)('src/%s imports nothing from io/, engine/, lab/, cli/ or a process API', (folder) => {
  const offenders = files(join('src', folder)).flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .filter((line) => FORBIDDEN.some((re) => re.test(line)))
      .map((line) => `${f}: ${line.trim()}`),
  );
  expect(offenders).toEqual([]);
});

// The lab is built on the product's adapters (io/, engine/), never the other way round: the
// product ships without needing lab/, and only cli/lab.ts (and tests) reach into it.
test.each(['io', 'engine', 'inventory', ...PURE])('src/%s imports nothing from lab/ or cli/', (folder) => {
  const offenders = files(join('src', folder)).flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .filter((line) => /from '\.\.\/(lab|cli)\/|import\('\.\.\/(lab|cli)\//.test(line))
      .map((line) => `${f}: ${line.trim()}`),
  );
  expect(offenders).toEqual([]);
});

test('src/lab reuses the product: no atomic writer, /proc stat parser or lock of its own', () => {
  const offenders = files(join('src', 'lab')).flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .filter((line) => /renameSync|\/stat`|flag: 'wx'/.test(line))
      .map((line) => `${f}: ${line.trim()}`),
  );
  expect(offenders).toEqual([]);
});
