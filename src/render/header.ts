/**
 * The persisted file's header: fleet's version, the policy's sha256 and the
 * time of the apply, on the file's first line. Written only when a write task
 * of this run changed the host, so an apply that finds nothing to do leaves
 * the file byte for byte as it was and reports ok (a header rewritten on every
 * run would make every apply "changed" and the file's timestamp useless).
 */
export const HEADER_TASK = 'fleet stamp persisted file';

/** Registered results of the tasks that write the reserved ports or the range. */
export const WRITE_REGISTERS = ['fleet_set_sysctl', 'fleet_whole_write', 'fleet_clear_reserved_file', 'fleet_clear_reserved'] as const;

export const HEADER_PREFIX = '# Managed by fleet';

export function headerTask(): Record<string, unknown> {
  return {
    name: HEADER_TASK,
    'ansible.builtin.lineinfile': {
      path: '{{ fleet_persist_file }}',
      regexp: `^${HEADER_PREFIX} `,
      line: `${HEADER_PREFIX} {{ fleet_version }}; policy sha256 {{ fleet_policy_sha256 | default('unknown') }}; applied {{ now(utc=true).strftime('%Y-%m-%dT%H:%M:%SZ') }}`,
      insertbefore: 'BOF',
    },
    // a task not rendered for this run (the whole-value write) leaves its register undefined
    when: WRITE_REGISTERS.map((r) => `(${r} is defined and ${r} is changed)`).join(' or '),
  };
}
