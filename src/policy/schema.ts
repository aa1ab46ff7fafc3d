/**
 * The shape of a policy file v1, in zod. It is the single source for both
 * shape validation and the published JSON Schema (schema/policy.schema.json,
 * for editors). Port values, names and host variable strings are checked by
 * the rule functions only (port-values.ts, names.ts, run by field-checks.ts);
 * here their rules are JSON Schema metadata, which zod publishes but never
 * checks, so each problem is found, and worded, in one place.
 */
import { z } from 'zod';
import { DEFAULT_MIN_EPHEMERAL_PORTS, DEFAULT_PERSIST_FILE } from './types.js';
import { GROUP_NAME, HOST_NAME, HOST_VAR_KEYS, MAX_HOST_NAME, SAFE_VAR_STRING } from './names.js';
import { describeValue } from './port-values.js';

// 1..65535 with optional leading zeros, as parseToken reads it.
const PORT = '0*(?:6553[0-5]|655[0-2]\\d|65[0-4]\\d{2}|6[0-4]\\d{3}|[1-5]\\d{4}|[1-9]\\d{0,3})';
const TOKEN = `${PORT}(?:-${PORT})?`;
/** A kernel-form string: `8080`, `5000-10000`, `5000-6000,7000` (no spaces). Reversed ranges are caught later. */
export const PORTS_STRING = new RegExp(`^${TOKEN}(?:,${TOKEN})*$`);
export const RANGE_STRING = new RegExp(`^${PORT}-${PORT}$`);

const portNumber = z.int().min(1).max(65535);
const PORT_NUMBER_JSON = { type: 'integer', minimum: 1, maximum: 65535 };
const PORT_ENTRY_JSON = { anyOf: [PORT_NUMBER_JSON, { type: 'string', pattern: PORTS_STRING.source }] };
/** reserved_ports / allow_ports: one entry or a list of entries (checked by parsePortsValue). */
export const portsSchema = z.unknown().meta({
  anyOf: [PORT_ENTRY_JSON, { type: 'array', items: PORT_ENTRY_JSON }],
  description: 'A port (8080), a range ("5000-10000"), a kernel-form list ("5000-6000,7000", no spaces), or a list of those.',
});
/** ephemeral_range (checked by parseRangeValue). */
export const rangeSchema = z.unknown().meta({
  anyOf: [
    { type: 'string', pattern: RANGE_STRING.source },
    { type: 'array', items: [PORT_NUMBER_JSON, PORT_NUMBER_JSON], additionalItems: false, minItems: 2, maxItems: 2 },
  ],
  description: 'net.ipv4.ip_local_port_range: "32768-60999" or [32768, 60999].',
});

const levelSchema = z.strictObject({
  reserved_ports: portsSchema.optional(),
  ephemeral_range: rangeSchema.optional(),
});

// names and host variable strings: checked by names.ts
const groupName = z.string().meta({ pattern: GROUP_NAME.source });
const hostName = z.string().meta({ maxLength: MAX_HOST_NAME, pattern: HOST_NAME.source });

/**
 * A mapping keyed by host or group names. Keys are plain strings for zod,
 * because zod skips the value of a record entry whose key fails, which would
 * hide problems; names are checked by field-checks.ts, and the JSON Schema
 * still gets the name rule through `propertyNames`.
 */
function named<T extends z.ZodType>(kind: 'host' | 'group', value: T) {
  const propertyNames =
    kind === 'host' ? { type: 'string', pattern: HOST_NAME.source, maxLength: MAX_HOST_NAME } : { type: 'string', pattern: GROUP_NAME.source };
  return z.record(z.string(), value).meta({ propertyNames });
}
const safeString = z.string().meta({ pattern: SAFE_VAR_STRING.source });
const varTypes: Record<string, z.ZodType> = { ansible_port: portNumber, ansible_become: z.boolean() };
/** Host variables that are not strings: zod checks their type, and no string rule applies to them. */
export const NON_STRING_HOST_VARS: ReadonlySet<string> = new Set(Object.keys(varTypes));
const hostVars = z.strictObject(Object.fromEntries(HOST_VAR_KEYS.map((k) => [k, (varTypes[k] ?? safeString).optional()])));
const inlineGroup = z.union([z.array(hostName), z.strictObject({ hosts: z.array(hostName).optional(), children: z.array(groupName).optional() }), z.null()]);
const inventorySchema = z.union(
  [
    z.string().min(1).describe('Inventory source (file, directory or plugin config), relative to the policy file.'),
    z.strictObject({ source: z.string().min(1) }),
    z.strictObject({
      hosts: named('host', hostVars.nullable()),
      groups: named('group', inlineGroup).optional(),
      allow_local_connection: z.boolean().optional().describe('Allow ansible_connection: local (tasks run on the controller itself).'),
    }),
  ],
  { error: (iss) => `${describeValue(iss.input)} is not an inventory: write a path, { source: path }, or { hosts: ..., groups: ... }` },
);

