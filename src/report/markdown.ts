/**
 * Markdown for a pull-request comment: a heading, the counts, a table of the
 * hosts that change and, collapsed, the detail per host. Every value from a
 * host or a policy is escaped (table cells) or HTML-escaped inside `<pre>`,
 * so a hostile name can neither break the table nor inject markup.
 */
import type { RunReport } from '../verify/types.js';
import { htmlEscape } from './html.js';
import { changeReasons } from './plan-notes.js';
import { driftDetails, plural, sanitize } from './text.js';

/** Escape text for one GitHub-flavoured markdown table cell. */
export function mdCell(s: string): string {
  return sanitize(s, true)
    .replace(/[\\`*_[\]#|~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** A port list as inline code, or `-` for none; ports are digits, dashes and commas only. */
export function mdPorts(v: string | null | undefined): string {
  if (v === undefined || v === null) return '?';
  return v === '' ? '-' : /^[\d,-]+$/.test(v) ? `\`${v}\`` : mdCell(v);
}

/** A markdown table from a header and rows of already-escaped cells. */
export function mdTable(head: readonly string[], rows: readonly string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

/** Collapsed per-host detail: `<details>` with the lines in an escaped `<pre>`. */
export function mdDetails(summary: string, lines: readonly string[]): string[] {
  return ['<details>', `<summary>${htmlEscape(summary)}</summary>`, '', `<pre>${htmlEscape(lines.join('\n'))}</pre>`, '</details>'];
}

/** `fleet plan --format markdown`: only the hosts that change or cannot be planned (every host with `all`). */
export function renderPlanMarkdown(report: RunReport, opts: { all?: boolean } = {}): string {
  const s = report.summary;
  const blocked = s.hosts - s.compliant - s.drift;
  const hosts = opts.all ? report.hosts : report.hosts.filter((h) => h.verdict !== 'compliant');
  const out = [
    `### fleet plan: ${mdCell(report.policy)} (${report.mode})`,
    '',
    `**${s.drift} to change**, ${s.compliant} already compliant` +
      (blocked > 0 ? `, **${blocked} cannot be planned** (${s.refused} refused, ${s.unreachable} unreachable, ${s.failed} failed, ${s.not_run} not run)` : '') +
      ` — ${plural(s.hosts, 'host')}`,
  ];
  if (hosts.length > 0) {
    out.push('');
    out.push(
      ...mdTable(
        ['Host', 'Current', 'Desired', 'Add', 'Remove', 'Ephemeral free', 'Why'],
        hosts.map((h) => [
          mdCell(h.host),
          mdPorts(h.current),
          mdPorts(h.desired),
          mdPorts(h.runtime?.missing ?? ''),
          mdPorts(h.runtime?.extra ?? ''),
          h.freeEphemeralBefore === undefined && h.freeEphemeral === undefined ? '-' : `${h.freeEphemeralBefore ?? '?'} → ${h.freeEphemeral ?? '?'}`,
          mdCell(changeReasons(h).join('; ')),
        ]),
      ),
    );
    const detailed = hosts.filter((h) => h.verdict !== 'compliant');
    if (detailed.length > 0) {
      out.push('');
      for (const h of detailed) out.push(...mdDetails(`${h.host}: ${changeReasons(h).join('; ')}`, driftDetails(h)));
    }
  }
  return out.join('\n') + '\n';
}
