import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { FieldPath } from '../../src/policy/diagnostic.js';
import { readYamlFast } from '../../src/policy/yaml-fast.js';
import { locate, readYaml } from '../../src/policy/yaml-source.js';
import { policyText } from '../../bench/planner.js';

const ROOT = join(import.meta.dirname, '../..');

/** Every path into `data` (keys and list indexes), plus one missing key under each mapping. */
function paths(data: unknown, base: FieldPath = []): FieldPath[] {
  if (typeof data !== 'object' || data === null) return [base];
  const keys: (string | number)[] = Array.isArray(data) ? data.map((_, i) => i) : Object.keys(data);
  const below = keys.flatMap((k) => paths((data as Record<string, unknown>)[k as string], [...base, k]));
  return [base, [...base, 'no_such_key'], ...below];
}

/** When the fast reader accepts a text, it must agree with the yaml library on the data and on every position. */
function agrees(text: string): boolean {
  const fast = readYamlFast(text);
  if (!fast) return false;
  const full = readYaml(text);
  expect(full.errors).toEqual([]);
  expect(full.warnings).toEqual([]);
  expect(fast.data).toEqual(full.data);
  for (const p of paths(full.data)) {
    for (const at of ['key', 'value'] as const) {
      const want = full.lines.linePos(locate(full.doc, p, at));
      expect({ p, at, pos: fast.lines.linePos(fast.locate(p, at)) }).toEqual({ p, at, pos: want });
    }
  }
  return true;
}

const files = (dir: string) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(ROOT, dir, f));

describe('readYamlFast: a shortcut that agrees with the yaml library or steps aside', () => {
  it('reads the example, the good fixtures and the bench policy, with the same data and positions', () => {
    for (const f of [join(ROOT, 'examples/policy.yaml'), ...files('test/fixtures/policies')]) expect(agrees(readFileSync(f, 'utf8')), f).toBe(true);
    expect(agrees(policyText(200, 20))).toBe(true);
  });

  it('agrees on every bad-policy fixture it accepts', () => {
    for (const f of files('test/fixtures/bad-policies')) agrees(readFileSync(f, 'utf8'));
  });

  it.each([
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['an anchor', 'a: &x 1\nb: *x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a block scalar', 'a: |\n  x\n'],
    ['a multi-line flow list', 'a: [1,\n  2]\n'],
    ['a multi-line plain scalar', 'a: b\n  c\n'],
    ['a float', 'a: 1.5\n'],
    ['a hex number', 'a: 0x10\n'],
    ['a leading-zero number', 'a: 010\n'],
    ['a mixed-case boolean', 'a: tRue\n'],
    ["a list at the key's own indent", 'a:\n- 1\n'],
    ['a tab', 'a:\t1\n'],
    ['CRLF line ends', 'a: 1\r\n'],
    ['a backslash escape', 'a: "x\\ty"\n'],
    ['a doubled single quote', "a: 'it''s'\n"],
    ['a second document', 'a: 1\n---\nb: 2\n'],
    ['a top-level list', '- 1\n'],
    ['an empty text', ''],
    ['a trailing comma', 'a: [1, 2,]\n'],
    ['a mapping in a list item', 'a:\n  - b: 1\n'],
    ['a __proto__ key', '__proto__: 1\n'],
  ])('steps aside on %s', (_, text) => {
    expect(readYamlFast(text)).toBeUndefined();
  });

  it('reads comments, quotes, nulls and booleans as the yaml library does', () => {
    const text = [
      '# head comment',
      'version: 1   # trailing',
      "mode: 'exact'",
      'reserved_ports:',
      '  - 8080',
      '  - "5000-6000"',
      '',
      'inventory:',
      '  hosts:',
      '    "web-1.example.com": {ansible_port: 22, ansible_become: true}',
      '    db1:',
      '    db2: ~',
      '  groups:',
      '    web: [web-1.example.com, "db1"]',
      '    db: {hosts: [db1], children: []}',
      'hosts:',
      '  db1: {reserved_ports: null}',
      'targets: all',
    ].join('\n');
    expect(agrees(text)).toBe(true);
  });

  it.each([
    ['a comment before the first key of a nested mapping', 'a:\n  # c\n  b: 1\n'],
    ['a comment at column 0 inside a nested mapping', 'a:\n  b: 1\n# c\n  c: 2\n'],
    ['a comment before a nested list', 'a:\n    # c\n  - 1\n'],
    ['blank lines and trailing spaces', 'a:   \n\n  b:    x   \n\n'],
    ['an empty value at the end of the text', 'a: 1\nb:'],
    ['nested flow collections', 'a: [1, [2, "x"], {k: [v]}, {}]\nb: {c: {d: e}}\n'],
    ['extra spaces after a list dash', 'a:\n  -   1\n  -  "2"\n'],
    ['words the core schema keeps as strings', 'a: [yes, on, 1_000, Infinity, a.b, x-1, 1-2]\n'],
  ])('agrees on %s', (_, text) => {
    expect(agrees(text)).toBe(true);
  });

  const word = fc.constantFrom(
    'a',
    'b',
    'web',
    'h1',
    '8080',
    '0',
    '5000-6000',
    'true',
    'null',
    '"q w"',
    "'s'",
    '[]',
    '{}',
    '[1, x]',
    '{k: v}',
    '~',
    '/etc/x.conf',
  );
  const key = fc.constantFrom('a', 'b', 'web', 'h1', 'reserved_ports', '"k:1"', 'x_y');
  const line = fc
    .tuple(
      fc.constantFrom('', '  ', '    ', '      '),
      fc.oneof(
        fc.tuple(key, fc.constantFrom(':', ': '), fc.option(word)).map(([k, c, w]) => `${k}${c}${w ?? ''}`),
        word.map((w) => `- ${w}`),
        fc.constantFrom('# c', ''),
      ),
    )
    .map(([i, t]) => i + t);
  it('agrees with the yaml library on random line soup whenever it accepts it', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(line, { maxLength: 10 }), (ls) => {
        if (agrees(ls.join('\n'))) accepted++;
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(20); // the property is not vacuous
  });

  const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, fc.constantFrom(1, 0, 65535, 'x', 'a-b', '5000-6000', true, false, null, '', 'x y'), tie('list'), tie('map')),
    list: fc.array(tie('node'), { maxLength: 3 }),
    map: fc.dictionary(fc.constantFrom('a', 'b', 'hosts', 'web-1', 'c d'), tie('node'), { maxKeys: 3 }),
  })).map as fc.Arbitrary<unknown>;
  it('agrees with the yaml library on what yaml.stringify writes, in block and flow style', () => {
    let accepted = 0;
    fc.assert(
      fc.property(value, fc.boolean(), (v, flow) => {
        if (agrees(stringify({ top: v, other: 1 }, flow ? { collectionStyle: 'flow' } : {}))) accepted++;
      }),
      { numRuns: 2000 },
    );
    expect(accepted).toBeGreaterThan(400);
  });
});
