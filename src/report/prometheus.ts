/**
 * Metrics for node_exporter's textfile collector: every family with HELP and
 * TYPE, no timestamps (the collector rejects them), base units. The caller
 * writes the file atomically (io/files.ts), since the collector may read it
 * at any moment.
 */
import type { HostResult, RunReport } from '../verify/types.js';
import { portCount, policyName, VERDICTS } from './text.js';

type Labels = Record<string, string>;

interface Family {
  name: string;
  help: string;
  samples: { labels: Labels; value: number }[];
}

/** Escape a label value as the exposition format requires: backslash, double quote, newline. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

function formatFamily(f: Family): string[] {
  // HELP text escapes only backslash and newline.
  const help = f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  const lines = [`# HELP ${f.name} ${help}`, `# TYPE ${f.name} gauge`];
  for (const { labels, value } of f.samples) {
    const l = Object.entries(labels)
      .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
      .join(',');
    lines.push(`${f.name}${l ? `{${l}}` : ''} ${formatValue(value)}`);
  }
  return lines;
}

/** Hosts in report order, first occurrence only: a repeated series makes the collector drop the whole file. */
function uniqueHosts(hosts: readonly HostResult[]): HostResult[] {
  const seen = new Set<string>();
  return hosts.filter((h) => {
    if (seen.has(h.host)) return false;
    seen.add(h.host);
    return true;
  });
}

/**
 * Render the report in the Prometheus text exposition format (textfile
 * collector). The `policy` label is the policy file's base name, so the
 * series stay the same whichever controller or directory ran fleet.
 */
export function renderPrometheus(report: RunReport): string {
  const policy = policyName(report);
  const hosts = uniqueHosts(report.hosts);
  const perHost = (value: (h: HostResult) => number | undefined) =>
    hosts.flatMap((h) => {
      const v = value(h);
      return v === undefined ? [] : [{ labels: { host: h.host, policy }, value: v }];
    });
  const started = Date.parse(report.startedAt);
  const allCompliant = hosts.length > 0 && hosts.every((h) => h.verdict === 'compliant') && !report.interrupted;

  const families: Family[] = [
    {
      name: 'fleet_host_compliant',
      help: 'Whether the host complies with the reserved-ports policy (1) or not (0).',
      samples: perHost((h) => (h.verdict === 'compliant' ? 1 : 0)),
    },
    {
      name: 'fleet_host_verdict',
      help: 'Verdict of the host in the last run, one-hot: 1 for the verdict it got, 0 for the others.',
      samples: hosts.flatMap((h) => VERDICTS.map((verdict) => ({ labels: { host: h.host, policy, verdict }, value: h.verdict === verdict ? 1 : 0 }))),
    },
    {
      name: 'fleet_host_missing_ports',
      help: 'Number of ports the policy reserves that the host does not (runtime value).',
      samples: perHost((h) => portCount(h.runtime?.missing)),
    },
    {
      name: 'fleet_host_extra_ports',
      help: 'Number of ports the host reserves that the policy does not want (runtime value).',
      samples: perHost((h) => portCount(h.runtime?.extra)),
    },
    {
      name: 'fleet_host_ephemeral_ports_free',
      help: 'Ephemeral ports left for outgoing connections (in plans: with the desired value).',
      samples: perHost((h) => h.freeEphemeral),
    },
    {
      name: 'fleet_hosts',
      help: 'Number of hosts per verdict in the last run.',
      samples: VERDICTS.map((verdict) => ({ labels: { policy, verdict }, value: hosts.filter((h) => h.verdict === verdict).length })),
    },
    {
      name: 'fleet_audit_findings',
      help: 'Number of audit findings (listeners outside the policy, reserved ports in use) on the host.',
      samples: perHost((h) => h.audit?.length),
    },
    {
      name: 'fleet_last_run_timestamp_seconds',
      help: 'Unix time the last run started.',
      samples: Number.isNaN(started) ? [] : [{ labels: { policy }, value: started / 1000 }],
    },
    { name: 'fleet_last_run_duration_seconds', help: 'Wall-clock duration of the last run.', samples: [{ labels: { policy }, value: report.durationSeconds }] },
    {
      name: 'fleet_last_run_success',
      help: 'Whether the last run completed with every host compliant (1) or not (0).',
      samples: [{ labels: { policy }, value: allCompliant ? 1 : 0 }],
    },
  ];
  return `${families.flatMap(formatFamily).join('\n')}\n`;
}
