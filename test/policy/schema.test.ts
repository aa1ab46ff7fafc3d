import { readFile } from 'node:fs/promises';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hostVarProblem, nameProblem } from '../../src/policy/names.js';
import { parsePortsValue, parseRangeValue } from '../../src/policy/port-values.js';
import { stringify } from 'yaml';
import { parsePolicyText } from '../../src/policy/parse.js';
import { policyJsonSchema, policySchema } from '../../src/policy/schema.js';
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

// The schema's port and name rules are published for editors (JSON Schema metadata that
// zod never checks); the checks and messages come from port-values.ts and names.ts.
// These properties keep the published rules and the checks in agreement.
const published = policyJsonSchema().properties as Record<string, object>;
const ajv = new Ajv({ strict: false });
const portsAccepted = ajv.compile(published.reserved_ports!);
const rangeAccepted = ajv.compile(published.ephemeral_range!);
const portText = fc.oneof(fc.stringMatching(/^[0-9]{1,6}(-[0-9]{1,6})?(,[0-9]{1,6}(-[0-9]{1,6})?){0,3}$/), fc.string({ maxLength: 12 }));
const portValue = fc.oneof(portText, fc.integer({ min: -5, max: 70000 }), fc.double(), fc.boolean(), fc.constant(null));

describe('the published JSON Schema rules agree with the rule functions', () => {
  it('ports: the parser accepts => the schema accepts; the schema accepts => the parser accepts or it is a reversed range', () =>
    fc.assert(
      fc.property(fc.oneof(portValue, fc.array(portValue, { maxLength: 4 })), (v) => {
        const parsed = parsePortsValue(v).problems.length === 0;
        const schema = portsAccepted(v);
        if (parsed) expect(schema).toBe(true);
        if (schema && !parsed)
          expect(
            parsePortsValue(v)
              .problems.map((p) => p.message)
              .join(),
          ).toContain('reversed');
      }),
      { numRuns: 2000 },
    ));

  it('ephemeral ranges likewise', () =>
    fc.assert(
      fc.property(fc.oneof(portValue, fc.tuple(portValue, portValue)), (v) => {
        const parsed = parseRangeValue(v).problems.length === 0;
        const schema = rangeAccepted(v);
        if (parsed) expect(schema).toBe(true);
        if (schema && !parsed) expect(parseRangeValue(v).problems[0]?.message).toContain('reversed');
      }),
      { numRuns: 1000 },
    ));

  const nameish = fc.oneof(fc.string({ maxLength: 10 }), fc.stringMatching(/^[A-Za-z0-9_.:;{}$ -]{0,10}$/));
  it('group and host names, and host variable strings', () =>
    fc.assert(
      fc.property(nameish, (n) => {
        expect(nameProblem('group', n) === undefined).toBe(z.string().regex(GROUP_NAME).safeParse(n).success);
        expect(nameProblem('host', n) === undefined).toBe(z.string().regex(HOST_NAME).safeParse(n).success);
        expect(hostVarProblem(n) === undefined).toBe(SAFE_VAR_STRING.test(n));
      }),
      { numRuns: 2000 },
    ));
});

describe('one validation path', () => {
  const data = {
    version: 1,
    inventory: { hosts: { 'bad name': { ansible_host: '$x' }, h1: null }, groups: { web: ['{{h}}', 'h1'], db: { hosts: ['db1:22'], children: ['9x'] } } },
    reserved_ports: [70000, '1-2-3'],
    ephemeral_range: '5-1',
    groups: { '9g': { reserved_ports: 0 } },
    audit: { allow_ports: 'x' },
  };

  it('zod checks only the shape: port values, names and host variable strings pass it', () => {
    expect(policySchema.safeParse(data).error?.issues ?? []).toEqual([]);
  });

  it('the rule pass reports each of those problems once, at its field', () => {
    const errors = parsePolicyText(stringify(data), 'p.yaml').errors.map((d) => d.path);
    expect(errors.sort()).toEqual(
      [
        'audit.allow_ports',
        'ephemeral_range',
        'groups["9g"]',
        'groups["9g"].reserved_ports',
        'inventory.groups.db.children[0]',
        'inventory.groups.db.hosts[0]',
        'inventory.groups.web[0]',
        'inventory.hosts["bad name"]',
        'inventory.hosts["bad name"].ansible_host',
        'reserved_ports[0]',
        'reserved_ports[1]',
      ].sort(),
    );
  });

  it('a string where a number or boolean belongs is one type error, not also a content problem', () => {
    const text = 'version: 1\nreserved_ports: 40000\ninventory:\n  hosts:\n    h1: {ansible_become: "{{ x }}", ansible_host: "{{ y }}"}\n';
    expect(parsePolicyText(text, 'p.yaml').errors.map((d) => `${d.path}: ${d.message}`)).toEqual([
      'inventory.hosts.h1.ansible_become: expected true or false, got "{{ x }}"',
      'inventory.hosts.h1.ansible_host: "{{ y }}" contains Jinja template syntax `{{`',
    ]);
  });
});
