/**
 * zod issues -> Problems worded for people editing YAML: the value they
 * wrote, what was expected, and "did you mean" for unknown keys.
 */
import type { z } from 'zod';
import type { FieldPath, Problem } from './diagnostic.js';
import { describeValue } from './port-values.js';
import { closest } from './suggest.js';

type Issue = z.core.$ZodIssue;
type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  innerType?: z.ZodType;
  element?: z.ZodType;
  in?: z.ZodType;
};

/** Every key an object schema accepts at `path` (all union options merged), for suggestions. */
export function knownKeysAt(schema: z.ZodType, path: FieldPath): string[] {
  const def = (schema as unknown as { _zod: { def: Def } })._zod.def;
  const inner = def.innerType ?? def.in;
  if (inner) return knownKeysAt(inner, path);
  if (def.type === 'union') return [...new Set((def.options ?? []).flatMap((o) => knownKeysAt(o, path)))];
  if (path.length === 0) return def.type === 'object' ? Object.keys(def.shape ?? {}) : [];
  const [seg, ...rest] = path;
  const next = def.type === 'object' ? def.shape?.[String(seg)] : def.type === 'record' ? def.valueType : def.element;
  return next ? knownKeysAt(next, rest) : [];
}

const EXPECTED: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  tuple: 'a list',
  null: 'nothing',
};

const REQUIRED_HINT: Record<string, string> = {
  version: '; add `version: 1` at the top',
  inventory: '; add `inventory: path/to/inventory` or an inline `inventory: { hosts: ..., groups: ... }`',
};

function getAt(data: unknown, path: FieldPath): unknown {
  let v = data;
  for (const seg of path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[seg as string] : undefined;
  return v;
}

/** Keys the input has that an option does not know: the best sign the user meant another option. */
const strangers = (issues: Issue[]) => issues.reduce((n, i) => n + (i.code === 'unrecognized_keys' && i.path.length === 0 ? i.keys.length : 0), 0);

/** Among failed union options, the one the input most resembles (not rejected on type alone), if any. */
function bestOption(errors: Issue[][]): Issue[] | undefined {
  const typed = errors.filter((issues) => !issues.every((i) => i.code === 'invalid_type' && i.path.length === 0));
  const score = (issues: Issue[]) => strangers(issues) * 1000 + issues.length;
  return typed.length === 0 ? undefined : typed.reduce((a, b) => (score(b) < score(a) ? b : a));
}

function word(issue: Issue, input: unknown, schema: z.ZodType, path: FieldPath): Problem[] {
  const got = describeValue(input);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const hint = closest(key, knownKeysAt(schema, path));
        return { path: [...path, key], at: 'key' as const, message: `unknown key \`${key}\`${hint ? ` (did you mean \`${hint}\`?)` : ''}` };
      });
    case 'invalid_type':
      return [{ path, message: `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${got}` }];
    case 'too_big':
      return [{ path, message: typeof input === 'number' ? `${got} is above ${issue.maximum}` : `${got} is too long (at most ${issue.maximum})` }];
    case 'too_small':
      return [{ path, message: typeof input === 'number' ? `${got} is below ${issue.minimum}` : `${got} is too short (at least ${issue.minimum})` }];
    case 'invalid_value': {
      if (issue.values.length === 1) return [{ path, message: `expected ${JSON.stringify(issue.values[0])}, got ${got}` }];
      const allowed = issue.values.map((v) => JSON.stringify(v));
      const hint = typeof input === 'string' ? closest(input, issue.values.map(String)) : undefined;
      return [{ path, message: `${got} is not ${allowed.join(' or ')}${hint ? ` (did you mean \`${hint}\`?)` : ''}` }];
    }
    case 'invalid_format':
      // Regexes in the schema carry their own worded messages; zod's default quotes the pattern.
      return [{ path, message: issue.message.startsWith('Invalid string') ? `${got} is not allowed here` : issue.message }];
    default:
      return [{ path, message: issue.message }];
  }
}

/** Turn zod issues into Problems; `data` is the parsed document (for values and missing keys). */
export function problemsFromIssues(issues: readonly Issue[], data: unknown, schema: z.ZodType, base: FieldPath = []): Problem[] {
  return issues.flatMap((issue): Problem[] => {
    const path = [...base, ...issue.path] as (string | number)[];
    const parent = getAt(data, path.slice(0, -1));
    const last = path[path.length - 1];
    if (last !== undefined && typeof parent === 'object' && parent !== null && !Array.isArray(parent) && !(String(last) in parent)) {
      return [{ path, message: `required key \`${String(last)}\` is missing${REQUIRED_HINT[String(last)] ?? ''}` }];
    }
    if (issue.code === 'invalid_union') {
      const best = bestOption(issue.errors);
      if (best) return problemsFromIssues(best, data, schema, path);
    }
    return word(issue, getAt(data, path), schema, path);
  });
}
