/**
 * engine/prelaunch.ts: a `fleet check` seen before starts its Ansible process
 * before validating, and only when nothing it depends on changed.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { confirmProject, prelaunch, recordLaunch } from '../../src/engine/prelaunch.js';
import { LAUNCH_IDLE_MS, pruneIdle } from '../../src/engine/runtime-dir.js';
import { discardSpeculative, speculation } from '../../src/io/exec.js';

let root: string;
let base: string;
let policy: string;
let project: string;
const saved = { xdg: process.env.XDG_RUNTIME_DIR, off: process.env.FLEET_NO_PRELAUNCH };

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'fleet-prelaunch-'));
  process.env.XDG_RUNTIME_DIR = root;
  delete process.env.FLEET_NO_PRELAUNCH;
  base = join(root, 'fleet');
  mkdirSync(base, { mode: 0o700 });
  policy = join(root, 'policy.yaml');
  writeFileSync(policy, 'version: 1\n');
  project = join(root, 'project');
  mkdirSync(join(project, 'playbooks'), { recursive: true });
  writeFileSync(join(project, 'playbooks', 'check.yml'), '- hosts: all\n');
});

afterEach(async () => {
  await discardSpeculative();
  for (const [k, v] of [
    ['XDG_RUNTIME_DIR', saved.xdg],
    ['FLEET_NO_PRELAUNCH', saved.off],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

const ARGV = ['check', 'policy.yaml', '--limit', 'h1', '--json'];
// a stand-in for ansible-playbook: it waits for its input like the start gate
const LAUNCH = { cmd: 'sh', args: ['-c', 'read line'], env: { FLEET_RUN: '1' } };

async function sha(bytes: Buffer): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(bytes).digest('hex');
}

const records = () => readdirSync(base).filter((f) => f.startsWith('launch-'));

describe('prelaunch', () => {
  it('a check seen before, same policy bytes: starts the recorded process, held for adoption', async () => {
    prelaunch(ARGV);
    expect(speculation()).toBeUndefined();
    await recordLaunch({ cwd: process.cwd(), policy, policySha256: await sha(readFileSync(policy)), ...LAUNCH, project }, false);
    expect(records()).toHaveLength(1);
    expect(statSync(join(base, records()[0]!)).mode & 0o777).toBe(0o600);
    prelaunch(ARGV);
    expect(speculation()).toBeDefined();
  });

  it('records only eligible runs: not --remediate, not a password prompt, not another command', async () => {
    for (const argv of [
      ['check', 'p.yaml', '--remediate'],
      ['check', 'p.yaml', '--ask-vault-pass'],
      ['check', 'p.yaml', '-K'],
      ['check', 'p.yaml', '-vK'],
      ['check', '--help'],
      ['apply', 'p.yaml', '--yes'],
      ['plan', 'p.yaml'],
    ]) {
      prelaunch(argv);
      await recordLaunch({ cwd: process.cwd(), policy, policySha256: 'x', ...LAUNCH, project }, false);
    }
    expect(records()).toEqual([]);
  });

  it('FLEET_NO_PRELAUNCH=1 turns it off', async () => {
    await recordedRunWithSha();
    process.env.FLEET_NO_PRELAUNCH = '1';
    prelaunch(ARGV);
    expect(speculation()).toBeUndefined();
  });

  it('an edited policy starts nothing before it is validated', async () => {
    await recordedRunWithSha();
    writeFileSync(policy, 'version: 1\n# edited\n');
    prelaunch(ARGV);
    expect(speculation()).toBeUndefined();
  });

  it('other arguments or another folder: another record, none yet', async () => {
    await recordedRunWithSha();
    prelaunch([...ARGV, '--audit']);
    expect(speculation()).toBeUndefined();
    const cwd = process.cwd();
    process.chdir(root);
    try {
      prelaunch(ARGV);
      expect(speculation()).toBeUndefined();
    } finally {
      process.chdir(cwd);
    }
  });

  it('a runtime folder others can read, or a record that is a link, is not trusted to start anything', async () => {
    await recordedRunWithSha();
    chmodSync(base, 0o755);
    prelaunch(ARGV);
    expect(speculation()).toBeUndefined();
    chmodSync(base, 0o700);
    const record = join(base, records()[0]!);
    renameSync(record, `${record}.real`);
    symlinkSync(`${record}.real`, record);
    prelaunch(ARGV);
    expect(speculation()).toBeUndefined();
  });
});

describe('records over time', () => {
  it('an adopted run marks its record used (not rewritten); pruning removes records unused for 30 days only', async () => {
    await recordedRunWithSha();
    const record = join(base, records()[0]!);
    const old = (Date.now() - LAUNCH_IDLE_MS - 60_000) / 1000;
    utimesSync(record, old, old);
    const before = readFileSync(record, 'utf8');
    prelaunch(ARGV);
    await recordLaunch({ cwd: process.cwd(), policy, policySha256: 'ignored', ...LAUNCH, project }, true);
    expect(readFileSync(record, 'utf8')).toBe(before);
    expect(Date.now() - statSync(record).mtimeMs).toBeLessThan(60_000);
    expect(await pruneIdle(base, join(base, 'none'))).toEqual([]);
    utimesSync(record, old, old);
    expect(await pruneIdle(base, join(base, 'none'))).toEqual([record]);
    expect(records()).toEqual([]);
  });
});

describe('prelaunch refuses a project others could have written (its plugins would run before the checks of a normal run)', () => {
  it.each([
    ['a group-writable project folder', () => chmodSync(project, 0o775)],
    ['a world-writable sub-folder', () => chmodSync(join(project, 'playbooks'), 0o777)],
    ['a group-writable file', () => chmodSync(join(project, 'playbooks', 'check.yml'), 0o664)],
    ['a link in the project', () => symlinkSync('/etc/passwd', join(project, 'playbooks', 'x.py'))],
    ['a world-writable state folder', () => chmodSync(root, 0o777)],
  ])('%s: nothing starts', async (_, change) => {
    await recordedRunWithSha();
    prelaunch(ARGV);
    expect(speculation()).toBeDefined();
    await discardSpeculative();
    change();
    try {
      prelaunch(ARGV);
      expect(speculation()).toBeUndefined();
    } finally {
      chmodSync(root, 0o700);
    }
  });
});

describe('confirmProject', () => {
  it('keeps the speculative process when no project file changed since it started', async () => {
    await recordedRunWithSha();
    await sleep(120);
    prelaunch(ARGV);
    await confirmProject(project);
    expect(speculation()).toBeDefined();
  });

  it.each([
    ['a file rewritten', () => writeFileSync(join(project, 'playbooks', 'check.yml'), '- hosts: web\n')],
    ['a file added', () => writeFileSync(join(project, 'playbooks', 'new.py'), '')],
    ['a file chmod-ed', () => chmodSync(join(project, 'playbooks', 'check.yml'), 0o600)],
  ])('%s since it started: the speculative process is stopped', async (_, change) => {
    await recordedRunWithSha();
    await sleep(120);
    prelaunch(ARGV);
    const pid = speculation()!.pid;
    change();
    await confirmProject(project);
    expect(speculation()).toBeUndefined();
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('a project folder that is gone: stopped', async () => {
    await recordedRunWithSha();
    prelaunch(ARGV);
    await confirmProject(join(root, 'no-such-project'));
    expect(speculation()).toBeUndefined();
  });
});

async function recordedRunWithSha(): Promise<void> {
  prelaunch(ARGV);
  await recordLaunch({ cwd: process.cwd(), policy, policySha256: await sha(readFileSync(policy)), ...LAUNCH, project }, false);
}
