/**
 * Remote shell snippets run through Ansible's `raw` module (no Python module
 * upload: one SSH operation per host). They are constants: the only data in
 * them is the persistence file, inserted by Ansible itself from an inventory
 * variable through the `quote` filter, never by string-building in fleet.
 *
 * Everything the host controls (file names, file contents, sysctl output, the
 * socket table) is printed through `od` as hex bytes, so no host text can ever
 * form a marker line: a line starting with MARK comes from this script only.
 */

export const KEY_RESERVED = 'net.ipv4.ip_local_reserved_ports';
export const KEY_RANGE = 'net.ipv4.ip_local_port_range';

/** Every marker line starts with this; payload lines are hex bytes and spaces only. */
export const MARK = '@@fleet ';

/** Version of the read-back format; the parser refuses any other. */
export const READBACK_FORMAT = 'readback-2';

import { SYSCTL_DIRS } from '../policy/types.js';
export { SYSCTL_DIRS };

const hex = 'od -An -v -tx1';

/** `sysctl -n KEY`: status word on the marker, output as hex. */
const value = (section: string, key: string) =>
  `if v=$(sysctl -n ${key} 2>&1); then echo '${MARK}${section} ok'; else echo '${MARK}${section} error'; fi; printf '%s' "$v" | ${hex}`;

/**
 * One entry per `*.conf` name systemd-sysctl would list (regular files and
 * symlinks; not directories, FIFOs or hidden files): the name, then its
 * content, or `empty` (dangling symlink, symlink to a device or a folder: it
 * masks but sets nothing), or `unreadable` (the reading user cannot open it).
 */
const dirs = [
  `for d in ${SYSCTL_DIRS.join(' ')}; do`,
  `  if [ -d "$d" ] && { [ ! -r "$d" ] || [ ! -x "$d" ]; }; then echo "${MARK}dir $d unreadable"; continue; fi`,
  `  echo "${MARK}dir $d"`,
  `  for f in "$d"/*.conf; do`,
  `    if [ -L "$f" ] || [ -f "$f" ]; then :; else continue; fi`,
  `    echo '${MARK}name'; printf '%s' "\${f##*/}" | ${hex}`,
  `    if [ ! -f "$f" ]; then echo '${MARK}empty'`,
  `    elif [ ! -r "$f" ]; then echo '${MARK}unreadable'`,
  `    else echo '${MARK}content'; ${hex} "$f" 2>/dev/null || echo '${MARK}unreadable'; fi`,
  `  done`,
  `done`,
];

const persist = [
  `p={{ fleet_persist_file | quote }}`,
  `if [ ! -e "$p" ]; then echo '${MARK}persist absent'; elif [ ! -r "$p" ]; then echo '${MARK}persist unreadable'; else echo '${MARK}persist present'; ${hex} "$p" 2>/dev/null || echo '${MARK}unreadable'; fi`,
];

const readState = [
  `export LC_ALL=C PATH="$PATH:/usr/sbin:/sbin"`,
  `echo '${MARK}begin ${READBACK_FORMAT}'`,
  value('reserved', KEY_RESERVED),
  value('range', KEY_RANGE),
  ...persist,
  ...dirs,
];

const audit = [`if command -v ss >/dev/null; then echo '${MARK}sockets'; ss -H -ntuap 2>/dev/null | ${hex}; else echo '${MARK}no-ss'; fi`];

/** The read-only probe: runtime values, persisted file, every boot sysctl file, and (with audit) sockets. */
export function readScript(withAudit: boolean): string {
  return [...readState, ...(withAudit ? audit : []), `echo '${MARK}end'`].join('\n');
}
