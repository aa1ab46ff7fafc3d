/**
 * Combine the reports of sharded runs (`fleet merge-reports`) into one, as if
 * a single controller had checked every host. Pure.
 */
import { ExitCode, FleetError } from '../errors.js';
import { parseShard } from '../plan/shard.js';
import { summarize, type HostResult, type RunReport } from '../verify/types.js';

const byHost = (a: HostResult, b: HostResult) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0);

function sameField(reports: readonly RunReport[], field: 'policy' | 'command' | 'mode'): void {
  const values = [...new Set(reports.map((r) => r[field]))];
  if (values.length > 1) {
    throw new FleetError(`cannot merge reports with different ${field}s: ${values.map((v) => JSON.stringify(v)).join(', ')}`, ExitCode.invalid);
  }
}

/**
 * A merge must be complete: every report from a `--shard K/N` run, one N,
 * each K from 1 to N exactly once. Otherwise hosts would silently be missing
 * from a report that looks whole.
 */
function checkShards(reports: readonly RunReport[]): void {
  const seen = new Map<number, number>();
  let count: number | undefined;
  reports.forEach((r, i) => {
    const s = r.shard === undefined ? undefined : parseShard(r.shard);
    if (s === undefined || typeof s === 'string') {
      throw new FleetError(
        `report ${i + 1} is not from a --shard K/N run${r.shard ? ` (shard ${JSON.stringify(r.shard)})` : ''}: merge-reports merges the reports of every shard of one run`,
        ExitCode.invalid,
      );
    }
    if (count !== undefined && s.count !== count) {
      throw new FleetError(
        `report ${i + 1} is shard ${r.shard} but report 1 is shard ${reports[0]!.shard}: every report must come from the same --shard K/${count} split`,
        ExitCode.invalid,
      );
    }
    count = s.count;
    const dup = seen.get(s.index);
    if (dup !== undefined) throw new FleetError(`shard ${r.shard} appears twice (report ${dup + 1} and report ${i + 1})`, ExitCode.invalid);
    seen.set(s.index, i);
  });
  const missing = Array.from({ length: count ?? 0 }, (_, k) => k + 1).filter((k) => !seen.has(k));
  if (missing.length > 0) {
    throw new FleetError(
      `missing shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${count}`).join(', ')}: merge needs the report of every shard 1..${count}, once each`,
      ExitCode.invalid,
    );
  }
}

function concatHosts(lists: readonly (readonly HostResult[])[]): HostResult[] {
  const seen = new Map<string, number>();
  const out: HostResult[] = [];
  lists.forEach((hosts, i) => {
    for (const h of hosts) {
      const first = seen.get(h.host);
      if (first !== undefined) {
        throw new FleetError(`host "${h.host}" appears in report ${first + 1} and report ${i + 1}: shards must not overlap`, ExitCode.invalid);
      }
      seen.set(h.host, i);
      out.push(h);
    }
  });
  return out.sort(byHost);
}

/**
 * Merge sharded reports: hosts concatenated and sorted by name, summary
 * recomputed, earliest start, longest duration (shards run in parallel).
 * The merged report has no `shard`; `before` and `interrupted` are combined
 * from the shards that have them.
 * @throws FleetError (exit 2) on no reports, a host in two reports,
 *   reports of different policies, commands or modes, or an incomplete set of
 *   shards (each of 1..N of one N exactly once).
 */
export function mergeReports(reports: readonly RunReport[]): RunReport {
  const first = reports[0];
  if (!first) throw new FleetError('no reports to merge', ExitCode.invalid);
  sameField(reports, 'policy');
  sameField(reports, 'command');
  sameField(reports, 'mode');
  checkShards(reports);

  const hosts = concatHosts(reports.map((r) => r.hosts));
  const startedAt = reports.map((r) => r.startedAt).reduce((a, b) => (Date.parse(b) < Date.parse(a) ? b : a));
  const merged: RunReport = {
    tool: 'fleet',
    version: first.version,
    command: first.command,
    policy: first.policy,
    mode: first.mode,
    startedAt,
    durationSeconds: Math.max(...reports.map((r) => r.durationSeconds)),
    summary: summarize(hosts),
    hosts,
  };
  const befores = reports.flatMap((r) => (r.before ? [r.before.hosts] : []));
  if (befores.length > 0) {
    const beforeHosts = concatHosts(befores);
    merged.before = { summary: summarize(beforeHosts), hosts: beforeHosts };
  }
  const interrupted = reports.filter((r) => r.interrupted).map((r) => (r.shard ? `shard ${r.shard}: ${r.interrupted}` : r.interrupted));
  if (interrupted.length > 0) merged.interrupted = interrupted.join('; ');
  return merged;
}
