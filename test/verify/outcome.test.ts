/**
 * The two ladders from a plan, Ansible's outcome for a host and its
 * read-back to the host's result (issue 14/19), on recorded
 * ansible.posix.jsonl runs of the lab.
 */
import { describe, expect, it } from 'vitest';
import { OutcomeCollector, type HostOutcome } from '../../src/ansible/events.js';
import type { HostPlan } from '../../src/plan/desired.js';
import { capacity, DEFAULT_EPHEMERAL } from '../../src/ports/capacity.js';
import { mustParse } from '../../src/ports/portset.js';
import { TASK } from '../../src/render/playbooks.js';
import { applyOutcome, attachPriorState, readOutcome, refusedResult, unreachableMessage, type JudgeContext } from '../../src/verify/outcome.js';
import { DEFAULT_PERSIST_FILE } from '../../src/policy/types.js';
import { APPLY_MIXED, CHECK_MIXED, recordedLines } from '../ansible/recorded.js';

function collect(name: string): OutcomeCollector {
  const c = new OutcomeCollector();
  for (const l of recordedLines(name)) c.line(l);
  return c;
}

function plan(host: string, desired: string, extra: Partial<HostPlan> = {}): HostPlan {
  const set = mustParse(desired);
  return { host, groups: ['web'], desired: set, capacity: capacity(set, DEFAULT_EPHEMERAL), ...extra };
}

const ctx: JudgeContext = { mode: 'exact', persistFile: DEFAULT_PERSIST_FILE, interrupted: false };
// what the lab's policy wanted when these runs were recorded
const RECORDED = '35000,40000-40100,41000-41005';

describe('readOutcome (check-mixed.jsonl: h1..h3 read, h4 unreachable)', () => {
  const c = collect(CHECK_MIXED);
  const read = (host: string, desired = RECORDED, x: JudgeContext = ctx) => {
    const o = c.hosts.get(host);
    return readOutcome(plan(host, desired), o, o?.reads[TASK.readState], x);
  };

  it('a host holding the desired set, persisted, is compliant, with what it holds observed', () => {
    const r = read('h1');
    expect(r.result).toMatchObject({ host: 'h1', groups: ['web'], verdict: 'compliant', changed: false });
    expect(r.observed).toBeDefined();
  });

  it('a host holding another value is drift, naming the missing ports', () => {
    const r = read('h3');
    expect(r.result.verdict).toBe('drift');
    expect(JSON.stringify(r.result)).toContain('35000');
  });

  it('another desired set turns the same read into drift', () => {
    expect(read('h1', '35000').result.verdict).toBe('drift');
  });

  it('an unreachable host is unreachable with the ssh message, nothing observed', () => {
    const r = read('h4');
    expect(r.observed).toBeUndefined();
    expect(r.result).toMatchObject({ verdict: 'unreachable', changed: false, message: expect.stringContaining('Connection refused') });
  });

  it('a targeted host Ansible never reported is not_run, and says why', () => {
    expect(read('h9').result).toMatchObject({ verdict: 'not_run', message: expect.stringContaining('Ansible did not report this host') });
    expect(read('h9', RECORDED, { ...ctx, interrupted: true }).result.message).toContain('interrupted before this host was read');
  });

  it("a read that is not fleet's format is failed with the parser's reason", () => {
    const o: HostOutcome = { host: 'hx', status: 'ok', changed: false, reads: { [TASK.readState]: 'garbage' }, changedTasks: [] };
    const r = readOutcome(plan('hx', RECORDED), o, o.reads[TASK.readState], ctx);
    expect(r.result.verdict).toBe('failed');
    expect(r.observed).toBeUndefined();
  });

  it('a refused plan is refused with its reason', () => {
    expect(refusedResult(plan('h1', RECORDED, { refused: 'only 5 ephemeral ports would stay free' }))).toMatchObject({
      verdict: 'refused',
      message: 'only 5 ephemeral ports would stay free',
      changed: false,
    });
  });
});

describe('applyOutcome (apply-mixed.jsonl: h1, h2 applied, h3 failed)', () => {
  const c = collect(APPLY_MIXED);
  const applied = (host: string, x: JudgeContext = ctx) => {
    const o = c.hosts.get(host);
    return applyOutcome(plan(host, RECORDED), o, o?.reads[TASK.readBack], x);
  };

  it('an applied host is judged from its read-back in the same connection', () => {
    for (const h of ['h1', 'h2']) expect(applied(h), h).toMatchObject({ host: h, verdict: 'compliant' });
  });

  it('a failed host is failed, naming the task and the reason', () => {
    const r = applied('h3');
    expect(r.verdict).toBe('failed');
    expect(r.message).toMatch(/^fleet /);
  });

  it('a host the rollout never reached is not_run: max_fail_percentage, or the interrupt', () => {
    expect(applied('h9')).toMatchObject({ verdict: 'not_run', changed: false, message: expect.stringContaining('rollout stopped') });
    expect(applied('h9', { ...ctx, interrupted: true }).message).toContain('interrupted before Ansible reached this host');
  });

  it('a host that went unreachable after a change keeps changed: true and says what was changed', () => {
    const o: HostOutcome = {
      host: 'hu',
      status: 'unreachable',
      changed: true,
      failedTask: TASK.readBack,
      message: 'ssh: connection reset',
      reads: {},
      changedTasks: [TASK.setSysctl],
    };
    const r = applyOutcome(plan('hu', RECORDED), o, undefined, ctx);
    expect(r).toMatchObject({ verdict: 'unreachable', changed: true });
    expect(r.message).toBe(unreachableMessage(o));
    expect(r.message).toContain(`changed by "${TASK.setSysctl}" before it became unreachable at "${TASK.readBack}"`);
  });

  it('an ok host without a read-back is failed: nothing proves the change', () => {
    const o: HostOutcome = { host: 'hn', status: 'ok', changed: true, reads: {}, changedTasks: [] };
    expect(applyOutcome(plan('hn', RECORDED), o, undefined, ctx)).toMatchObject({ verdict: 'failed', changed: true, message: 'no read-back from host' });
  });
});

describe('attachPriorState', () => {
  const c = collect(CHECK_MIXED);
  const o = c.hosts.get('h1')!;
  const before = readOutcome(plan('h1', RECORDED), o, o.reads[TASK.readState], ctx).observed;

  it('a changed or failed host gets the state read before the change; an untouched one does not', () => {
    const base = { groups: ['web'], desired: RECORDED };
    const out = attachPriorState(
      new Map([
        ['a', before],
        ['b', before],
        ['c', before],
        ['d', undefined],
      ]),
      [
        { ...base, host: 'a', verdict: 'compliant', changed: true },
        { ...base, host: 'b', verdict: 'failed', changed: false },
        { ...base, host: 'c', verdict: 'compliant', changed: false },
        { ...base, host: 'd', verdict: 'compliant', changed: true },
      ],
      DEFAULT_PERSIST_FILE,
    );
    expect(out.map((h) => Boolean(h.priorState))).toEqual([true, true, false, false]);
    expect(out[0]!.priorState).toMatchObject({ reserved: RECORDED });
  });
});
