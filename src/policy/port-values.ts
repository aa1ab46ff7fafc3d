/**
 * Port values as written in a policy file -> canonical PortSets, with one
 * exact message per bad entry. The kernel's rules (and their wording) live in
 * ports/portset.ts; this file only adds what YAML brings: numbers, lists,
 * booleans and other things that are not ports.
 */
import { MAX_PORT, MIN_PORT, normalize, parseToken, type PortRange, type PortSet } from '../ports/portset.js';
import type { FieldPath, Problem } from './diagnostic.js';

const EXPECTED = 'expected a port like 8080 or a range like "5000-10000"';

/** Describe a YAML value that is not what a field wants, naming its type. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'an empty value';
  if (typeof v === 'boolean') return `${v} (a boolean)`;
  if (typeof v === 'number') return `${v}`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return 'a list';
  return 'a mapping';
}

function numberProblem(n: number): string | undefined {
  if (!Number.isInteger(n)) return `${n} is not an integer`;
  if (n < MIN_PORT) return `${n} is below ${MIN_PORT}`;
  if (n > MAX_PORT) return `${n} is above ${MAX_PORT}`;
  return undefined;
}

/** One entry: an integer, a `a-b` range, or a kernel-form list `5000-6000,7000`. */
function parseEntry(v: unknown): { ranges: PortRange[]; error?: string } {
  if (typeof v === 'number') {
    const error = numberProblem(v);
    return error ? { ranges: [], error } : { ranges: [[v, v]] };
  }
  if (typeof v !== 'string') return { ranges: [], error: `${describeValue(v)} is not a port (${EXPECTED})` };
  if (v === '') return { ranges: [], error: `an empty string is not a port (${EXPECTED})` };
  // Checked on the whole string so the message quotes what the user wrote, not one token of it.
  if (/\s/.test(v)) return { ranges: [], error: `${describeValue(v)} contains whitespace (the kernel rejects it; write "5000,6000")` };
  const ranges: PortRange[] = [];
  for (const tok of v.split(',')) {
    const r = parseToken(tok);
    if (!r.ok) return { ranges: [], error: tok === v ? r.error : `${describeValue(v)}: ${r.error}` };
    ranges.push(r.value);
  }
  return { ranges };
}

/** Parse a `reserved_ports`/`allow_ports` value: one entry or a list of entries. */
export function parsePortsValue(value: unknown): { set: PortSet; problems: Problem[] } {
  const items = Array.isArray(value) ? value : [value];
  const problems: Problem[] = [];
  const ranges: PortRange[] = [];
  items.forEach((item, i) => {
    const path = Array.isArray(value) ? [i] : [];
    const r = Array.isArray(item) ? { ranges: [], error: `a list inside a list is not a port (${EXPECTED})` } : parseEntry(item);
    if (r.error) problems.push({ path, message: r.error });
    ranges.push(...r.ranges);
  });
  return { set: normalize(ranges), problems };
}

/** Parse an `ephemeral_range` value: `"32768-60999"` or `[32768, 60999]`. */
export function parseRangeValue(value: unknown): { range?: PortRange; problems: Problem[] } {
  const fail = (message: string, path: FieldPath = []) => ({ problems: [{ path, message }] });
  if (Array.isArray(value)) {
    if (value.length !== 2) return fail(`a range needs exactly two numbers like [32768, 60999], got ${value.length}`);
    const problems = value.flatMap((v, i): Problem[] => {
      const m = typeof v === 'number' ? numberProblem(v) : `${describeValue(v)} is not a port number`;
      return m ? [{ path: [i], message: m }] : [];
    });
    if (problems.length > 0) return { problems };
    const [lo, hi] = value as [number, number];
    return lo > hi ? fail(`[${lo}, ${hi}] is a reversed range (write [${hi}, ${lo}])`) : { range: [lo, hi], problems: [] };
  }
  if (typeof value === 'number') return fail(`${value} is a single port; write a range like "32768-60999"`);
  if (typeof value !== 'string') return fail(`${describeValue(value)} is not a range like "32768-60999"`);
  if (/\s/.test(value)) return fail(`${describeValue(value)} contains whitespace; write a range like "32768-60999"`);
  if (!/^\d+-\d+$/.test(value)) return fail(`${describeValue(value)} is not a range like "32768-60999"`);
  const r = parseToken(value);
  return r.ok ? { range: r.value, problems: [] } : fail(r.error);
}
