/**
 * Remote shell snippets run through Ansible's `raw` module (no Python module
 * upload: one SSH operation per host). They are constants: the only data in
 * them is the persistence file, inserted by Ansible itself from an inventory
 * variable through the `quote` filter, never by string-building in fleet.
 */

export const KEY_RESERVED = 'net.ipv4.ip_local_reserved_ports';
export const KEY_RANGE = 'net.ipv4.ip_local_port_range';

/** Markers that split the read-back output into sections. */
export const MARK = '@@fleet ';

// systemd-sysctl's directories, highest priority first; a file name in an
// earlier one masks the same name in later ones.
export const SYSCTL_DIRS = ['/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d'];

const readState = [
  `export LC_ALL=C PATH="$PATH:/usr/sbin:/sbin"`,
  `echo '${MARK}reserved'; sysctl -n ${KEY_RESERVED}`,
  `echo '${MARK}range'; sysctl -n ${KEY_RANGE}`,
  `echo '${MARK}persist'; if [ -r {{ fleet_persist_file | quote }} ]; then cat {{ fleet_persist_file | quote }}; else echo '@@absent'; fi`,
  `echo '${MARK}sysctl.d'; for f in ${SYSCTL_DIRS.map((d) => `${d}/*.conf`).join(' ')} /etc/sysctl.conf; do [ -r "$f" ] && grep -H -E '^[[:space:]]*-?net[./]ipv4[./]ip_local_(reserved_ports|port_range)[[:space:]]*=' "$f"; done; true`,
];

const audit = [`echo '${MARK}sockets'; ss -H -ntuap 2>/dev/null | cat; command -v ss >/dev/null || echo '@@no-ss'`];

/** The read-only probe: runtime values, persisted file, other sysctl files, and (with audit) sockets. */
export function readScript(withAudit: boolean): string {
  return [...readState, ...(withAudit ? audit : []), `echo '${MARK}end'`].join('\n');
}
