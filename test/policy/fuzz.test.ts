import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parsePolicyText } from '../../src/policy/parse.js';

/** The parser is total: whatever the text, a result comes back, and it is consistent. */
function checkTotal(text: string): void {
  const r = parsePolicyText(text, 'fuzz.yaml');
  expect(r.policy === undefined).toBe(r.errors.length > 0);
  for (const d of [...r.errors, ...r.warnings]) {
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.col).toBeGreaterThanOrEqual(1);
    expect(d.path.length).toBeGreaterThan(0);
    expect(d.message.length).toBeGreaterThan(0);
  }
}

const KEYS = [
  'version',
  'mode',
  'reserved_ports',
  'ephemeral_range',
  'min_ephemeral_ports',
  'persist_file',
  'inventory',
  'groups',
  'hosts',
  'ansible',
  'audit',
  'source',
  'children',
  'web',
  'h1',
  'serial',
  'allow_ports',
  'ansible_host',
  '{{x}}',
];
const leaf = fc.oneof(
  fc.integer({ min: -10, max: 70000 }),
  fc.constantFrom('5000-10000', '10000-5000', '1,2', '25%', 'exact', '', ' ', 'a;b', '{{ x }}', true, null, 1.5),
);
const yamlish = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('list'), tie('map')),
  list: fc.array(tie('node'), { maxLength: 4 }),
  map: fc.dictionary(fc.constantFrom(...KEYS), tie('node'), { maxKeys: 5 }),
})).map;

describe('the parser never throws', () => {
  it('on random strings', () => fc.assert(fc.property(fc.string({ maxLength: 200 }), checkTotal), { numRuns: 1000 }));
  it('on random unicode and binary-ish strings', () => fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), checkTotal), { numRuns: 500 }));
  it('on YAML-like line soup', () =>
    fc.assert(
      fc.property(
        fc.array(
          fc.constantFrom(
            'version: 1',
            'groups:',
            '  web:',
            '    reserved_ports: [1, 2',
            '- a',
            '&a x',
            '*a',
            '? k',
            ': v',
            '---',
            '"',
            "'",
            '{',
            '}',
            '\t',
            'inventory: x',
            '<<: *a',
          ),
          { maxLength: 12 },
        ),
        (ls) => checkTotal(ls.join('\n')),
      ),
      { numRuns: 1000 },
    ));
  it('on random YAML structures built from policy keys', () =>
    fc.assert(
      fc.property(yamlish, (m) => checkTotal(stringify(m))),
      { numRuns: 1000 },
    ));
  it('on valid policies with random extras (still total, and valid ones build)', () =>
    fc.assert(
      fc.property(yamlish, (extra) => checkTotal(stringify({ version: 1, inventory: 'x', reserved_ports: 40000, ...extra }))),
      { numRuns: 500 },
    ));
});
