/**
 * The machine-readable report: exactly one JSON document, keys in a fixed
 * order whatever order the producer built the objects in, so reports diff
 * cleanly between runs. Described by schema/report.schema.json.
 */
import type { AuditFinding, BootValue, HostResult, PortDiff, PriorState, Provenance, RunReport, RunSummary, SinceLast, TrendPoint } from '../verify/types.js';

// Key orders, checked against the types below: adding a field to a report
// type fails compilation here until it is placed (and the schema updated).
export const REPORT_KEYS = [
  'tool',
  'version',
  'command',
  'policy',
  'mode',
  'startedAt',
  'durationSeconds',
  'shard',
  'interrupted',
  'outsideTargets',
  'provenance',
  'summary',
  'since_last',
  'hosts',
  'before',
  'trend',
] as const;
export const SUMMARY_KEYS = ['hosts', 'changed', 'compliant', 'drift', 'failed', 'unreachable', 'not_run', 'refused', 'auditFindings'] as const;
export const HOST_KEYS = [
  'host',
  'groups',
  'verdict',
  'changed',
  'desired',
  'current',
  'runtime',
  'persisted',
  'persistedDiff',
  'overriddenBy',
  'boot',
  'ephemeral',
  'freeEphemeralBefore',
  'freeEphemeral',
  'message',
  'audit',
  'priorState',
] as const;
export const PRIOR_KEYS = ['reserved', 'range', 'file', 'content'] as const;
export const PROVENANCE_KEYS = ['operator', 'policySha256', 'git'] as const;
export const SINCE_KEYS = ['previous', 'new_drift', 'fixed', 'new_unreachable'] as const;
export const TREND_KEYS = ['startedAt', 'command', 'hosts', 'compliant', 'drift', 'unreachable'] as const;
export const DIFF_KEYS = ['missing', 'extra'] as const;
export const FINDING_KEYS = ['kind', 'proto', 'port', 'local', 'peer', 'process', 'message'] as const;
export const EPHEMERAL_KEYS = ['desired', 'current'] as const;
export const BEFORE_KEYS = ['summary', 'hosts'] as const;
export const BOOT_KEYS = ['reserved', 'range'] as const;
export const BOOT_VALUE_KEYS = ['value', 'file', 'line', 'written', 'rejected', 'unreadable'] as const;

type Exhaustive<T, K extends readonly (keyof T)[]> = [Exclude<keyof T, K[number]>] extends [never] ? true : Exclude<keyof T, K[number]>;
const exhaustive: [
  Exhaustive<RunReport, typeof REPORT_KEYS>,
  Exhaustive<RunSummary, typeof SUMMARY_KEYS>,
  Exhaustive<HostResult, typeof HOST_KEYS>,
  Exhaustive<PortDiff, typeof DIFF_KEYS>,
  Exhaustive<AuditFinding, typeof FINDING_KEYS>,
  Exhaustive<NonNullable<HostResult['ephemeral']>, typeof EPHEMERAL_KEYS>,
  Exhaustive<NonNullable<RunReport['before']>, typeof BEFORE_KEYS>,
  Exhaustive<NonNullable<HostResult['boot']>, typeof BOOT_KEYS>,
  Exhaustive<BootValue, typeof BOOT_VALUE_KEYS>,
  Exhaustive<PriorState, typeof PRIOR_KEYS>,
  Exhaustive<Provenance, typeof PROVENANCE_KEYS>,
  Exhaustive<SinceLast, typeof SINCE_KEYS>,
  Exhaustive<TrendPoint, typeof TREND_KEYS>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true];
void exhaustive;

type Plain = Record<string, unknown>;

/** Copy `obj` with keys in `keys` order; undefined values are dropped, `null` kept. */
function ordered(obj: object, keys: readonly string[], nested: Record<string, (v: unknown) => unknown> = {}): Plain {
  const src = obj as Plain;
  const out: Plain = {};
  for (const k of keys) {
    const v = src[k];
    if (v === undefined) continue;
    out[k] = nested[k] && v !== null ? nested[k](v) : v;
  }
  return out;
}

const diff = (v: unknown) => ordered(v as PortDiff, DIFF_KEYS);
const bootValue = (v: unknown) => ordered(v as BootValue, BOOT_VALUE_KEYS, { unreadable: (u) => [...(u as string[])] });
const host = (h: HostResult): Plain =>
  ordered(h, HOST_KEYS, {
    groups: (g) => [...(g as string[])],
    runtime: diff,
    persistedDiff: diff,
    overriddenBy: (o) => [...(o as string[])],
    boot: (b) => ordered(b as object, BOOT_KEYS, { reserved: bootValue, range: bootValue }),
    ephemeral: (e) => ordered(e as object, EPHEMERAL_KEYS),
    audit: (a) => (a as AuditFinding[]).map((f) => ordered(f, FINDING_KEYS)),
    priorState: (p) => ordered(p as object, PRIOR_KEYS),
  });
const summary = (s: unknown) => ordered(s as RunSummary, SUMMARY_KEYS);
const hosts = (hs: unknown) => (hs as HostResult[]).map(host);

/** Render the report as one JSON document: stable key order, 2-space indent, trailing newline. */
export function renderJson(report: RunReport): string {
  const doc = ordered(report, REPORT_KEYS, {
    summary,
    hosts,
    before: (b) => ordered(b as object, BEFORE_KEYS, { summary, hosts }),
    provenance: (p) => ordered(p as object, PROVENANCE_KEYS, { git: (g) => ordered(g as object, ['commit', 'dirty']) }),
    since_last: (x) => ordered(x as object, SINCE_KEYS),
    trend: (t) => (t as TrendPoint[]).map((p) => ordered(p, TREND_KEYS)),
  });
  return `${JSON.stringify(doc, null, 2)}\n`;
}
