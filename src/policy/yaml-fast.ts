/**
 * A fast reader for the plain YAML that policies are written in: block
 * mappings and lists, one-line flow collections, plain words and numbers,
 * and simply quoted strings, with the offset of every key and value. For
 * anything outside that subset it returns undefined and the caller reads
 * the text with the yaml library (readYaml): a shortcut, never a second
 * YAML dialect. The yaml library's Document costs ~0.6 s on a 10,000-host
 * inline inventory; this reader about a tenth of that.
 */
import { LineCounter } from 'yaml';
import type { FieldPath } from './diagnostic.js';

/** Offsets of one entry: its key (the index's own offset in a list) and its value. */
interface Pos {
  key: number;
  value: number;
}

type Container = Record<string, unknown> | unknown[];
type Entries = Map<string, Pos>;
/** Offsets inside one container: a mapping's entries by key, or a list's items (key and value alike). */
type Offsets = Entries | number[];

/** Thrown (and caught in readYamlFast) when the text leaves the subset. */
const OUTSIDE = Symbol('outside the fast subset');

// yaml's core schema, for the plain words this reader must not misread as strings.
const INT = /^(?:0|[1-9][0-9]{0,14})$/;
const CORE_NUMBER = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$|^0[xXoObB]/;
const TRUE = new Set(['true', 'True', 'TRUE']);
const FALSE = new Set(['false', 'False', 'FALSE']);
const NULL = new Set(['~', 'null', 'Null', 'NULL']);
/** Plain words by char code: bit 1, may start one ([A-Za-z0-9_./~]); bit 2, may follow ([A-Za-z0-9_./-]). */
const PLAIN = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./') PLAIN[c.charCodeAt(0)] = 3;
PLAIN['~'.charCodeAt(0)] = 1;
PLAIN['-'.charCodeAt(0)] = 2;

function plainValue(word: string): unknown {
  // most words are names: only a digit, a dot, `~` or the letters of true/false/null can start anything else
  if (!/^[0-9.~tTfFnN]/.test(word)) return word;
  if (INT.test(word)) return Number(word);
  if (TRUE.has(word)) return true;
  if (FALSE.has(word)) return false;
  if (NULL.has(word)) return null;
  if (CORE_NUMBER.test(word) || /^(?:true|false|null|\.inf|\.nan)$/i.test(word)) throw OUTSIDE;
  return word;
}

/** The data of a policy text with the offset of every key and value. */
export interface FastYaml {
  data: Record<string, unknown>;
  lines: LineCounter;
  /** Same answer as yaml-source's locate() on the yaml library's Document. */
  locate(path: FieldPath, at?: 'key' | 'value'): number;
}

class Reader {
  readonly pos = new Map<Container, Offsets>();
  /** The line being read, and its offset in the text. */
  line = '';
  base = 0;

  offsets<T extends Offsets>(c: Container, o: T): T {
    this.pos.set(c, o);
    return o;
  }

  entry(m: Entries, key: string, p: Pos): void {
    if (m.has(key)) throw OUTSIDE; // a duplicate key: the yaml library words that error
    m.set(key, p);
  }

  /** A scalar or flow collection starting at `i` of the current line; returns [value, next index]. */
  value(i: number, flow: boolean): [unknown, number] {
    const s = this.line;
    const c = s[i];
    if (c === '[') return this.flowSeq(i);
    if (c === '{') return this.flowMap(i);
    if (c === '"' || c === "'") {
      const end = s.indexOf(c, i + 1);
      if (end < 0) throw OUTSIDE;
      const body = s.slice(i + 1, end);
      if (c === '"' && body.includes('\\')) throw OUTSIDE;
      if (c === "'" && s[end + 1] === "'") throw OUTSIDE;
      this.after(end + 1, flow);
      return [body, end + 1];
    }
    if (c === undefined || ((PLAIN[s.charCodeAt(i)] ?? 0) & 1) === 0) throw OUTSIDE;
    let j = i + 1;
    while (j < s.length && ((PLAIN[s.charCodeAt(j)] ?? 0) & 2) !== 0) j++;
    this.after(j, flow);
    return [plainValue(s.slice(i, j)), j];
  }

  /** What may follow a scalar: in flow, a separator; in a block, the end of the line or a comment. */
  after(j: number, flow: boolean): void {
    const n = this.line[j];
    if (n === undefined || n === ' ') return;
    if (flow && (n === ',' || n === ']' || n === '}' || n === ':')) return;
    throw OUTSIDE;
  }

  skip(i: number): number {
    while (this.line[i] === ' ') i++;
    return i;
  }

  flowSeq(start: number): [unknown[], number] {
    const out: unknown[] = [];
    let i = this.skip(start + 1);
    if (this.line[i] === ']') return [out, i + 1];
    const items = this.offsets(out, [] as number[]);
    for (;;) {
      items.push(this.base + i);
      const [v, j] = this.value(i, true);
      out.push(v);
      i = this.skip(j);
      const c = this.line[i];
      if (c === ']') return [out, i + 1];
      if (c !== ',') throw OUTSIDE;
      i = this.skip(i + 1);
      if (this.line[i] === ']' || this.line[i] === ',') throw OUTSIDE;
    }
  }

