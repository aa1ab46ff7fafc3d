/**
 * The persisted file's header: fleet's version, the policy's sha256 and the
 * time of the apply, on the file's first line. Written only when a write task
 * of this run changed the host, so an apply that finds nothing to do leaves
 * the file byte for byte as it was and reports ok (a header rewritten on every
 * run would make every apply "changed" and the file's timestamp useless).
 */
import { OWNED_PREFIX } from '../verify/owned.js';

export const HEADER_TASK = 'fleet stamp persisted file';

/** Registered results of the tasks that write the reserved ports or the range. */
export const WRITE_REGISTERS = ['fleet_set_sysctl', 'fleet_whole_write', 'fleet_clear_reserved_file', 'fleet_clear_reserved', 'fleet_owned'] as const;

export const HEADER_PREFIX = '# Managed by fleet';

export const OWNED_TASK = 'fleet record owned ports';

/**
 * The ports fleet owns on the host (the policy's set, see verify/owned.ts),
 * as a comment line of the persisted file. Idempotent: it changes the file
 * only when the policy's set for the host changes, so a no-op apply stays ok.
 * It goes before the first line; the header task then goes before it.
 */
export function ownedTask(): Record<string, unknown> {
  return {
    name: OWNED_TASK,
    'ansible.builtin.lineinfile': {
      path: '{{ fleet_persist_file }}',
      regexp: `^${OWNED_PREFIX}`,
      line: '{{ fleet_owned_line }}',
      insertbefore: 'BOF',
      create: true,
    },
    register: 'fleet_owned',
    when: 'fleet_owned_line is defined',
  };
}

export function headerTask(): Record<string, unknown> {
  return {
    name: HEADER_TASK,
    'ansible.builtin.lineinfile': {
      path: '{{ fleet_persist_file }}',
      regexp: `^${HEADER_PREFIX} `,
      line: `${HEADER_PREFIX} {{ fleet_version }}; policy sha256 {{ fleet_policy_sha256 | default('unknown') }}; applied {{ now(utc=true).strftime('%Y-%m-%dT%H:%M:%SZ') }}`,
      insertbefore: 'BOF',
    },
    // a register of a task not rendered (the long-value write) is undefined, and `is changed` fails on it
    when: WRITE_REGISTERS.map((r) => `(${r} is defined and ${r} is changed)`).join(' or '),
  };
}
