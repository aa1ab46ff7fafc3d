import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, test } from 'vitest';
import { DIFF_KEYS, FINDING_KEYS, HOST_KEYS, REPORT_KEYS, renderJson, SUMMARY_KEYS } from '../../src/report/json.js';
import type { RunReport } from '../../src/verify/types.js';
import { ALL_FIXTURES, checkReport, HOSTILE_HOST, hostileReport } from '../fixtures/reports/build.js';

const schema = JSON.parse(readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8')) as {
  $schema: string;
  properties: Record<string, unknown>;
  definitions: Record<string, { properties: Record<string, unknown> }>;
};
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

function errorsOf(doc: unknown): string[] {
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** Reverse the key order of every object, to prove the output order does not depend on it. */
function scramble(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(scramble);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .reverse()
        .map(([k, x]) => [k, scramble(x)]),
    );
  return v;
}

describe('renderJson', () => {
  test('one document, 2-space indent, trailing newline, round-trips', () => {
    const r = checkReport();
    const text = renderJson(r);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toBe('  "tool": "fleet",');
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(r)));
  });

  test('key order is fixed whatever order the producer used', () => {
    const r = checkReport();
    expect(renderJson(scramble(r) as RunReport)).toBe(renderJson(r));
    const doc = JSON.parse(renderJson(scramble(r) as RunReport)) as { hosts: Record<string, unknown>[] };
    expect(Object.keys(doc)).toEqual(REPORT_KEYS.filter((k) => k in r));
    expect(Object.keys(doc.hosts[2]!).slice(0, 5)).toEqual(['host', 'groups', 'verdict', 'changed', 'desired']);
  });

  test('undefined fields are dropped, null persisted is kept', () => {
    const doc = JSON.parse(renderJson(checkReport())) as { hosts: Record<string, unknown>[] };
    const cache = doc.hosts.find((h) => h.host === 'cache-1')!;
    expect(cache.persisted).toBeNull();
    const unreachable = doc.hosts.find((h) => h.host === 'app-2')!;
    expect('current' in unreachable).toBe(false);
  });

  test('hostile strings survive as data', () => {
    const doc = JSON.parse(renderJson(hostileReport())) as { hosts: { host: string }[] };
    expect(doc.hosts[0]!.host).toBe(HOSTILE_HOST);
  });
});

describe('schema/report.schema.json', () => {
  test('is draft-07', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
  });

  test.each(Object.keys(ALL_FIXTURES))('%s report validates', (name) => {
    expect(errorsOf(JSON.parse(renderJson(ALL_FIXTURES[name]!())))).toEqual([]);
  });

  test('describes exactly the keys renderJson writes', () => {
    expect(Object.keys(schema.properties).sort()).toEqual([...REPORT_KEYS].sort());
    expect(Object.keys(schema.definitions.host!.properties).sort()).toEqual([...HOST_KEYS].sort());
    expect(Object.keys(schema.definitions.summary!.properties).sort()).toEqual([...SUMMARY_KEYS].sort());
    expect(Object.keys(schema.definitions.diff!.properties).sort()).toEqual([...DIFF_KEYS].sort());
    expect(Object.keys(schema.definitions.finding!.properties).sort()).toEqual([...FINDING_KEYS].sort());
  });

  // biome-ignore lint/suspicious/noExplicitAny: a report document broken on purpose, one field at a time
  type LooseDoc = Record<string, any>;
  const broken: [string, (d: LooseDoc) => void, RegExp][] = [
    ['unknown verdict', (d) => (d.hosts[0].verdict = 'ok'), /\/hosts\/0\/verdict must be equal to one of the allowed values/],
    ['missing summary', (d) => delete d.summary, /must have required property 'summary'/],
    ['unknown top-level field', (d) => (d.extra = 1), /must NOT have additional properties/],
    ['ports with a space', (d) => (d.hosts[0].desired = '5000, 6000'), /\/hosts\/0\/desired must match pattern/],
    ['negative count', (d) => (d.summary.drift = -1), /\/summary\/drift must be >= 0/],
    ['wrong tool', (d) => (d.tool = 'other'), /\/tool must be equal to constant/],
    ['bad timestamp', (d) => (d.startedAt = 'yesterday'), /\/startedAt must match pattern/],
    ['audit port out of range', (d) => (d.hosts[2].audit[0].port = 70000), /\/hosts\/2\/audit\/0\/port must be <= 65535/],
  ];
  test.each(broken)('rejects %s', (_name, breakIt, message) => {
    const doc = JSON.parse(renderJson(checkReport())) as LooseDoc;
    breakIt(doc);
    expect(errorsOf(doc).join('\n')).toMatch(message);
  });
});
