import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OutcomeCollector, parseEventLine, resultMessage } from '../../src/ansible/events.js';
import { HEADER_TASK } from '../../src/render/header.js';
import { TASK } from '../../src/render/playbooks.js';
import { APPLY_LOOP_MIXED, APPLY_MIXED, CHECK_MIXED, recordedLines, recordedStdout } from './recorded.js';

function collect(lines: string[]): OutcomeCollector {
  const c = new OutcomeCollector();
  for (const l of lines) c.line(l);
  return c;
}

const line = (o: unknown) => JSON.stringify(o);
const ev = (event: string, task: string, host: string, result: Record<string, unknown>) =>
  line({ _event: event, task: { name: task }, hosts: { [host]: result } });

describe('recorded apply with one sysctl loop task on 3 hosts (h3: read-only /proc/sys)', () => {
  const c = collect(recordedLines(APPLY_LOOP_MIXED));

  it('h1 and h2 are ok; h3 failed at the loop task with the kernel message of every failed item, not "One or more items failed"', () => {
    for (const h of ['h1', 'h2']) expect(c.hosts.get(h)).toMatchObject({ status: 'ok', changed: false });
    const o = c.hosts.get('h3')!;
    expect(o.status).toBe('failed');
    expect(o.failedTask).toBe(TASK.setSysctl);
    expect(o.message).toBe(
      'setting net.ipv4.ip_local_reserved_ports failed: sysctl: permission denied on key "net.ipv4.ip_local_reserved_ports"; ' +
        'setting net.ipv4.ip_local_port_range failed: sysctl: permission denied on key "net.ipv4.ip_local_port_range"',
    );
  });
});

describe('recorded apply on 3 hosts (h3 fails: permission denied)', () => {
  const c = collect(recordedLines(APPLY_MIXED));

  it('has one outcome per host that ran', () => {
    expect([...c.hosts.keys()].sort()).toEqual(['h1', 'h2', 'h3']);
  });

  it('h1 and h2 are ok, unchanged, with no failure', () => {
    for (const h of ['h1', 'h2']) {
      const o = c.hosts.get(h)!;
      expect(o.status).toBe('ok');
      expect(o.changed).toBe(false);
      expect(o.changedTasks).toEqual([]);
      expect(o.failedTask).toBeUndefined();
      expect(o.message).toBeUndefined();
    }
  });

  it('h3 failed at the sysctl task with the kernel message, on one line', () => {
    const o = c.hosts.get('h3')!;
    expect(o.status).toBe('failed');
    // recorded before issue 13 merged the two sysctl tasks into one loop
    expect(o.failedTask).toBe('fleet set reserved ports');
    expect(o.message).toContain('permission denied');
    expect(o.message).toBe('setting net.ipv4.ip_local_reserved_ports failed: sysctl: permission denied on key "net.ipv4.ip_local_reserved_ports"');
    expect(o.changed).toBe(false);
    expect(o.reads).toEqual({});
  });

  it('keeps the raw read-back stdout by task name, and nothing for tasks without stdout', () => {
    const h1 = c.hosts.get('h1')!;
    expect(Object.keys(h1.reads)).toEqual([TASK.readBack]);
    expect(h1.reads[TASK.readBack]).toBe(recordedStdout(APPLY_MIXED, 'h1', TASK.readBack));
    expect(h1.reads[TASK.readBack]).toMatch(/^@@fleet begin readback-2\r\n@@fleet reserved ok\r\n 33 35 30 30 30 2c/);
    expect(h1.reads[TASK.readBack]).toMatch(/@@fleet end\r\n$/);
  });

  it('reads the final stats', () => {
    expect(c.stats).toBeDefined();
    expect(Object.keys(c.stats!).sort()).toEqual(['h1', 'h2', 'h3']);
    expect(c.stats!.h1).toEqual({ changed: 0, failures: 0, ignored: 0, ok: 3, rescued: 0, skipped: 1, unreachable: 0 });
    expect(c.stats!.h3!.failures).toBe(1);
    expect(c.stats!.h3!.ok).toBe(0);
  });

  it('finds no noise in clean callback output', () => {
    expect(c.noise).toEqual([]);
  });
});

