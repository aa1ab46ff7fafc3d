/**
 * The human view printed to stdout: only the hosts that need attention get a
 * row; compliant hosts are one line; a final line carries every count.
 */
import type { HostResult, RunReport, RunSummary, Verdict } from '../verify/types.js';
import { layoutTable, paint, type Cell, type Column } from './layout.js';
import { lengthNote } from '../ports/write-limit.js';
import { persistedState, plural, sanitize, verdictLabel } from './text.js';

/** Options for the terminal tables. */
export interface TableOptions {
  /** Colour through `node:util` styleText; the caller resolves NO_COLOR / TTY. */
  color: boolean;
}

const VERDICT_STYLE = {
  compliant: 'green',
  drift: 'yellow',
  failed: 'red',
  unreachable: 'red',
  not_run: 'gray',
  refused: 'magenta',
} as const satisfies Record<Verdict, string>;

const CHECK_COLUMNS: readonly Column[] = [
  { title: 'HOST', max: 40 },
  { title: 'VERDICT', max: 11 },
  { title: 'MISSING', max: 30, ports: true },
  { title: 'EXTRA', max: 30, ports: true },
  { title: 'PERSISTED', max: 40 },
  { title: 'MESSAGE', max: 80 },
];

/**
 * Render a check/apply/remediate report as terminal lines: a table of the
 * hosts that are not compliant, `N hosts compliant`, and the counts.
 */
export function renderTable(report: RunReport, opts: TableOptions): string[] {
  const { color } = opts;
  const bad = report.hosts.filter((h) => h.verdict !== 'compliant');
  const lines: string[] = [];
  if (bad.length > 0) {
    const rows = bad.map((h): Cell[] => [
      sanitize(h.host, true),
      verdictCell(h.verdict),
      orDash(h.runtime?.missing),
      orDash(h.runtime?.extra),
      persistedState(h),
      sanitize(h.message ?? '', true),
    ]);
    lines.push(...layoutTable(CHECK_COLUMNS, rows, color));
  }
  if (report.summary.compliant > 0) {
    lines.push(paint('green', `${plural(report.summary.compliant, 'host')} compliant`, color));
  }
  const audited = report.hosts.filter((h) => h.audit?.length);
  if (audited.length > 0) {
    lines.push(paint('yellow', 'audit findings:', color));
    for (const h of audited) for (const f of h.audit!) lines.push(`  ${sanitize(h.host, true)}: ${sanitize(f.message, true)}`);
  }
  lines.push(...lengthLines(report));
  if (report.before) lines.push(`before remediation: ${summaryLine(report.before.summary, color)}`);
  lines.push(summaryLine(report.summary, color));
  if (report.interrupted) lines.push(paint('red', `interrupted: ${sanitize(report.interrupted, true)}`, color));
  return lines;
}

/** `12 hosts: 1 changed, 8 compliant, 1 drift, …` — every count, always, so scripts can rely on it. */
export function summaryLine(s: RunSummary, color = false): string {
  const counts: [number, string, Verdict | undefined][] = [
    [s.changed, 'changed', undefined],
    [s.compliant, 'compliant', 'compliant'],
    [s.drift, 'drift', 'drift'],
    [s.failed, 'failed', 'failed'],
    [s.unreachable, 'unreachable', 'unreachable'],
    [s.not_run, 'not run', 'not_run'],
    [s.refused, 'refused', 'refused'],
  ];
  const parts = counts.map(([n, label, v]) => paint(n > 0 && v ? VERDICT_STYLE[v] : undefined, `${n} ${label}`, color));
  const audit = s.auditFindings > 0 ? `, ${plural(s.auditFindings, 'audit finding')}` : '';
  return `${plural(s.hosts, 'host')}: ${parts.join(', ')}${audit}`;
}

const PLAN_COLUMNS: readonly Column[] = [
  { title: 'HOST', max: 40 },
  { title: 'CURRENT', max: 30, ports: true },
  { title: '', max: 1 },
  { title: 'DESIRED', max: 30, ports: true },
  { title: 'ADD', max: 30, ports: true },
  { title: 'REMOVE', max: 30, ports: true },
  { title: 'EPHEMERAL FREE', max: 15 },
  { title: 'NOTE', max: 80 },
];

/**
 * Render `fleet plan`: per host that would change (or cannot be changed),
 * current → desired, ports to add and remove, and the free ephemeral ports
 * before → after; hosts already compliant are one line.
 */
export function renderPlanTable(report: RunReport, opts: TableOptions = { color: false }): string[] {
  const { color } = opts;
  const todo = report.hosts.filter((h) => h.verdict !== 'compliant');
  const lines: string[] = [];
  if (todo.length > 0) {
    const rows = todo.map((h): Cell[] => [
      sanitize(h.host, true),
      h.current === undefined ? '?' : orDash(h.current),
      '→',
      orDash(h.desired),
      { text: orDash(h.runtime?.missing), style: 'green' },
      { text: orDash(h.runtime?.extra), style: 'red' },
      freeCell(h),
      h.verdict === 'drift' ? rangeChange(h) : { text: noteText(h), style: VERDICT_STYLE[h.verdict] },
    ]);
    lines.push(...layoutTable(PLAN_COLUMNS, rows, color));
  }
  lines.push(...lengthLines(report));
  const s = report.summary;
  if (s.compliant > 0) lines.push(`${plural(s.compliant, 'host')} already compliant`);
  const blocked = s.hosts - s.compliant - s.drift;
  lines.push(
    `${plural(s.hosts, 'host')}: ${s.drift} to change, ${s.compliant} already compliant` +
      (blocked > 0 ? `, ${blocked} cannot be planned (${s.refused} refused, ${s.unreachable} unreachable, ${s.failed} failed, ${s.not_run} not run)` : ''),
  );
  const out = report.outsideTargets;
  if (out) lines.push(`${plural(out.hosts.length, 'host')} outside targets ${sanitize(out.pattern, true)} left out`);
  return lines;
}

/** `port range 32768-60999 → 1024-65000` when the plan also changes net.ipv4.ip_local_port_range. */
function rangeChange(h: HostResult): string {
  const e = h.ephemeral;
  return e?.desired && e.desired !== e.current ? `port range ${e.current ?? '?'} → ${e.desired}` : '';
}

/** Hosts whose reserved value is near or over what one sysctl write takes (issue 17), one line each. */
function lengthLines(report: RunReport): string[] {
  return report.hosts.flatMap((h) => {
    const note = lengthNote(h.desired);
    return note ? [`${sanitize(h.host, true)}: ${note}`] : [];
  });
}

function noteText(h: HostResult): string {
  const msg = h.message ? `: ${sanitize(h.message, true)}` : '';
  return `${verdictLabel(h.verdict)}${msg}`;
}

function freeCell(h: HostResult): string {
  if (h.freeEphemeral === undefined && h.freeEphemeralBefore === undefined) return '-';
  return `${h.freeEphemeralBefore ?? '?'} → ${h.freeEphemeral ?? '?'}`;
}

function verdictCell(v: Verdict): Cell {
  return { text: verdictLabel(v), style: VERDICT_STYLE[v] };
}

function orDash(s: string | undefined): string {
  return s ? s : '-';
}