const userName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/, { error: (iss) => `${describeValue(iss.input)} is not a user name` });
const becomeSchema = z.strictObject({
  method: z
    .string()
    .regex(/^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*){0,2}$/, { error: (iss) => `${describeValue(iss.input)} is not a become plugin name (sudo, su, doas, ...)` })
    .optional()
    .describe('Become plugin: sudo (default), su, doas, or a collection plugin name.'),
  user: userName.optional().describe('User to become (default root).'),
  reads: z.boolean().default(false).describe('Reads (check, plan, the read phase of apply) also need become.'),
});

const ansibleSchema = z.strictObject({
  forks: z.int().min(1).max(1000).optional(),
  serial: z
    .union([z.int().min(1), z.string().regex(/^(?:100|[1-9]\d?)%$/, { error: (iss) => `${describeValue(iss.input)} is not a percentage like "25%"` })], {
      error: (iss) => `${describeValue(iss.input)} is not a host count or a percentage like "25%"`,
    })
    .optional(),
  max_fail_percentage: z.int().min(0).max(100).optional(),
  become: z
    .union([z.boolean(), becomeSchema], { error: (iss) => `expected true or false, got ${describeValue(iss.input)} (or write { method, user, reads })` })
    .default(false)
    .describe('Privilege escalation for the changes (sudo by default); needed unless the login user is root. Reads use it only with reads: true.'),
  user: userName.optional().describe('Login user (sets ANSIBLE_REMOTE_USER); without it your ansible.cfg / inventory decides.'),
  timeout: z.int().min(1).max(3600).optional().describe('SSH connect timeout in seconds; without it your ansible.cfg decides (Ansible: 10).'),
});

/** The whole policy file v1. */
export const policySchema = z
  .strictObject({
    version: z.literal(1).describe('Policy format version; must be 1.'),
    mode: z.enum(['exact', 'additive']).default('exact'),
    reserved_ports: portsSchema.optional(),
    ephemeral_range: rangeSchema.optional(),
    min_ephemeral_ports: z.int().min(0).max(65535).default(DEFAULT_MIN_EPHEMERAL_PORTS),
    persist_file: z
      .string()
      .regex(/^(?!.*\/\.{1,2}\/)\/(?:[A-Za-z0-9_.+-]+\/)*[A-Za-z0-9_.+-]+\.conf$/, {
        error: (iss) => `${describeValue(iss.input)} must be an absolute path ending in .conf, without spaces or shell characters`,
      })
      .default(DEFAULT_PERSIST_FILE),
    inventory: inventorySchema,
    targets: z
      .string()
      .min(1)
      .regex(/^[^\s]+$/, { error: (iss) => `${describeValue(iss.input)} is not a host pattern (no spaces; e.g. "linux:!windows")` })
      .default('all')
      .describe('Ansible host pattern of the hosts this policy governs (default all), e.g. "linux:!windows".'),
    groups: named('group', levelSchema).optional(),
    hosts: named('host', levelSchema).optional(),
    ansible: ansibleSchema.optional(),
    audit: z.strictObject({ allow_ports: portsSchema.optional() }).optional(),
    pull: z
      .strictObject({
        mode: z.enum(['enforce', 'check']).optional().describe('enforce: apply then verify on every run; check: read only.'),
        textfile: z
          .string()
          .regex(/^(?!.*\/\.{1,2}\/)\/(?:[A-Za-z0-9_.+-]+\/)*[A-Za-z0-9_+-][A-Za-z0-9_.+-]*\.prom$/, {
            error: (iss) => `${describeValue(iss.input)} must be an absolute path ending in .prom, without spaces or shell characters`,
          })
          .optional()
          .describe('node_exporter textfile each host writes its verdict to (default /var/lib/prometheus/node-exporter/fleet.prom).'),
      })
      .optional()
      .describe('Pull mode (`fleet render --pull`): every host runs the policy itself with ansible-pull.'),
  })
  .meta({ title: 'fleet policy v1', description: 'Company-wide listen-port policy (net.ipv4.ip_local_reserved_ports).' });

/** The policy file after zod: defaults filled, port values still as written. */
export type PolicyInput = z.output<typeof policySchema>;

/** The published JSON Schema (draft-7, for yaml-language-server). */
export function policyJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(policySchema, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
}
