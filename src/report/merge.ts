/**
 * Combine the reports of sharded runs (`fleet merge-reports`) into one, as if
 * a single controller had checked every host. Pure.
 */
import { ExitCode, FleetError } from '../errors.js';
import { summarize, type HostResult, type RunReport } from '../verify/types.js';

const byHost = (a: HostResult, b: HostResult) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0);

function sameField(reports: readonly RunReport[], field: 'policy' | 'command' | 'mode'): void {
  const values = [...new Set(reports.map((r) => r[field]))];
  if (values.length > 1) {
    throw new FleetError(`cannot merge reports with different ${field}s: ${values.map((v) => JSON.stringify(v)).join(', ')}`, ExitCode.invalid);
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
 * @throws FleetError (exit 2) on no reports, a host in two reports, or
 *   reports of different policies, commands or modes.
 */
export function mergeReports(reports: readonly RunReport[]): RunReport {
  const first = reports[0];
  if (!first) throw new FleetError('no reports to merge', ExitCode.invalid);
  sameField(reports, 'policy');
  sameField(reports, 'command');
  sameField(reports, 'mode');

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
