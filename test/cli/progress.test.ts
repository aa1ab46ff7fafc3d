import { describe, expect, it } from 'vitest';
import type { AnsibleEvent } from '../../src/ansible/events.js';
import { Progress } from '../../src/cli/progress.js';
import { TASK } from '../../src/render/playbooks.js';

class FakeStream {
  chunks: string[] = [];
  write(s: string): boolean {
    this.chunks.push(s);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
  get lines(): string[] {
    return this.text.split('\n').filter(Boolean);
  }
}

function progress(total: number, tty: boolean) {
  const stream = new FakeStream();
  const bar = new Progress('apply', total, stream as unknown as NodeJS.WriteStream, tty);
  // the engine's onEvent for a write run (apply, remediate, rollback): a host is done at its read-back
  const p = { onEvent: bar.events('write'), finish: () => bar.finish() };
  return { p, stream };
}

const done = (host: string): AnsibleEvent => ({ kind: 'ok', host, task: TASK.readBack, result: {} });
const failed = (host: string, msg: unknown = 'boom'): AnsibleEvent => ({ kind: 'failed', host, task: TASK.setSysctl, result: { msg } });
const unreachable = (host: string, msg: string): AnsibleEvent => ({ kind: 'unreachable', host, task: TASK.setSysctl, result: { msg } });

describe('Progress (not a terminal)', () => {
  it('prints one line per tenth of the fleet', () => {
    const { p, stream } = progress(20, false);
    for (let i = 1; i <= 20; i++) p.onEvent(done(`h${i}`));
    expect(stream.lines).toEqual(Array.from({ length: 10 }, (_, k) => `apply: ${(k + 1) * 2}/20 hosts done, 0 failed or unreachable`));
    expect(stream.text).not.toContain('\r');
    expect(stream.text).not.toContain('\x1b');
  });

  it('prints every host on a small fleet, and the last one always', () => {
    const { p, stream } = progress(3, false);
    for (const h of ['a', 'b', 'c']) p.onEvent(done(h));
    expect(stream.lines).toEqual([
      'apply: 1/3 hosts done, 0 failed or unreachable',
      'apply: 2/3 hosts done, 0 failed or unreachable',
      'apply: 3/3 hosts done, 0 failed or unreachable',
    ]);
  });

  it('prints failures and unreachable hosts as they happen, first line of the message', () => {
    const { p, stream } = progress(100, false);
    p.onEvent(failed('h1', 'setting failed: permission denied\nmore detail'));
    p.onEvent(unreachable('h2', 'Failed to connect to the host via ssh: Connection refused'));
    expect(stream.lines).toEqual([
      'apply: h1 failed: setting failed: permission denied',
      'apply: h2 unreachable: Failed to connect to the host via ssh: Connection refused',
    ]);
  });

  it('counts failures in the progress lines', () => {
    const { p, stream } = progress(10, false);
    p.onEvent(failed('h1'));
    p.onEvent(done('h2'));
    expect(stream.lines).toEqual([
      'apply: h1 failed: boom',
      'apply: 1/10 hosts done, 1 failed or unreachable',
      'apply: 2/10 hosts done, 1 failed or unreachable',
    ]);
  });

  it('a failure without a message, or with a long one', () => {
    const { p, stream } = progress(100, false);
    p.onEvent({ kind: 'failed', host: 'h1', task: TASK.setSysctl, result: {} });
    p.onEvent(failed('h2', 'x'.repeat(500)));
    expect(stream.lines[0]).toBe('apply: h1 failed');
    expect(stream.lines[1]).toBe(`apply: h2 failed: ${'x'.repeat(160)}`);
  });

  it('ignores events without a host, intermediate tasks, skips and repeats', () => {
    const { p, stream } = progress(2, false);
    p.onEvent({ kind: 'task_start', task: TASK.readBack });
    p.onEvent({ kind: 'ok', host: 'h1', task: TASK.setSysctl, result: {} });
    p.onEvent({ kind: 'skipped', host: 'h1', task: TASK.writeWhole, result: {} });
    p.onEvent({ kind: 'stats', stats: {} });
    expect(stream.chunks).toEqual([]);
    p.onEvent(done('h1'));
    p.onEvent(done('h1'));
    p.onEvent(failed('h1'));
    expect(stream.lines).toEqual(['apply: 1/2 hosts done, 0 failed or unreachable']);
  });

  it('finish prints nothing in a pipe', () => {
    const { p, stream } = progress(1, false);
    p.finish();
    expect(stream.chunks).toEqual([]);
  });
});

describe('Progress: text from hosts and Ansible (issue 15 case 7)', () => {
  it.each([false, true])('escape sequences and control characters never reach the stream (tty %s)', (tty) => {
    const { p, stream } = progress(2, tty);
    p.onEvent(failed('h1', 'bad\x1b]0;owned\x07\x1b[2Jrest\x9b31m'));
    p.onEvent(unreachable('h2\x1b[2J\x07', '\x1b[31mred\rover'));
    const text = stream.text.replace(/\r\x1b\[K/g, ''); // the progress line's own rewrite on a terminal
    expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(text).toContain('h1 failed: badrest');
    expect(text).toContain('h2␇ unreachable: red over'); // a bell shown, not rung
  });
});

describe('Progress: the phase says which task ends a host', () => {
  it('a read run counts a host done at its read, not at a read-back', () => {
    const stream = new FakeStream();
    const bar = new Progress('check', 2, stream as unknown as NodeJS.WriteStream, false);
    const onEvent = bar.events('read');
    onEvent(done('h1'));
    expect(stream.chunks).toEqual([]);
    onEvent({ kind: 'ok', host: 'h1', task: TASK.readState, result: {} });
    expect(stream.lines).toEqual(['check: 1/2 hosts done, 0 failed or unreachable']);
  });

  it('takes neutral host events directly', () => {
    const stream = new FakeStream();
    const bar = new Progress('check', 1, stream as unknown as NodeJS.WriteStream, false);
    bar.onHost({ host: 'h1', outcome: 'unreachable', message: 'no route' });
    expect(stream.lines).toEqual(['check: h1 unreachable: no route', 'check: 1/1 hosts done, 1 failed or unreachable']);
  });
});

describe('Progress (terminal)', () => {
  it('rewrites one status line and keeps failures on their own lines', () => {
    const { p, stream } = progress(100, true);
    p.onEvent(done('h1'));
    p.onEvent(failed('h2'));
    p.finish();
    expect(stream.chunks).toEqual([
      '\r\x1b[Kapply: 1/100 hosts done, 0 failed or unreachable',
      '\r\x1b[Kapply: h2 failed: boom\n',
      '\r\x1b[Kapply: 2/100 hosts done, 1 failed or unreachable',
      '\r\x1b[K',
    ]);
  });
});
