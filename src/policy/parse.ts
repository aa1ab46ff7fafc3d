/**
 * parsePolicyText: policy text -> Policy, or every problem in it at once.
 * Pure (no I/O) and total: any input gives a result, never an exception.
 */
import { buildPolicy } from './build.js';
import { checkPolicy } from './checks.js';
import { formatPath, type Diagnostic, type FieldPath, type Problem } from './diagnostic.js';
import { checkFields } from './field-checks.js';
import { checkInventory } from './inventory-checks.js';
import { policySchema } from './schema.js';
import type { Policy } from './types.js';
import { readYamlFast } from './yaml-fast.js';
import { locate, readYaml } from './yaml-source.js';
import { problemsFromIssues } from './zod-issues.js';

/** Larger than any real policy by far; beyond it the file is a mistake (or an attack). */
export const MAX_POLICY_BYTES = 1024 * 1024;

/** What parsePolicyText returns: `policy` is present exactly when `errors` is empty. */
export interface PolicyParseResult {
  policy?: Policy;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/** Where the text stops being text: NUL, other control characters, or bytes that were not UTF-8. */
function binaryOffset(text: string): number {
  return text.search(/[\0-\x08\x0e-\x1f\x7f\ufffd]/);
}

/** Parse and validate a policy file's text; `file` names it in diagnostics and anchors relative paths. */
export function parsePolicyText(text: string, file: string): PolicyParseResult {
  const at = (line: number, col: number, message: string, path = '(document)', severity: Diagnostic['severity'] = 'error'): Diagnostic => ({
    file,
    line,
    col,
    path,
    message,
    severity,
  });
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_POLICY_BYTES) return { errors: [at(1, 1, `the file is ${bytes} bytes, more than the 1 MiB a policy may have`)], warnings: [] };
  const src = text.replace(/^\ufeff/, '');
  const bad = binaryOffset(src);
  if (bad >= 0) {
    const before = src.slice(0, bad).split('\n');
    return {
      errors: [
        at(before.length, (before.at(-1)?.length ?? 0) + 1, 'the file contains binary data (a NUL, control character or invalid UTF-8); a policy is YAML text'),
      ],
      warnings: [],
    };
  }
  // The common case, a plain valid policy, never builds the yaml library's
  // Document; any problem is located (and worded) on the full read below.
  const fast = readYamlFast(src);
  if (fast) {
    const r = validate(fast.data, (path, at) => fast.lines.linePos(fast.locate(path, at)), file);
    if (r.errors.length === 0) return r;
  }
  const y = readYaml(src);
  const position: Position = (path, at) => y.lines.linePos(locate(y.doc, path, at));
  const place = placer(file, position, y.lines.linePos);
  const warnings = y.warnings.map((w) => place(w, 'warning'));
  if (y.errors.length > 0) return { errors: y.errors.map((e) => place(e, 'error')), warnings };
  if (y.data === null || y.data === undefined)
    return { errors: [at(1, 1, 'the file is empty; a policy needs at least `version: 1`, `inventory` and `reserved_ports`')], warnings };
  if (typeof y.data !== 'object' || Array.isArray(y.data)) {
    const kind = Array.isArray(y.data) ? 'a list' : `a single value (${JSON.stringify(y.data)})`;
    return { errors: [at(1, 1, `the top level must be a mapping of keys like \`version: 1\`, but it is ${kind}`)], warnings };
  }
  return validate(y.data, position, file, warnings);
}

/** Line and column of the field at `path` (its key when `at` is 'key'). */
type Position = (path: FieldPath, at?: 'key' | 'value') => { line: number; col: number };

/** Problem -> Diagnostic: placed by its offset when it has one, else by its field path. */
function placer(file: string, position: Position, offsetPos?: (offset: number) => { line: number; col: number }) {
  return (p: Problem, severity: Diagnostic['severity']): Diagnostic => {
    const { line, col } = p.offset !== undefined && offsetPos ? offsetPos(p.offset) : position(p.path, p.at);
    return { file, line, col, path: formatPath(p.path), message: p.message, severity };
  };
}

/**
 * Shape (zod) and the rule pass (field-checks.ts) side by side, so every
 * problem is reported at once; on a clean result, cross-field checks.
 */
function validate(data: unknown, position: Position, file: string, warnings: Diagnostic[] = []): PolicyParseResult {
  const place = placer(file, position);
  const parsed = policySchema.safeParse(data, { reportInput: true });
  const problems = [...(parsed.success ? [] : problemsFromIssues(parsed.error.issues, data, policySchema)), ...checkFields(data)];
  if (problems.length > 0 || !parsed.success) return { errors: sortDiagnostics(problems.map((p) => place(p, 'error'))), warnings };
  const policy = buildPolicy(parsed.data, file);
  const checks = [checkPolicy(policy), checkInventory(policy)];
  const errors = sortDiagnostics(checks.flatMap((c) => c.errors).map((p) => place(p, 'error')));
  const all = sortDiagnostics([...warnings, ...checks.flatMap((c) => c.warnings).map((p) => place(p, 'warning'))]);
  return errors.length > 0 ? { errors, warnings: all } : { policy, errors, warnings: all };
}

/** File order, so the output reads top to bottom like the file. */
function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return ds.sort((a, b) => a.line - b.line || a.col - b.col);
}
