/**
 * Diagnostics: one problem in a policy file, pinned to a line and column so
 * an editor or a human can jump straight to it.
 */

/** A path into the policy document, as zod and the yaml library spell it. */
export type FieldPath = readonly (string | number)[];

/**
 * One problem in a policy (error or warning, from any check), before it is
 * placed on a line: the field it is about, with `at: 'key'` pointing at the
 * key instead of the value; YAML syntax problems also carry the offset in the
 * text where the reader stopped. Rule functions return paths relative to the
 * value they were given; callers prefix them.
 */
export interface Problem {
  path: FieldPath;
  message: string;
  at?: 'key' | 'value';
  offset?: number;
}

/** One problem found in a policy file, placed: `line` and `col` are 1-based. */
export interface Diagnostic {
  /** The file as the user gave it (relative stays relative). */
  file: string;
  line: number;
  col: number;
  /** Field path like `groups.proxies.reserved_ports[1]`; `(document)` for the file as a whole. */
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `['groups', 'web-1.example.com', 'reserved_ports', 1]` -> `groups["web-1.example.com"].reserved_ports[1]`. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(document)' : out;
}

/** `policy.yaml:7:5 groups.proxies.reserved_ports[1]: 70000 is above 65535` (warnings say so after the path). */
export function formatDiagnostic(d: Diagnostic): string {
  const tag = d.severity === 'warning' ? 'warning: ' : '';
  return `${d.file}:${d.line}:${d.col} ${d.path}: ${tag}${d.message}`;
}
