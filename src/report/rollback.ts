/** What `fleet rollback` is about to restore, per host, before it asks. */
import type { PriorState } from '../verify/types.js';
import { layoutTable, type Cell, type Column } from './layout.js';
import { plural, sanitize } from './text.js';

export interface RestoreRow {
  host: string;
  /** Runtime value now (canonical), when read. */
  now?: string;
  prior?: PriorState;
  /** Why the host is left alone (changed since the report, unreachable, …). */
  skip?: string;
}

const COLUMNS: readonly Column[] = [
  { title: 'HOST', max: 40 },
  { title: 'NOW', max: 30, ports: true },
  { title: '', max: 1 },
  { title: 'RESTORE', max: 30, ports: true },
  { title: 'PERSISTED FILE', max: 40 },
  { title: 'NOTE', max: 80 },
];

const show = (v: string | undefined) => (v === undefined ? '?' : v === '' ? '(empty)' : v);

export function renderRestorePlan(rows: readonly RestoreRow[], color = false): string[] {
  const cells = rows.map((r): Cell[] => [
    sanitize(r.host, true),
    show(r.now),
    '→',
    r.prior ? show(r.prior.reserved) : '-',
    r.prior ? (r.prior.content === null ? `remove ${r.prior.file}` : `restore ${r.prior.file}`) : '-',
    r.skip ? { text: sanitize(r.skip, true), style: 'magenta' } : r.prior?.range ? `port range → ${r.prior.range}` : '',
  ]);
  const todo = rows.filter((r) => !r.skip).length;
  return [
    ...(cells.length ? layoutTable(COLUMNS, cells, color) : []),
    `${plural(rows.length, 'host')} in the report: ${todo} to restore, ${rows.length - todo} left alone`,
  ];
}
