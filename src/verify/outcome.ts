/**
 * From one host's plan, what Ansible reported for it and its read-back, to
 * the host's result: the ladders of a read (check, plan) and of a write
 * (apply, rollback).
 * Pure: the session only orchestrates.
 */
import type { HostOutcome } from '../ansible/events.js';
import type { HostPlan } from '../plan/desired.js';
import type { Policy } from '../policy/types.js';
import { format } from '../ports/portset.js';
import { judge } from './judge.js';
import { parseReadback, type Observed } from './readback.js';
import { priorStateOf } from './prior.js';
import { notRun } from './report.js';
import type { HostResult } from './types.js';

export interface JudgeContext {
  mode: Policy['mode'];
  persistFile: string;
  /** The run was stopped (signal, or Ansible's own interrupt exit). */
  interrupted: boolean;
}

export function refusedResult(p: HostPlan): HostResult {
  return { host: p.host, groups: p.groups, verdict: 'refused', changed: false, desired: format(p.desired), message: p.refused ?? 'refused' };
}

/** A read host: not reported, unreachable or failed, an unreadable read, or judged from what it holds. */
export function readOutcome(
  plan: HostPlan,
  o: HostOutcome | undefined,
  read: string | undefined,
  ctx: JudgeContext,
): { observed?: Observed; result: HostResult } {
  const base = { host: plan.host, groups: plan.groups, changed: false, desired: format(plan.desired) };
  if (!o)
    return {
      result: notRun(plan.host, plan.groups, base.desired, ctx.interrupted ? 'interrupted before this host was read' : 'Ansible did not report this host'),
    };
  if (o.status !== 'ok') return { result: { ...base, verdict: o.status, message: o.message ?? o.status } };
  const parsed = parseReadback(read ?? '');
  if (!parsed.ok) return { result: { ...base, verdict: 'failed', message: parsed.error } };
  return { observed: parsed.observed, result: { ...judge(plan, ctx.mode, ctx.persistFile, parsed.observed), changed: false } };
}

/** An unreachable host's reason, and what this run had already changed on it before it went away. */
export function unreachableMessage(o: HostOutcome): string {
  const reason = o.message ?? 'unreachable';
  if (!o.changed) return reason;
  const at = o.failedTask ? ` at "${o.failedTask}"` : '';
  return `${reason}; changed by "${o.changedTasks.join('", "')}" before it became unreachable${at}; nothing was read back after the change, so its runtime and boot values are unverified`;
}

/**
 * The ladder of a run that writes (apply, rollback): never reached,
 * unreachable (with what the run had changed on it first), failed (with what
 * its read-back shows, when it got that far), no usable read-back, or judged
 * from the read-back by `judgeRead`.
 */
export function writeOutcome(
  base: { host: string; groups: string[]; desired: string },
  o: HostOutcome | undefined,
  readBack: string | undefined,
  notReached: string,
  judgeRead: (observed: Observed) => Omit<HostResult, 'changed'>,
): HostResult {
  if (!o) return notRun(base.host, base.groups, base.desired, notReached);
  if (o.status === 'unreachable') return { ...base, changed: o.changed, verdict: 'unreachable', message: unreachableMessage(o) };
  const parsed = readBack === undefined ? undefined : parseReadback(readBack);
  const judged = parsed?.ok ? judgeRead(parsed.observed) : undefined;
  if (o.status === 'failed') {
    return { ...base, ...(judged ?? {}), changed: o.changed, verdict: 'failed', message: `${o.failedTask ?? 'task'}: ${o.message ?? 'failed'}` };
  }
  if (!judged) return { ...base, changed: o.changed, verdict: 'failed', message: parsed && !parsed.ok ? parsed.error : 'no read-back from host' };
  return { ...judged, changed: o.changed };
}

/** An applied host: the write ladder, judged against the host's plan. */
export function applyOutcome(plan: HostPlan, o: HostOutcome | undefined, readBack: string | undefined, ctx: JudgeContext): HostResult {
  const notReached = ctx.interrupted
    ? 'interrupted before Ansible reached this host'
    : 'not run: the rollout stopped before this host (max_fail_percentage reached in an earlier batch)';
  return writeOutcome({ host: plan.host, groups: plan.groups, desired: format(plan.desired) }, o, readBack, notReached, (observed) =>
    judge(plan, ctx.mode, ctx.persistFile, observed),
  );
}

/** Each host the apply changed (or may have half-changed) gets the state read before the change: what rollback restores. */
export function attachPriorState(observedBefore: ReadonlyMap<string, Observed | undefined>, results: HostResult[], persistFile: string): HostResult[] {
  return results.map((h) => {
    const obs = observedBefore.get(h.host);
    const prior = obs && (h.changed || h.verdict === 'failed') ? priorStateOf(obs, persistFile) : undefined;
    return prior ? { ...h, priorState: prior } : h;
  });
}