describe('recorded check on 4 hosts (h4 unreachable)', () => {
  const c = collect(recordedLines(CHECK_MIXED));

  it('h1..h3 ok with their read state, h4 unreachable with the ssh message', () => {
    for (const h of ['h1', 'h2', 'h3']) {
      const o = c.hosts.get(h)!;
      expect(o.status).toBe('ok');
      expect(o.reads[TASK.readState]).toBe(recordedStdout(CHECK_MIXED, h, TASK.readState));
    }
    expect(c.hosts.get('h3')!.reads[TASK.readState]).toContain('@@fleet reserved ok\r\n 37 30 30 30\r\n');
    const h4 = c.hosts.get('h4')!;
    expect(h4.status).toBe('unreachable');
    expect(h4.failedTask).toBe(TASK.readState);
    expect(h4.message).toBe('Failed to connect to the host via ssh: ssh: connect to host 198.18.5.14 port 22: Connection refused');
    expect(h4.reads).toEqual({});
  });

  it('stats count h4 as unreachable', () => {
    expect(c.stats!.h4).toMatchObject({ ok: 0, unreachable: 1, failures: 0 });
    expect(c.stats!.h1).toMatchObject({ ok: 1, unreachable: 0 });
  });
});

describe('the apply plugin: one task, several steps (issue 13)', () => {
  const steps = [TASK.setSysctl, HEADER_TASK];

  it('an ok result lists the steps that changed the host, and keeps the read-back stdout under the task name', () => {
    const c = collect([ev('v2_runner_on_ok', TASK.apply, 'h1', { changed: true, fleet_changed: steps, stdout: '@@fleet begin readback-2' })]);
    expect(c.hosts.get('h1')).toMatchObject({ status: 'ok', changed: true, changedTasks: steps, reads: { [TASK.apply]: '@@fleet begin readback-2' } });
  });

  it('an ok result with no changed step is unchanged', () => {
    const c = collect([ev('v2_runner_on_ok', TASK.apply, 'h1', { changed: false, fleet_changed: [], stdout: 'x' })]);
    expect(c.hosts.get('h1')).toMatchObject({ status: 'ok', changed: false, changedTasks: [] });
  });

  it('a failure names the step that failed, with its message, and keeps what changed before it', () => {
    const c = collect([
      ev('v2_runner_on_failed', TASK.apply, 'h1', {
        failed: true,
        changed: true,
        fleet_changed: [TASK.setSysctl],
        fleet_step: TASK.writeWhole,
        msg: 'non-zero return code',
        stderr: 'dd: error writing',
      }),
    ]);
    expect(c.hosts.get('h1')).toMatchObject({
      status: 'failed',
      changed: true,
      changedTasks: [TASK.setSysctl],
      failedTask: TASK.writeWhole,
      message: 'non-zero return code: dd: error writing',
    });
  });

  it('an unreachable host names the step it was lost at and keeps what changed before it', () => {
    const c = collect([
      ev('v2_runner_on_unreachable', TASK.apply, 'h1', {
        unreachable: true,
        changed: true,
        fleet_changed: steps,
        fleet_step: TASK.readBack,
        msg: 'Failed to connect',
      }),
    ]);
    expect(c.hosts.get('h1')).toMatchObject({
      status: 'unreachable',
      changed: true,
      changedTasks: steps,
      failedTask: TASK.readBack,
      message: 'Failed to connect',
    });
  });

  it('a failure before any change is unchanged', () => {
    const c = collect([
      ev('v2_runner_on_failed', TASK.apply, 'h1', {
        failed: true,
        changed: false,
        fleet_changed: [],
        fleet_step: TASK.setSysctl,
        msg: 'value cannot be blank',
      }),
    ]);
    expect(c.hosts.get('h1')).toMatchObject({ status: 'failed', changed: false, failedTask: TASK.setSysctl });
  });
});

describe('parseEventLine', () => {
  it('classifies each recorded event', () => {
    const kinds = recordedLines(APPLY_MIXED).map((l) => parseEventLine(l)?.kind);
    expect(kinds).toEqual([
      'play_start',
      'task_start',
      'ok',
      'ok',
      'failed',
      'task_start',
      'skipped',
      'skipped',
      'task_start',
      'ok',
      'ok',
      'task_start',
      'ok',
      'ok',
      'stats',
    ]);
  });

  it('gives task and host of a runner event, and no host for a task start', () => {
    const [, start, ok] = recordedLines(APPLY_MIXED);
    expect(parseEventLine(start!)).toEqual({ kind: 'task_start', task: 'fleet set reserved ports' });
    const e = parseEventLine(ok!)!;
    expect(e.kind).toBe('ok');
    expect(e.host).toBe('h2');
    expect(e.task).toBe('fleet set reserved ports');
    expect(e.result).toMatchObject({ action: 'ansible.posix.sysctl', changed: false });
  });

  it('maps v2_runner_on_start (free strategy) to task_start and unknown events to other', () => {
    expect(parseEventLine(line({ _event: 'v2_runner_on_start', task: { name: 't' }, hosts: {} }))?.kind).toBe('task_start');
    expect(parseEventLine(line({ _event: 'v2_playbook_on_handler_task_start', task: { name: 't' }, hosts: {} }))?.kind).toBe('other');
    expect(parseEventLine(line({ hello: 1 }))?.kind).toBe('other');
  });

  it.each([
    "[WARNING]: Skipping callback plugin '', unable to load",
    'PLAY [x] ***',
    '',
    '   ',
    '{"_event": "v2_runner_on_ok", "hosts": {"h1"',
    '{not json}',
    '[1,2,3]',
    'null',
    '42',
  ])('is undefined for non-event line %j', (l) => {
    expect(parseEventLine(l)).toBeUndefined();
  });

  it('tolerates odd shapes without throwing', () => {
    expect(parseEventLine(line({ _event: 'v2_runner_on_ok', hosts: null, task: null }))).toEqual({ kind: 'ok' });
    expect(parseEventLine(line({ _event: 'v2_playbook_on_stats' }))).toEqual({ kind: 'stats', stats: {} });
    expect(parseEventLine(line({ _event: 'v2_runner_on_failed', task: { name: 't' }, hosts: { h1: null } }))).toMatchObject({ kind: 'failed', host: 'h1' });
  });
});

