/**
 * Exact mode with an empty desired set ("retire the reservation").
 * ansible.posix.sysctl refuses an empty value ("value cannot be blank"), so
 * the apply plugin's two clear steps run instead of it when the value is "": the
 * persisted file gets an empty assignment (`net.ipv4.ip_local_reserved_ports=`,
 * which `sysctl -p` and systemd-sysctl both apply as "clear"), and the
 * runtime value is cleared with `sysctl -w` only when it is not empty, so a
 * rerun reports ok, not changed.
 */
import { KEY_RESERVED } from '../ansible/scripts.js';

/** The steps' names (they were tasks before the apply plugin; a report's "failed at" names them). */
export const CLEAR_TASK = {
  persist: 'fleet clear reserved ports (persisted)',
  runtime: 'fleet clear reserved ports',
} as const;

export const WHEN_NOT_EMPTY = "fleet_reserved_ports != ''";

/** Printed by the runtime clear when it cleared a value ("changed"). */
export const CLEARED_MARK = 'fleet-cleared';

/** Any assignment of the key in the persisted file, commented-out (`-`) or with `/` separators too. */
export const CLEAR_PERSIST_REGEXP = '^\\s*-?net[./]ipv4[./]ip_local_reserved_ports\\s*=';

/** The runtime clear: `sysctl -w KEY=` only when the value is not already empty, so a rerun reports ok. */
export const clearRuntimeScript = `export LC_ALL=C PATH="$PATH:/usr/sbin:/sbin"; if [ -n "$(sysctl -n ${KEY_RESERVED})" ]; then sysctl -w ${KEY_RESERVED}= >/dev/null && echo ${CLEARED_MARK}; fi`;
