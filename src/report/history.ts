/**
 * --history: what changed since the previous kept report (new drift, fixed,
 * new unreachable) and the counts over the kept reports for the trend chart.
 * Pure: reading and writing the history folder is engine/history.ts's job.
 */
import type { RunReport, SinceLast, TrendPoint } from '../verify/types.js';

/** Hosts whose verdict got worse or better since `previous`. */
export function sinceLast(previous: RunReport, current: RunReport): SinceLast {
  const before = new Map(previous.hosts.map((h) => [h.host, h.verdict]));
  const pick = (now: string, test: (was: string | undefined) => boolean) =>
    current.hosts.filter((h) => h.verdict === now && test(before.get(h.host))).map((h) => h.host);
  return {
    previous: previous.startedAt,
    new_drift: pick('drift', (was) => was !== 'drift'),
    fixed: pick('compliant', (was) => was !== undefined && was !== 'compliant'),
    new_unreachable: pick('unreachable', (was) => was !== 'unreachable'),
  };
}

export function trendPoint(r: Pick<RunReport, 'startedAt' | 'command' | 'summary'>): TrendPoint {
  const s = r.summary;
  return { startedAt: r.startedAt, command: r.command, hosts: s.hosts, compliant: s.compliant, drift: s.drift, unreachable: s.unreachable };
}

/** Add `since_last` (against the newest kept report) and `trend` (at most `keep` points: kept reports oldest first, then this one). */
export function withHistory(report: RunReport, kept: readonly RunReport[], keep: number): RunReport {
  const previous = kept[kept.length - 1];
  return {
    ...report,
    ...(previous ? { since_last: sinceLast(previous, report) } : {}),
    trend: [...kept.slice(Math.max(0, kept.length - (keep - 1))).map(trendPoint), trendPoint(report)],
  };
}

/** `since last run: 1 new drift (c2), 0 fixed, 0 new unreachable` — names cut after a few. */
export function sinceLastLine(s: SinceLast): string {
  const part = (hosts: string[], label: string) => {
    const names = hosts.length ? ` (${hosts.slice(0, 5).join(', ')}${hosts.length > 5 ? `, … ${hosts.length - 5} more` : ''})` : '';
    return `${hosts.length} ${label}${names}`;
  };
  return `since last run (${s.previous}): ${part(s.new_drift, 'new drift')}, ${part(s.fixed, 'fixed')}, ${part(s.new_unreachable, 'new unreachable')}`;
}

/** File name for a kept report: sorts by start time, says which command. */
export function historyFileName(r: Pick<RunReport, 'startedAt' | 'command'>): string {
  return `${r.startedAt.replace(/:/g, '-')}-${r.command}.json`;
}
