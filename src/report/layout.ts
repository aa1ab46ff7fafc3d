/**
 * Column layout for the terminal tables: widths from the content, long
 * values cut with `…`, colour applied after padding so escape codes never
 * count towards a width.
 */
import { styleText } from 'node:util';

type Style = Parameters<typeof styleText>[0];

/** One column of a terminal table. */
export interface Column {
  title: string;
  /** Widest the column may get; longer values are truncated with `…`. */
  max: number;
  /** Values are port lists: cut at a comma so no range is shown half. */
  ports?: boolean;
}

/** A cell: plain text plus an optional style used only when colour is on. */
export type Cell = string | { text: string; style?: Style };

/** Display width: code points, which is right for the ASCII-and-symbols text we print. */
export function width(s: string): number {
  return [...s].length;
}

/**
 * Shorten `s` to at most `max` characters, ending in `…` when cut. Port lists
 * are cut after the last whole entry that fits (`5000-6000,7000,…`).
 */
export function truncate(s: string, max: number, ports = false): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  const head = chars.slice(0, Math.max(0, max - 1)).join('');
  if (ports) {
    const comma = head.lastIndexOf(',');
    if (comma > 0) return `${head.slice(0, comma + 1)}…`;
  }
  return `${head}…`;
}

/** Apply a style only when colour is wanted; the caller decides (NO_COLOR, TTY). */
export function paint(style: Style | undefined, text: string, color: boolean): string {
  // validateStream: false because the colour decision was already made by the caller.
  return color && style && text ? styleText(style, text, { validateStream: false }) : text;
}

/**
 * Lay out rows under a header. Columns are separated by two spaces; the last
 * column is not padded, so lines carry no trailing blanks.
 */
export function layoutTable(columns: readonly Column[], rows: readonly Cell[][], color: boolean): string[] {
  const cells = rows.map((row) =>
    columns.map((col, i) => {
      const c = row[i] ?? '';
      const text = typeof c === 'string' ? c : c.text;
      return { text: truncate(text, col.max, col.ports), style: typeof c === 'string' ? undefined : c.style };
    }),
  );
  const widths = columns.map((col, i) => Math.max(width(col.title), ...cells.map((r) => width(r[i]!.text))));
  const line = (row: { text: string; style?: Style | undefined }[]) =>
    row
      .map((c, i) => {
        const pad = i === row.length - 1 ? '' : ' '.repeat(widths[i]! - width(c.text));
        return paint(c.style, c.text, color) + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => ({ text: c.title, style: 'bold' as Style }))), ...cells.map(line)];
}
