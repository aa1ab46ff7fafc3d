import { parsePolicyText } from '../../src/policy/parse.js';
import type { Diagnostic } from '../../src/policy/diagnostic.js';

/** A minimal valid head, so each case adds exactly one problem. */
export const HEAD = 'version: 1\ninventory: inv.yml\n';

/** `line:col path: message` for each diagnostic, the way the tables read. */
export const lines = (ds: Diagnostic[]) => ds.map((d) => `${d.line}:${d.col} ${d.path}: ${d.message}`);

export function errorsOf(text: string): string[] {
  return lines(parsePolicyText(text, 'policy.yaml').errors);
}

export function warningsOf(text: string): string[] {
  const r = parsePolicyText(text, 'policy.yaml');
  if (r.errors.length > 0) throw new Error(`unexpected errors: ${lines(r.errors).join('\n')}`);
  return lines(r.warnings);
}
