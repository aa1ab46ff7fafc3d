/** io/exec.ts: the one place fleet spawns processes, on node:child_process (no process library on the start-up path). */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { procAlive } from '../../src/io/proc.js';
import { discardSpeculative, killAll, run, setReadOnly, speculate, speculation } from '../../src/io/exec.js';

afterEach(async () => {
  setReadOnly(false);
  await discardSpeculative();
});

describe('run', () => {
  it('collects stdout and stderr whole, with the exit code', async () => {
    const r = await run('sh', ['-c', 'printf "a\\nb"; printf "oops" >&2; exit 3']);
    expect(r).toMatchObject({ exitCode: 3, signal: undefined, stdout: 'a\nb', stderr: 'oops', spawnError: undefined, timedOut: false });
    expect(r.command).toBe('sh -c printf "a\\nb"; printf "oops" >&2; exit 3');
  });

  it('a command that cannot start: spawnError, no exit code (never a throw)', async () => {
    const r = await run('fleet-no-such-command', []);
    expect(r.exitCode).toBeUndefined();
    expect(r.spawnError).toMatch(/ENOENT/);
  });

  it('input goes to stdin; without input stdin is closed', async () => {
    expect((await run('cat', [], { input: 'x'.repeat(200_000) })).stdout).toHaveLength(200_000);
    expect((await run('cat', [])).stdout).toBe('');
  });

  it('onLine gets each line as it arrives, the last one even without a newline, split multi-byte characters whole', async () => {
    const lines: string[] = [];
    await run('sh', ['-c', 'printf "one\\ntw"; sleep 0.05; printf "o\\n\\303"; sleep 0.05; printf "\\251t\\nlast"'], { onLine: (l) => lines.push(l) });
    expect(lines).toEqual(['one', 'two', 'ét', 'last']);
  });

  it("the environment is added to fleet's own; cwd is honoured", async () => {
    const r = await run('sh', ['-c', 'echo "$FLEET_EXEC_TEST:$HOME:$(pwd)"'], { env: { FLEET_EXEC_TEST: 'yes' }, cwd: '/' });
    expect(r.stdout.trim()).toBe(`yes:${process.env.HOME}:/`);
  });

  it('a timeout stops the process with SIGTERM and says so', async () => {
    const r = await run('sleep', ['10'], { timeoutMs: 100 });
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGTERM', exitCode: undefined });
    expect(r.durationMs).toBeLessThan(5000);
  });

  it('read-only runs refuse a spawn marked write, before anything starts', async () => {
    setReadOnly(true);
    await expect(run('true', [], { write: true })).rejects.toThrow(/read-only/);
    expect((await run('true', [])).exitCode).toBe(0);
  });

  it('killAll signals the process group of a detached child (its own children stop too)', async () => {
    const pending = run('sh', ['-c', 'sleep 30 & wait'], { detached: true });
    await sleep(100);
    expect(killAll('SIGTERM')).toBe(1);
    const r = await pending;
    expect(r.signal).toBe('SIGTERM');
    expect(r.durationMs).toBeLessThan(10_000);
  });
});

describe('fleet ending while a child runs', () => {
  it('the child is stopped too (as execa cleanup did): an uncaught exception leaves no process behind', async () => {
    const script = `
      import { run } from ${JSON.stringify(new URL('../../dist/io/exec.js', import.meta.url).href)};
      void run('sh', ['-c', 'echo $$; exec sleep 30'], { detached: true, onLine: (pid) => { console.log(pid); setTimeout(() => { throw new Error('bug'); }, 50); } });
    `;
    // the built module (npm test builds first): a child Node that imports it and then dies of a bug
    const r = await run(process.execPath, ['--input-type=module', '-e', script]);
    const pid = Number(r.stdout.trim().split('\n')[0]);
    expect(pid).toBeGreaterThan(0);
    await sleep(200);
    // gone, or a zombie waiting for whoever adopted it to reap it: either way no longer running
    expect(procAlive(pid)).toBe(false);
  });
});

