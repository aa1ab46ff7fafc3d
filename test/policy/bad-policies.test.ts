import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ExitCode, FleetError } from '../../src/errors.js';
import { loadPolicy } from '../../src/policy/load.js';
import { sharedTempDir } from '../support/tmp.js';

const dir = fileURLToPath(new URL('../fixtures/bad-policies/', import.meta.url));
const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();

/** Each fixture's first line says what the error must contain: `# expect: is above 65535`. */
async function expectation(file: string): Promise<string> {
  const first = (await readFile(join(dir, file), 'latin1')).split('\n')[0] ?? '';
  const m = /^# expect: (.+)$/.exec(first);
  if (!m) throw new Error(`${file}: first line must be "# expect: <substring>"`);
  return m[1]!;
}

async function rejection(file: string): Promise<FleetError> {
  const e = await loadPolicy(file).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FleetError);
  return e as FleetError;
}

// `file:LINE:COL path: message` — the position and a field path (or `(document)`) on every line.
const LINE = /:\d+:\d+ (\(document\)|[A-Za-z_][\w-]*(\.[\w-]+|\[\d+\]|\[".*?"\])*): \S/;

describe('bad policies: every fixture is rejected with exit 2, a position, a path and its message', () => {
  it('has at least 30 fixtures', () => expect(files.length).toBeGreaterThanOrEqual(30));

  it.each(files)('%s', async (name) => {
    const e = await rejection(join(dir, name));
    expect(e.exitCode).toBe(ExitCode.invalid);
    expect(e.message).toContain(join(dir, name));
    expect(e.details.length).toBeGreaterThan(0);
    for (const d of e.details) expect(d).toMatch(LINE);
    expect(e.details.join('\n')).toContain(await expectation(name));
  });
});

describe('files that are not policies at all', () => {
  const tmp = sharedTempDir('policy');

  it('huge-file.yaml (> 1 MiB, generated here rather than committed)', async () => {
    const file = join(tmp, 'huge-file.yaml');
    await writeFile(file, `version: 1\n${'# padding padding padding padding padding padding padding\n'.repeat(20_000)}`);
    const e = await rejection(file);
    expect(e.exitCode).toBe(2);
    expect(e.details).toEqual([expect.stringMatching(/huge-file\.yaml:1:1 \(document\): the file is \d+ bytes, more than the 1 MiB/)]);
  });

  it('a directory', async () => {
    const e = await rejection(tmp);
    expect([e.exitCode, e.message]).toEqual([2, `policy ${tmp}: is a directory; pass the policy YAML file itself`]);
  });

  it('a missing file', async () => {
    const e = await rejection(join(tmp, 'nope.yaml'));
    expect([e.exitCode, e.message]).toEqual([2, `policy ${join(tmp, 'nope.yaml')}: does not exist`]);
  });

  it('keeps the file name as given (relative stays relative)', async () => {
    const e = await rejection('test/fixtures/bad-policies/port-above-65535.yaml');
    expect(e.details).toEqual(['test/fixtures/bad-policies/port-above-65535.yaml:4:24 reserved_ports[1]: 70000 is above 65535']);
    expect(e.message).toBe('policy test/fixtures/bad-policies/port-above-65535.yaml: 1 problem found; fix it and run again');
  });
});
