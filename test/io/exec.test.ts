/** io/exec.ts: the one place fleet spawns processes, on node:child_process (no process library on the start-up path). */
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, run, setReadOnly } from '../../src/io/exec.js';

afterEach(() => setReadOnly(false));

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
    const state = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] : 'gone';
    expect(['gone', 'Z']).toContain(state);
  });
});
