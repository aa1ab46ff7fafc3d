import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hostVarProblem, nameProblem } from '../../src/policy/names.js';
import { parsePortsValue, parseRangeValue } from '../../src/policy/port-values.js';
import { policyJsonSchema, portsSchema, rangeSchema } from '../../src/policy/schema.js';
import { z } from 'zod';
import { GROUP_NAME, HOST_NAME, SAFE_VAR_STRING } from '../../src/policy/names.js';

describe('published JSON Schema', () => {
  it('schema/policy.schema.json equals the one generated from the zod schema (run `npm run schema`)', async () => {
    const committed = JSON.parse(await readFile(new URL('../../schema/policy.schema.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(policyJsonSchema());
  });

  it('is draft-7 and rejects unknown keys at the top level', () => {
    const s = policyJsonSchema();
    expect(s.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(s.additionalProperties).toBe(false);
    expect(s.required).toEqual(['version', 'inventory']);
  });
});

// The schema's port and name rules are published for editors; the messages come from
// port-values.ts and names.ts. These properties keep the two in agreement.
const portText = fc.oneof(
  fc.stringMatching(/^[0-9]{1,6}(-[0-9]{1,6})?(,[0-9]{1,6}(-[0-9]{1,6})?){0,3}$/),
  fc.string({ maxLength: 12 }),
);
const portValue = fc.oneof(portText, fc.integer({ min: -5, max: 70000 }), fc.double(), fc.boolean(), fc.constant(null));

describe('zod rules agree with the parsers that word the messages', () => {
  it('ports: the parser accepts => the schema accepts; the schema accepts => the parser accepts or it is a reversed range', () =>
    fc.assert(fc.property(fc.oneof(portValue, fc.array(portValue, { maxLength: 4 })), (v) => {
      const parsed = parsePortsValue(v).problems.length === 0;
      const schema = portsSchema.safeParse(v).success;
      if (parsed) expect(schema).toBe(true);
      if (schema && !parsed) expect(parsePortsValue(v).problems.map((p) => p.message).join()).toContain('reversed');
    }), { numRuns: 2000 }));

  it('ephemeral ranges likewise', () =>
    fc.assert(fc.property(fc.oneof(portValue, fc.tuple(portValue, portValue)), (v) => {
      const parsed = parseRangeValue(v).problems.length === 0;
      const schema = rangeSchema.safeParse(v).success;
      if (parsed) expect(schema).toBe(true);
      if (schema && !parsed) expect(parseRangeValue(v).problems[0]?.message).toContain('reversed');
    }), { numRuns: 1000 }));

  const nameish = fc.oneof(fc.string({ maxLength: 10 }), fc.stringMatching(/^[A-Za-z0-9_.:;{}$ -]{0,10}$/));
  it('group and host names, and host variable strings', () =>
    fc.assert(fc.property(nameish, (n) => {
      expect(nameProblem('group', n) === undefined).toBe(z.string().regex(GROUP_NAME).safeParse(n).success);
      expect(nameProblem('host', n) === undefined).toBe(z.string().regex(HOST_NAME).safeParse(n).success);
      expect(hostVarProblem(n) === undefined).toBe(SAFE_VAR_STRING.test(n));
    }), { numRuns: 2000 }));
});
