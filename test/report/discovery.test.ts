/** `fleet discover --json` and schema/discover.schema.json: every document the function can build validates, and the schema names exactly its keys. */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, test } from 'vitest';
import type { HostListeners, UnreadHost } from '../../src/plan/propose.js';
import { discoveryDocument } from '../../src/report/discovery.js';

const schema = JSON.parse(readFileSync(new URL('../../schema/discover.schema.json', import.meta.url), 'utf8')) as {
  $schema: string;
  required: string[];
  properties: Record<string, unknown>;
  definitions: Record<string, { properties: Record<string, unknown> }>;
};
const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
const errorsOf = (doc: unknown): string[] => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));

const read: HostListeners[] = [
  {
    host: 'web1',
    groups: ['web'],
    range: [32768, 60999],
    listeners: [
      { proto: 'tcp', port: 8080, local: '0.0.0.0:8080', process: 'java', pid: 812, loopback: false },
      { proto: 'udp', port: 53, local: '127.0.0.53%lo:53', loopback: true },
    ],
  },
  { host: 'db "1"', groups: [], listeners: [{ proto: 'tcp', port: 5432, local: '[::]:5432', process: 'postgres', pid: 90, loopback: false }] },
];
const unread: UnreadHost[] = [{ host: 'h9', groups: ['web'], reason: 'unreachable: ssh: connect to host 198.18.0.9 port 22: Connection refused' }];

function doc(o: { read?: HostListeners[]; unread?: UnreadHost[]; text?: string | null } = {}) {
  return discoveryDocument({
    version: '0.1.0',
    source: 'inventory /srv/inventory.yml',
    read: o.read ?? read,
    unread: o.unread ?? unread,
    proposal: undefined,
    text: o.text === undefined ? 'version: 1\nreserved_ports: [8080]\n' : o.text,
    errors: [],
    warnings: ['h9 could not be read'],
  });
}

describe('schema/discover.schema.json', () => {
  test('is draft-07', () => expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#'));

  test.each([
    ['read and unread hosts, a host with no known range, a socket with no process', doc()],
    ['nothing to propose', doc({ text: null })],
    ['every host read', doc({ unread: [] })],
    ['no host read', doc({ read: [] })],
  ])('%s: validates', (_, d) => {
    expect(errorsOf(JSON.parse(JSON.stringify(d)))).toEqual([]);
  });

  test('names exactly the keys discoveryDocument writes, all of them required', () => {
    const d = doc();
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(d).sort());
    expect([...schema.required].sort()).toEqual(Object.keys(d).sort());
    expect(Object.keys(schema.definitions.observation!.properties).sort()).toEqual(Object.keys(d.observations[0]!).sort());
    const hostKeys = new Set(d.hosts.flatMap((h) => Object.keys(h)));
    expect(Object.keys(schema.definitions.host!.properties).sort()).toEqual([...hostKeys].sort());
  });

  test('can fail: a read host with a reason, a port out of range, an unknown key', () => {
    const d = JSON.parse(JSON.stringify(doc())) as { hosts: Record<string, unknown>[]; observations: Record<string, unknown>[]; extra?: boolean };
    d.hosts[0]!.reason = 'both';
    d.observations[0]!.port = 70000;
    d.extra = true;
    expect(errorsOf(d).length).toBeGreaterThanOrEqual(3);
  });
});
