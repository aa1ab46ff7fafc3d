/**
 * Pull mode's fleet view: what hosts running `ansible-pull` wrote to their
 * textfiles, as Prometheus returns it, turned into the per-host results every
 * report formatter reads. Pure: the HTTP query is io/prometheus.ts's.
 */
import type { HostPlan } from '../plan/desired.js';
import type { Mode } from '../policy/types.js';
import { format, parseKernel, rangeText } from '../ports/portset.js';
import { diffSets } from './judge.js';
import type { HostResult } from './types.js';

/** One sample of an instant vector: its labels and value. */
export interface PromSample {
  labels: Record<string, string>;
  value: number;
  /** Evaluation time of the query, Unix seconds. */
  at: number;
}

export const PULL_METRICS = ['fleet_governed', 'fleet_compliant', 'fleet_drift', 'fleet_last_run_timestamp_seconds', 'fleet_host_info'] as const;

/** Escape a string for a PromQL double-quoted label matcher. */
function promString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** The one instant query that fetches every pull metric of a policy (series with a host label only). */
export function pullQuery(policy: string): string {
  return `{__name__=~"${PULL_METRICS.join('|')}",policy=${promString(policy)},host!=""}`;
}

export type QueryParse = { ok: true; samples: PromSample[] } | { ok: false; error: string };

/** Parse `/api/v1/query`'s JSON answer (an instant vector); anything else is an error, never a guess. */
export function parseQueryResponse(body: unknown): QueryParse {
  const b = body as { status?: unknown; error?: unknown; data?: { resultType?: unknown; result?: unknown } } | null;
  if (!b || typeof b !== 'object') return { ok: false, error: 'the answer is not a JSON object' };
  if (b.status !== 'success') return { ok: false, error: `Prometheus answered status ${String(b.status)}: ${String(b.error ?? 'no error text')}` };
  if (b.data?.resultType !== 'vector' || !Array.isArray(b.data.result))
    return { ok: false, error: `expected an instant vector, got ${String(b.data?.resultType)}` };
  const samples: PromSample[] = [];
  for (const r of b.data.result as { metric?: unknown; value?: unknown }[]) {
    const v = r.value;
    if (!r.metric || typeof r.metric !== 'object' || !Array.isArray(v) || v.length !== 2)
      return { ok: false, error: `malformed sample ${JSON.stringify(r).slice(0, 200)}` };
    const value = Number(v[1]);
    const at = Number(v[0]);
    if (!Number.isFinite(at) || Number.isNaN(value)) return { ok: false, error: `malformed sample value ${JSON.stringify(v)}` };
    samples.push({ labels: Object.fromEntries(Object.entries(r.metric as Record<string, unknown>).map(([k, x]) => [k, String(x)])), value, at });
  }
  return { ok: true, samples };
}

export interface PullStatusInput {
  plans: readonly HostPlan[];
  mode: Mode;
  /** The sha256 `fleet render --pull` wrote for this policy and inventory (policyDigest). */
  digest: string;
  samples: readonly PromSample[];
  /** A host whose last run is older than this many seconds is stale. */
  maxAgeSeconds: number;
}

/** One host's latest report: the series of its most recent run (a host may briefly have two policy versions). */
function latestRun(samples: readonly PromSample[]): PromSample[] {
  const runs = samples.filter((s) => s.labels.__name__ === 'fleet_last_run_timestamp_seconds');
  const newest = runs.reduce<PromSample | undefined>((a, s) => (a === undefined || s.value > a.value ? s : a), undefined);
  if (!newest) return [];
  const sha = newest.labels.policy_sha256;
  return samples.filter((s) => s.labels.policy_sha256 === sha);
}

const short = (sha: string | undefined) => (sha ? sha.slice(0, 12) : '(none)');

function ago(seconds: number): string {
  return seconds < 3600 ? `${Math.round(seconds)} s` : `${(seconds / 3600).toFixed(1)} h`;
}

/** Per-host results from the pull metrics; hosts that never reported are `not_run`, stale ones too (with why). */
export function pullStatus(input: PullStatusInput): HostResult[] {
  const byHost = new Map<string, PromSample[]>();
  for (const s of input.samples) {
    const h = s.labels.host;
    if (h === undefined) continue;
    let list = byHost.get(h);
    if (!list) {
      list = [];
      byHost.set(h, list);
    }
    list.push(s);
  }
  return input.plans.map((plan) => hostStatus(plan, input, latestRun(byHost.get(plan.host) ?? [])));
}

function hostStatus(plan: HostPlan, input: PullStatusInput, samples: PromSample[]): HostResult {
  const desired = format(plan.desired);
  const base = { host: plan.host, groups: plan.groups, changed: false, desired };
  if (plan.refused) return { ...base, verdict: 'refused', message: plan.refused };
  const get = (name: string) => samples.find((s) => s.labels.__name__ === name);
  const run = get('fleet_last_run_timestamp_seconds');
  if (!run)
    return { ...base, verdict: 'not_run', message: 'no pull metrics in Prometheus: the host never ran ansible-pull, or its node_exporter is not scraped' };
  const age = run.at - run.value;
  if (age > input.maxAgeSeconds) {
    return {
      ...base,
      verdict: 'not_run',
      message: `stale: last pull run ${ago(age)} ago, older than the allowed ${ago(input.maxAgeSeconds)} (is its timer running?)`,
    };
  }
  const sha = run.labels.policy_sha256;
  if (get('fleet_governed')?.value === 0) {
    return {
      ...base,
      verdict: 'drift',
      message: `runs policy version ${short(sha)}, which does not govern it (this policy is ${short(input.digest)}): nothing applied`,
    };
  }
  const info = get('fleet_host_info')?.labels ?? {};
  const current = info.current;
  const parsed = current === undefined ? undefined : parseKernel(current);
  const runtime = parsed?.ok ? diffSets(plan.desired, parsed.value, input.mode) : undefined;
  const persisted = info.persisted === undefined ? undefined : info.persisted === '(absent)' ? null : info.persisted;
  const ephemeral = plan.ephemeral
    ? { desired: rangeText(plan.ephemeral), ...(info.port_range ? { current: info.port_range.replace(' ', '-') } : {}) }
    : undefined;
  const seen = {
    ...(parsed?.ok ? { current: format(parsed.value) } : {}),
    ...(runtime ? { runtime } : {}),
    ...(persisted !== undefined ? { persisted } : {}),
    ...(ephemeral ? { ephemeral } : {}),
  };
  if (sha !== input.digest) {
    return {
      ...base,
      ...seen,
      verdict: 'drift',
      message: `reports policy version ${short(sha)}, this policy is ${short(input.digest)}: its repository is behind or ahead`,
    };
  }
  const reasons = samples.filter((s) => s.labels.__name__ === 'fleet_drift' && s.value === 1).map((s) => s.labels.reason ?? '?');
  const compliant = get('fleet_compliant')?.value === 1 && reasons.length === 0;
  if (compliant) return { ...base, ...seen, verdict: 'compliant' };
  const failed = reasons.includes('apply_failed') || reasons.includes('read_failed');
  const parts = [`pull run reports ${reasons.length ? reasons.join(', ') : 'not compliant'}`];
  if (runtime?.missing) parts.push(`missing ${runtime.missing}`);
  if (runtime?.extra) parts.push(`extra ${runtime.extra}`);
  if (info.message) parts.push(info.message);
  return { ...base, ...seen, verdict: failed ? 'failed' : 'drift', message: parts.join('; ') };
}
