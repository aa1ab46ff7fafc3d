import { describe, expect, it } from 'vitest';
import type { AnsibleEvent } from '../../src/ansible/events.js';
import { hostProgress, type HostProgress, type Phase } from '../../src/engine/progress.js';
import { TASK } from '../../src/render/playbooks.js';

function feed(phase: Phase, events: AnsibleEvent[]): HostProgress[] {
  const got: HostProgress[] = [];
  const on = hostProgress(phase, (e) => got.push(e));
  for (const ev of events) on(ev);
  return got;
}

describe('hostProgress: Ansible events -> one neutral event per host', () => {
  it('a read is done at the read task; a write at its read-back', () => {
    const events: AnsibleEvent[] = [
      { kind: 'ok', host: 'h1', task: TASK.readState, result: {} },
      { kind: 'ok', host: 'h1', task: TASK.setSysctl, result: {} },
      { kind: 'ok', host: 'h1', task: TASK.readBack, result: {} },
    ];
    expect(feed('read', events)).toEqual([{ host: 'h1', outcome: 'done' }]);
    expect(feed('write', events)).toEqual([{ host: 'h1', outcome: 'done' }]);
    expect(feed('write', events.slice(0, 2))).toEqual([]);
  });

  it("failures and unreachable hosts pass with Ansible's message; events without a host, skips and stats do not", () => {
    expect(
      feed('write', [
        { kind: 'failed', host: 'h1', task: TASK.setSysctl, result: { msg: 'permission denied' } },
        { kind: 'unreachable', host: 'h2', task: TASK.setSysctl, result: {} },
        { kind: 'skipped', host: 'h3', task: TASK.writeWhole, result: {} },
        { kind: 'task_start', task: TASK.readBack },
        { kind: 'stats', stats: {} },
      ]),
    ).toEqual([
      { host: 'h1', outcome: 'failed', message: 'permission denied' },
      { host: 'h2', outcome: 'unreachable' },
    ]);
  });
});
