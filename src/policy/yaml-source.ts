/**
 * YAML text -> document + plain data, and back from a field path to a line
 * and column. Every failure of the yaml library becomes data, never a throw.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { FieldPath, Problem } from './diagnostic.js';

/** Small on purpose: a policy has no use for many aliases; a billion-laughs file needs thousands. */
export const MAX_ALIAS_COUNT = 50;

export interface YamlSource {
  doc: Document;
  lines: LineCounter;
  /** The document as plain data; absent when it could not be built. */
  data?: unknown;
  /** Located by `offset`; `path` names the field around it. */
  errors: Problem[];
  warnings: Problem[];
}

function reword(code: string, message: string, text: string, pos: number): string {
  if (code === 'DUPLICATE_KEY') {
    const key = /^[^:\n]*/.exec(text.slice(pos))?.[0].trim() ?? '';
    return `duplicate key ${JSON.stringify(key)} (each key may appear once in a mapping)`;
  }
  if (code === 'MULTIPLE_DOCS') return 'the file holds more than one YAML document (a second `---`); a policy is one document';
  return `YAML syntax error: ${message.split('\n')[0]}`;
}

/** Parse `text` as one YAML 1.2 document; collects syntax errors, duplicate keys and alias bombs. */
export function readYaml(text: string): YamlSource {
  const lines = new LineCounter();
  // The library's own duplicate-key check is quadratic in a mapping's size (a
  // 10,000-host inline inventory took 1.5 s); duplicateKeys() does it in one pass.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const problem = (offset: number, message: string): Problem => ({ path: pathAt(doc, offset), offset, message });
  const errors = doc.errors.map((e) => problem(e.pos[0], reword(e.code, e.message, text, e.pos[0])));
  if (errors.length === 0) errors.push(...duplicateKeys(doc).map((offset) => problem(offset, reword('DUPLICATE_KEY', '', text, offset))));
  const warnings = doc.warnings.map((w) => problem(w.pos[0], w.message.split('\n')[0] ?? w.message));
  if (errors.length > 0) return { doc, lines, errors, warnings };
  try {
    return { doc, lines, data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), errors, warnings };
  } catch (e) {
    let offset = 0;
    visit(doc, {
      Alias: (_, node) => {
        offset = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    const why =
      e instanceof ReferenceError && /alias/i.test(e.message)
        ? `aliases expand to too much data (more than ${MAX_ALIAS_COUNT} nodes); write the values out instead`
        : `the YAML could not be read: ${e instanceof Error ? e.message : String(e)}`;
    return { doc, lines, errors: [problem(offset, why)], warnings };
  }
}

/** Offsets of every key that repeats an earlier key of the same mapping. */
function duplicateKeys(doc: Document): number[] {
  const found: number[] = [];
  // A plain walk: the library's visit() costs several times more on a 10,000-host inventory.
  const walk = (node: unknown): void => {
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const k = isScalar(pair.key) ? `s:${String(pair.key.value)}` : `n:${String(pair.key)}`;
        if (seen.has(k)) found.push((pair.key as Node | null)?.range?.[0] ?? 0);
        seen.add(k);
        walk(pair.key);
        walk(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) walk(item);
    }
  };
  walk(doc.contents);
  return found;
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/**
 * Offset of the field at `path`: its key when `at` is 'key' (unknown keys),
 * else its value; the nearest existing ancestor when the path runs out
 * (a missing key points at the mapping that lacks it).
 */
export function locate(doc: Document, path: FieldPath, at: 'key' | 'value' = 'value'): number {
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0] ?? 0;
  for (const [i, seg] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (!pair) break;
      const keyStart = (pair.key as Node | null)?.range?.[0] ?? offset;
      if (i === path.length - 1 && at === 'key') return keyStart;
      node = pair.value;
      // `key:` with nothing after it has a null value with no useful range: point at the key.
      const v = (node as Node | null)?.range;
      offset = v && !(isScalar(node) && node.value === null) ? v[0] : keyStart;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg];
      offset = (node as Node | null)?.range?.[0] ?? offset;
    } else break;
    if (isAlias(node)) break;
  }
  return offset;
}

/** The deepest field path whose key or value spans `offset`, for naming where a syntax error sits. */
export function pathAt(doc: Document, offset: number): FieldPath {
  const path: (string | number)[] = [];
  const inside = (n: unknown) => {
    const r = (n as Node | null)?.range;
    return !!r && r[0] <= offset && offset <= r[2];
  };
  let node: unknown = doc.contents;
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && (inside(p.key) || inside(p.value)));
      if (!pair) break;
      path.push(keyText(pair.key));
      if (inside(pair.key)) break;
      node = pair.value;
    } else if (isSeq(node)) {
      const i = node.items.findIndex(inside);
      if (i < 0) break;
      path.push(i);
      node = node.items[i];
    } else break;
  }
  return path;
}