  flowMap(start: number): [Record<string, unknown>, number] {
    const out: Record<string, unknown> = {};
    let i = this.skip(start + 1);
    if (this.line[i] === '}') return [out, i + 1];
    const entries = this.offsets(out, new Map() as Entries);
    for (;;) {
      const keyAt = this.base + i;
      const [k, j] = this.key(i);
      if (this.line[j + 1] !== ' ') throw OUTSIDE;
      i = this.skip(j + 1);
      const valueAt = this.base + i;
      const [v, after] = this.value(i, true);
      this.entry(entries, k, { key: keyAt, value: v === null ? keyAt : valueAt });
      out[k] = v;
      i = this.skip(after);
      const c = this.line[i];
      if (c === '}') return [out, i + 1];
      if (c !== ',') throw OUTSIDE;
      i = this.skip(i + 1);
      if (this.line[i] === '}' || this.line[i] === ',') throw OUTSIDE;
    }
  }

  /** A mapping key at `i`, which must be followed by `:`; returns [key, index of the colon]. */
  key(i: number): [string, number] {
    const c = this.line[i];
    if (c === '[' || c === '{') throw OUTSIDE;
    const [k, j] = this.value(i, true);
    if (typeof k !== 'string' || k === '__proto__' || this.line[j] !== ':') throw OUTSIDE;
    return [k, j];
  }

  /** True when the rest of the line from `i` is blank or a comment. */
  done(i: number): boolean {
    const j = this.skip(i);
    // `#` starts a comment only after a space (or at the start of the line)
    return j >= this.line.length || (this.line[j] === '#' && (j > i || i === 0 || this.line[i - 1] === ' '));
  }
}

interface Frame {
  indent: number;
  node: Container;
  offsets: Offsets;
}

/** Read `text` if it is inside the subset; undefined otherwise (then use readYaml). */
export function readYamlFast(text: string): FastYaml | undefined {
  if (text.includes('\t') || text.includes('\r')) return undefined;
  const r = new Reader();
  const lines = new LineCounter();
  const root: Record<string, unknown> = {};
  let rootAt = -1;
  const stack: Frame[] = [];
  // a `key:` with nothing after it, waiting for the next line to say what it holds
  let pending: { frame: Frame; key: string; keyAt: number } | undefined;
  const settle = (v: unknown, valueAt: number) => {
    const p = pending!;
    (p.frame.node as Record<string, unknown>)[p.key] = v;
    r.entry(p.frame.offsets as Entries, p.key, { key: p.keyAt, value: valueAt });
    pending = undefined;
  };
  try {
    let start = 0;
    while (start <= text.length) {
      lines.addNewLine(start);
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      r.line = text.slice(start, end);
      r.base = start;
      const indent = r.skip(0);
      const blank = indent >= r.line.length || r.line[indent] === '#';
      if (!blank) {
        const at = start + indent;
        if (stack.length === 0) {
          if (indent !== 0) throw OUTSIDE;
          stack.push({ indent: 0, node: root, offsets: r.offsets(root, new Map() as Entries) });
          rootAt = at;
        }
        if (pending) {
          if (indent > pending.frame.indent) {
            const node: Container = r.line.startsWith('- ', indent) ? [] : {};
            settle(node, at);
            stack.push({ indent, node, offsets: r.offsets(node, Array.isArray(node) ? [] : new Map()) });
          } else {
            if (indent === pending.frame.indent && r.line.startsWith('-', indent)) throw OUTSIDE;
            settle(null, pending.keyAt);
          }
        }
        while (stack.length > 0 && indent < stack.at(-1)!.indent) stack.pop();
        const top = stack.at(-1);
        if (!top || indent !== top.indent) throw OUTSIDE;
        if (Array.isArray(top.node)) {
          if (!r.line.startsWith('- ', indent)) throw OUTSIDE;
          const i = r.skip(indent + 2);
          if (r.done(i)) throw OUTSIDE;
          const [v, j] = r.value(i, false);
          if (!r.done(j)) throw OUTSIDE;
          (top.offsets as number[]).push(start + i);
          top.node.push(v);
        } else {
          const [k, colon] = r.key(indent);
          if (r.line[colon + 1] !== undefined && r.line[colon + 1] !== ' ') throw OUTSIDE;
          const i = r.skip(colon + 1);
          if (r.done(i)) pending = { frame: top, key: k, keyAt: at };
          else {
            const [v, j] = r.value(i, false);
            if (!r.done(j)) throw OUTSIDE;
            top.node[k] = v;
            r.entry(top.offsets as Entries, k, { key: at, value: v === null ? at : start + i });
          }
        }
      }
      start = end + 1;
    }
    if (pending) settle(null, pending.keyAt);
  } catch (e) {
    if (e === OUTSIDE) return undefined;
    throw e;
  }
  if (rootAt < 0) return undefined;
  const locate = (path: FieldPath, at: 'key' | 'value' = 'value'): number => {
    let node: unknown = root;
    let offset = rootAt;
    for (const [i, seg] of path.entries()) {
      const o = typeof node === 'object' && node !== null ? r.pos.get(node as Container) : undefined;
      const item = Array.isArray(o) && typeof seg === 'number' ? o[seg] : undefined;
      const p = o instanceof Map ? o.get(String(seg)) : item === undefined ? undefined : { key: item, value: item };
      if (!p) break;
      if (i === path.length - 1 && at === 'key') return p.key;
      node = (node as Record<string, unknown>)[seg as string];
      offset = p.value;
    }
    return offset;
  };
  return { data: root, lines, locate };
}
