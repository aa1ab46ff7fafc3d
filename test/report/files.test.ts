// Tests for src/io/files.ts. They live here because the report writer is
// the only user of these helpers; they touch a temp folder, nothing else.
import { chmod, lstat, readdir, readFile, readlink, stat, symlink, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import { FleetError } from '../../src/errors.js';
import { writeFileAtomic, writeReports } from '../../src/io/files.js';
import { parseReportSpec, renderReport } from '../../src/report/index.js';
import { checkReport } from '../fixtures/reports/build.js';
import { tempDir } from '../support/tmp.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('files');
});

describe('writeFileAtomic', () => {
  test('creates parent folders, writes, leaves no temp file', async () => {
    const path = join(dir, 'a', 'b', 'fleet.prom');
    await writeFileAtomic(path, 'x 1\n');
    expect(await readFile(path, 'utf8')).toBe('x 1\n');
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['fleet.prom']);
  });

  test('replaces an existing file and sets the mode despite the umask', async () => {
    const path = join(dir, 'r.json');
    await writeFile(path, 'old', { mode: 0o600 });
    const old = process.umask(0o077);
    try {
      await writeFileAtomic(path, 'new');
    } finally {
      process.umask(old);
    }
    expect(await readFile(path, 'utf8')).toBe('new');
    expect((await stat(path)).mode & 0o777).toBe(0o644);
    await writeFileAtomic(path, 'newer', 0o640);
    expect((await stat(path)).mode & 0o777).toBe(0o640);
  });

  test('a write that cannot happen is a FleetError (exit 3) and leaves nothing behind', async () => {
    const target = join(dir, 'is-a-dir');
    await mkdir(target);
    const err = await writeFileAtomic(target, 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FleetError);
    expect((err as FleetError).exitCode).toBe(3);
    expect((err as FleetError).message).toContain(`cannot write ${target}`);
    expect(await readdir(dir)).toEqual(['is-a-dir']);
  });
});

describe('writeFileAtomic in a folder others can write (issue 15 case 2)', () => {
  test('a symlink planted at the old temp name (path.tmp-PID) is neither followed, truncated nor chmod-ed', async () => {
    const victim = join(dir, 'victim');
    await writeFile(victim, 'secret', { mode: 0o600 });
    const path = join(dir, 'fleet.prom');
    await symlink(victim, `${path}.tmp-${process.pid}`);
    await writeFileAtomic(path, 'x 1\n');
    expect(await readFile(victim, 'utf8')).toBe('secret');
    expect((await stat(victim)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toBe('x 1\n');
    expect((await lstat(path)).isSymbolicLink()).toBe(false);
    expect(await readlink(`${path}.tmp-${process.pid}`)).toBe(victim); // not ours: left alone
  });

  test('a symlink at the target itself is replaced, not written through', async () => {
    const victim = join(dir, 'victim');
    await writeFile(victim, 'secret', { mode: 0o600 });
    const path = join(dir, 'fleet.prom');
    await symlink(victim, path);
    await writeFileAtomic(path, 'x 1\n');
    expect(await readFile(victim, 'utf8')).toBe('secret');
    expect((await stat(victim)).mode & 0o777).toBe(0o600);
    expect((await lstat(path)).isSymbolicLink()).toBe(false);
  });

  test('repeated writes in a group-writable folder leave only the target behind', async () => {
    await chmod(dir, 0o777);
    const path = join(dir, 'r.json');
    for (let i = 0; i < 5; i++) await writeFileAtomic(path, `v${i}`);
    expect(await readFile(path, 'utf8')).toBe('v4');
    expect(await readdir(dir)).toEqual(['r.json']);
  });
});

describe('writeReports', () => {
  test('renders and writes every spec', async () => {
    const r = checkReport();
    const specs = ['junit=out/fleet.xml', 'prometheus=prom/fleet.prom', 'json=fleet.json', 'html=fleet.html'].map((s) => {
      const spec = parseReportSpec(s);
      return { ...spec, path: join(dir, spec.path) };
    });
    const written = await writeReports(specs, r);
    expect(written).toEqual(specs.map((s) => s.path));
    for (const s of specs) expect(await readFile(s.path, 'utf8')).toBe(renderReport(s.format, r));
  });
});