describe('OutcomeCollector', () => {
  it('keeps noise lines out of the outcomes and records them', () => {
    const lines = recordedLines(CHECK_MIXED);
    const noisy = [
      '[DEPRECATION WARNING]: something old.',
      ...lines.slice(0, 3),
      'Shared connection to 198.18.5.11 closed.',
      '',
      ...lines.slice(3),
      'ERROR! this is not JSON {',
    ];
    const c = collect(noisy);
    const clean = collect(lines);
    expect(c.hosts).toEqual(clean.hosts);
    expect(c.stats).toEqual(clean.stats);
    expect(c.noise).toEqual(['[DEPRECATION WARNING]: something old.', 'Shared connection to 198.18.5.11 closed.', 'ERROR! this is not JSON {']);
  });

  it('returns the parsed event from line(), undefined for noise', () => {
    const c = new OutcomeCollector();
    expect(c.line('noise')).toBeUndefined();
    expect(c.line(recordedLines(CHECK_MIXED).at(-1)!)?.kind).toBe('stats');
  });

  it('never throws on arbitrary lines, including truncated recorded ones', () => {
    const recorded = [...recordedLines(APPLY_MIXED), ...recordedLines(CHECK_MIXED)];
    const truncated = fc.tuple(fc.constantFrom(...recorded), fc.nat()).map(([l, n]) => l.slice(0, n % (l.length + 1)));
    const jsonish = fc.jsonValue().map((v) => JSON.stringify(v));
    const eventish = fc
      .record({
        _event: fc.constantFrom('v2_runner_on_ok', 'v2_runner_on_failed', 'v2_runner_on_unreachable', 'v2_playbook_on_stats'),
        hosts: fc.jsonValue(),
        task: fc.jsonValue(),
        stats: fc.jsonValue(),
      })
      .map((o) => JSON.stringify(o));
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), truncated, jsonish, eventish)), (ls) => {
        const c = new OutcomeCollector();
        for (const l of ls) c.line(l);
      }),
      { numRuns: 300 },
    );
  });

  it('a truncated line in the middle of a run loses only that event', () => {
    const lines = recordedLines(APPLY_MIXED);
    const failedAt = lines.findIndex((l) => l.includes('v2_runner_on_failed'));
    const cut = lines.map((l, i) => (i === failedAt ? l.slice(0, 80) : l));
    const c = collect(cut);
    expect(c.hosts.get('h3')).toBeUndefined();
    expect(c.hosts.get('h1')!.status).toBe('ok');
    expect(c.noise).toHaveLength(1);
    expect(c.stats!.h3!.failures).toBe(1);
  });

  it('records changed tasks in order', () => {
    const c = collect([
      ev('v2_runner_on_ok', TASK.setSysctl, 'h1', { changed: true }),
      ev('v2_runner_on_ok', TASK.writeWhole, 'h1', { changed: false }),
      ev('v2_runner_on_ok', TASK.readBack, 'h1', { changed: true, stdout: 'x' }),
    ]);
    const o = c.hosts.get('h1')!;
    expect(o.changed).toBe(true);
    expect(o.changedTasks).toEqual([TASK.setSysctl, TASK.readBack]);
    expect(o.reads).toEqual({ [TASK.readBack]: 'x' });
  });

  it('skipped results neither change nor fail the host', () => {
    const c = collect([ev('v2_runner_on_skipped', TASK.writeWhole, 'h1', { changed: true, skipped: true, stdout: 'nope' })]);
    expect(c.hosts.get('h1')).toBeUndefined();
  });

  it('an unreachable host stays unreachable when a later failure arrives', () => {
    const c = collect([
      ev('v2_runner_on_unreachable', 'a', 'h1', { unreachable: true, msg: 'timed out' }),
      ev('v2_runner_on_failed', 'b', 'h1', { failed: true, msg: 'boom' }),
    ]);
    expect(c.hosts.get('h1')!.status).toBe('unreachable');
  });

  it('keeps the stdout of a failed task (the read-back that failed its check)', () => {
    const c = collect([ev('v2_runner_on_failed', TASK.readBack, 'h1', { failed: true, rc: 1, stdout: '@@fleet reserved\n', stderr: '' })]);
    expect(c.hosts.get('h1')!.reads[TASK.readBack]).toBe('@@fleet reserved\n');
    expect(c.hosts.get('h1')!.message).toBe('@@fleet reserved');
  });

  describe('ignore_errors', () => {
    // Recorded from ansible-core 2.14 + ansible.posix 1.5.4: the jsonl callback
    // does NOT put ignore_errors into the result; only the stats say "ignored".
    const failedIgnored = line({
      _event: 'v2_runner_on_failed',
      hosts: {
        localhost: {
          _ansible_no_log: false,
          action: 'ansible.builtin.command',
          changed: true,
          cmd: ['/bin/false'],
          failed: true,
          msg: 'non-zero return code',
          rc: 1,
          stderr: '',
          stdout: '',
        },
      },
      task: { name: 'may fail' },
    });
    const after = line({
      _event: 'v2_runner_on_ok',
      hosts: { localhost: { action: 'ansible.builtin.command', changed: true, rc: 0, stdout: 'hi' } },
      task: { name: 'after' },
    });
    const stats = line({
      _event: 'v2_playbook_on_stats',
      stats: { localhost: { changed: 2, failures: 0, ignored: 1, ok: 2, rescued: 0, skipped: 0, unreachable: 0 } },
    });

    it('a failure Ansible ignored does not mark the host failed (real callback output)', () => {
      const c = collect([failedIgnored, after, stats]);
      const o = c.hosts.get('localhost')!;
      expect(o.status).toBe('ok');
      expect(o.failedTask).toBeUndefined();
      expect(o.message).toBeUndefined();
      expect(o.reads.after).toBe('hi');
    });

    it('an ignored failure as the last task is also ok once the stats arrive', () => {
      const c = collect([
        failedIgnored,
        line({ _event: 'v2_playbook_on_stats', stats: { localhost: { changed: 0, failures: 0, ignored: 1, ok: 0, rescued: 0, skipped: 0, unreachable: 0 } } }),
      ]);
      expect(c.hosts.get('localhost')!.status).toBe('ok');
    });

    it('a result flagged ignore_errors is not a failure even before stats', () => {
      const c = collect([ev('v2_runner_on_failed', 't', 'h1', { failed: true, ignore_errors: true, msg: 'x' })]);
      expect(c.hosts.get('h1')!.status).toBe('ok');
    });

    it('a real failure stays failed when stats count it', () => {
      const c = collect([
        ev('v2_runner_on_failed', 't', 'h1', { failed: true, msg: 'x' }),
        line({ _event: 'v2_playbook_on_stats', stats: { h1: { changed: 0, failures: 1, ignored: 0, ok: 0, rescued: 0, skipped: 0, unreachable: 0 } } }),
      ]);
      expect(c.hosts.get('h1')).toMatchObject({ status: 'failed', failedTask: 't', message: 'x' });
    });
  });
});

describe('resultMessage', () => {
  it.each([
    [undefined, 'no result'],
    [{}, 'failed without a message'],
    [{ msg: 'boom' }, 'boom'],
    [{ msg: 'non-zero return code', stderr: 'sysctl: cannot stat /proc/sys/x\n' }, 'non-zero return code: sysctl: cannot stat /proc/sys/x'],
    [{ msg: 'MODULE FAILURE\nSee stdout/stderr', module_stderr: 'Traceback\n  line' }, 'MODULE FAILURE See stdout/stderr: Traceback line'],
    [{ msg: 'failed: permission denied', stderr: 'permission denied' }, 'failed: permission denied'],
    [{ rc: 2 }, 'exit code 2'],
    [{ rc: 2, stdout: 'out' }, 'out'],
    [{ rc: 0 }, 'failed without a message'],
    [{ stderr: '  ', stdout: 'x' }, 'x'],
  ] as const)('%j -> %s', (r, expected) => {
    expect(resultMessage(r as Record<string, unknown> | undefined)).toBe(expected);
  });
});