describe('a speculative process (engine/prelaunch.ts starts one before fleet has validated its run)', () => {
  // a stand-in for ansible-playbook at its start gate: it does its "work" only once its input says go
  const GATED = ['-c', 'echo started $$; read line; [ "$line" = go ] || exit 4; echo working; echo "$FLEET_EXEC_TEST"'];
  const env = { FLEET_EXEC_TEST: 'same' };

  it('is adopted by the run that asks for exactly it: one process, its output, its input sent only then', async () => {
    expect(speculate('sh', GATED, { env, cwd: '/', detached: true })).toBe(true);
    expect(speculation()!.since).toBeLessThanOrEqual(Date.now());
    await sleep(100);
    const r = await run('sh', GATED, { env, cwd: '/', detached: true, input: 'go\n', adopt: true });
    expect(r).toMatchObject({ exitCode: 0, adopted: true });
    expect(r.stdout.split('\n').slice(1)).toEqual(['working', 'same', '']);
    expect(speculation()).toBeUndefined();
  });

  it.each([
    ['other arguments', { args: [...GATED, 'x'] }],
    ['another folder', { cwd: '/tmp' }],
    ['another environment', { env: { FLEET_EXEC_TEST: 'other' } }],
    ['not detached', { detached: false }],
  ])('%s: the speculative process is stopped (it never got its input) and a new one runs', async (_, diff) => {
    expect(speculate('sh', GATED, { env, cwd: '/', detached: true })).toBe(true);
    await sleep(100);
    const want = { args: GATED, cwd: '/', env, detached: true, ...diff };
    const r = await run('sh', want.args, { env: want.env, cwd: want.cwd, detached: want.detached, input: 'go\n', adopt: true });
    expect(r.adopted).toBe(false);
    expect(r.exitCode).toBe(0);
    expect(speculation()).toBeUndefined();
  });

  it('the stopped one is gone before the new run starts', async () => {
    speculate('sh', ['-c', 'read line'], { detached: true });
    await sleep(100);
    const pid = speculation()!.pid;
    const r = await run('sh', ['-c', 'ps -o pid= -p "$1" >/dev/null && echo alive || echo gone', 'sh', String(pid)], {
      input: '',
      adopt: true,
    });
    expect(r.stdout.trim()).toBe('gone');
  });

  it('a run without `adopt` leaves it alone; discardSpeculative stops it and its process group', async () => {
    speculate('sh', ['-c', 'sleep 30 & echo $!; read line'], { detached: true });
    await sleep(100);
    const pid = speculation()!.pid;
    expect((await run('true', [])).exitCode).toBe(0);
    expect(procAlive(pid)).toBe(true);
    await discardSpeculative();
    await sleep(100);
    expect(procAlive(pid)).toBe(false);
  });

  it('one that already ended is not adopted: the run starts its own', async () => {
    speculate('sh', ['-c', 'exit 5'], { detached: true });
    await sleep(150);
    const r = await run('sh', ['-c', 'exit 5'], { detached: true, input: 'go\n', adopt: true });
    expect(r).toMatchObject({ adopted: false, exitCode: 5 });
  });

  it('one that could not start is never adopted, and never an uncaught error', async () => {
    speculate('fleet-no-such-command', [], {});
    await sleep(50);
    const r = await run('fleet-no-such-command', [], { input: 'go\n', adopt: true });
    expect(r.adopted).toBe(false);
    expect(r.spawnError).toMatch(/ENOENT/);
  });

  it('only one at a time', () => {
    expect(speculate('sh', GATED, { detached: true })).toBe(true);
    expect(speculate('sh', GATED, { detached: true })).toBe(false);
  });

  // in a Node of its own (the built module): nothing else keeps that event loop alive
  const alone = (body: string) =>
    run(process.execPath, [
      '--input-type=module',
      '-e',
      `import { discardSpeculative, speculate, speculation } from ${JSON.stringify(new URL('../../dist/io/exec.js', import.meta.url).href)};\n${body}`,
    ]);

  it('does not keep fleet alive: a run that ends early (an error) ends at once, and the process is stopped', async () => {
    const r = await alone(`speculate('sh', ['-c', 'read line; sleep 30'], { detached: true }); console.log(speculation().pid); process.exitCode = 3;`);
    expect(r.exitCode).toBe(3);
    expect(r.durationMs).toBeLessThan(10_000);
    await sleep(200);
    expect(procAlive(Number(r.stdout.trim()))).toBe(false);
  });

  it('discarding it waits for it to end, even when nothing else keeps fleet alive', async () => {
    const r = await alone(`speculate('sh', ['-c', 'read line'], { detached: true }); await discardSpeculative(); console.log('after');`);
    expect(r).toMatchObject({ exitCode: 0, stdout: 'after\n' });
  });
});
