/**
 * Exact mode with an empty desired set ("retire the reservation").
 * ansible.posix.sysctl refuses an empty value ("value cannot be blank"), so
 * these tasks run instead of it when `fleet_reserved_ports` is "": the
 * persisted file gets an empty assignment (`net.ipv4.ip_local_reserved_ports=`,
 * which `sysctl -p` and systemd-sysctl both apply as "clear"), and the
 * runtime value is cleared with `sysctl -w` only when it is not empty, so a
 * rerun reports ok, not changed.
 */
import { KEY_RESERVED } from '../ansible/scripts.js';

export const CLEAR_TASK = {
  persist: 'fleet clear reserved ports (persisted)',
  runtime: 'fleet clear reserved ports',
} as const;

export const WHEN_EMPTY = "fleet_reserved_ports == ''";
export const WHEN_NOT_EMPTY = "fleet_reserved_ports != ''";

const CHANGED = 'fleet-cleared';

/** The two tasks that write an empty reservation, persisted then runtime. */
export function clearReservedTasks(): Record<string, unknown>[] {
  return [
    {
      name: CLEAR_TASK.persist,
      'ansible.builtin.lineinfile': {
        path: '{{ fleet_persist_file }}',
        regexp: '^\\s*-?net[./]ipv4[./]ip_local_reserved_ports\\s*=',
        line: `${KEY_RESERVED}=`,
        create: true,
        mode: '0644',
      },
      register: 'fleet_clear_reserved_file',
      when: WHEN_EMPTY,
    },
    {
      name: CLEAR_TASK.runtime,
      'ansible.builtin.raw': `export LC_ALL=C PATH="$PATH:/usr/sbin:/sbin"; if [ -n "$(sysctl -n ${KEY_RESERVED})" ]; then sysctl -w ${KEY_RESERVED}= >/dev/null && echo ${CHANGED}; fi`,
      register: 'fleet_clear_reserved',
      changed_when: `'${CHANGED}' in fleet_clear_reserved.stdout`,
      when: WHEN_EMPTY,
    },
  ];
}
