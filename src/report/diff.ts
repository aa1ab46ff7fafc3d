// report/: table, markdown, json, junit, prometheus, html; merge and history (pure formatters).
/**
 * `fleet diff` output: a terminal table, markdown for a pull-request comment,
 * or one JSON document. Pure formatters over the PolicyDiff model.
 */
import { diffNote, type PolicyDiff } from '../plan/diff.js';
import { layoutTable, type Cell, type Column } from './layout.js';
import { mdCell, mdPorts, mdTable } from './markdown.js';
import { plural, sanitize } from './text.js';

const COLUMNS: readonly Column[] = [
  { title: 'HOST', max: 40 },
  { title: 'BEFORE', max: 30, ports: true },
  { title: '', max: 1 },
  { title: 'AFTER', max: 30, ports: true },
  { title: 'ADD', max: 30, ports: true },
  { title: 'REMOVE', max: 30, ports: true },
  { title: 'EPHEMERAL FREE', max: 15 },
  { title: 'NOTE', max: 80 },
];

const dash = (s: string | undefined) => (s === undefined ? '(none)' : s === '' ? '-' : s);
const free = (a: number | undefined, b: number | undefined) => `${a ?? '-'} → ${b ?? '-'}`;

function countLine(d: PolicyDiff): string {
  return `${plural(d.hosts.length + d.unchanged, 'host')}: ${d.hosts.length} change, ${d.unchanged} unchanged`;
}

/** Terminal lines: policy-wide settings that change, one row per host that changes, the counts. */
export function renderDiffTable(d: PolicyDiff, color = false): string[] {
  const lines = d.settings.map((s) => `${s.setting}: ${sanitize(s.before, true)} → ${sanitize(s.after, true)}`);
  if (d.hosts.length > 0) {
    const rows = d.hosts.map((h): Cell[] => [
      sanitize(h.host, true),
      dash(h.before),
      '→',
      dash(h.after),
      { text: h.add || '-', style: 'green' },
      { text: h.remove || '-', style: 'red' },
      free(h.freeBefore, h.freeAfter),
      sanitize(diffNote(h), true),
    ]);
    lines.push(...layoutTable(COLUMNS, rows, color));
  }
  lines.push(countLine(d));
  return lines;
}

/** Markdown for a pull-request comment. */
export function renderDiffMarkdown(d: PolicyDiff): string {
  const out = [`### fleet diff: ${mdCell(d.old)} → ${mdCell(d.new)}`, '', `**${d.hosts.length} hosts change**, ${d.unchanged} unchanged`];
  if (d.settings.length) {
    out.push('', ...d.settings.map((s) => `- \`${s.setting}\`: ${mdCell(s.before)} → ${mdCell(s.after)}`));
  }
  if (d.hosts.length) {
    out.push(
      '',
      ...mdTable(
        ['Host', 'Before', 'After', 'Add', 'Remove', 'Ephemeral free', 'Note'],
        d.hosts.map((h) => [
          mdCell(h.host),
          h.before === undefined ? '(none)' : mdPorts(h.before),
          h.after === undefined ? '(none)' : mdPorts(h.after),
          mdPorts(h.add),
          mdPorts(h.remove),
          free(h.freeBefore, h.freeAfter),
          mdCell(diffNote(h)),
        ]),
      ),
    );
  }
  return out.join('\n') + '\n';
}

/** One JSON document (keys in the model's fixed order). */
export function renderDiffJson(d: PolicyDiff): string {
  return `${JSON.stringify({ tool: 'fleet', command: 'diff', ...d }, null, 2)}\n`;
}
