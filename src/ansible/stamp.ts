/**
 * Remote shell snippet that writes fleet's comment lines of the persisted
 * file: the header (version, policy sha256, time of the apply) and, on
 * additive hosts, the owned-ports line. The apply plugin runs it in the same
 * SSH operation as the read-back, after the sysctl writes (issue 13: the two
 * `lineinfile` module runs it replaces cost every changed host a Python
 * module start of ≈ 0.13 s of host CPU; this is a few small processes).
 *
 * Input on stdin, never in the command text (no quoting, no argument-length
 * limit for a long owned line):
 *   line 1: `C N`: C=1 when a step before changed the host (the header is
 *           stamped), N=1 in check mode (say what would change, write nothing);
 *   line 2: the header line;
 *   line 3: the owned line, when the host has one (additive mode).
 * Nothing is written when C=0 and the owned line is already the file's only
 * one: a no-op apply leaves the file byte for byte as it was.
 *
 * The new file is fleet's lines first (header, then the owned line), then
 * every other line of the old file in order; older copies of fleet's lines
 * anywhere in it are dropped. It is written to a temporary file next to the
 * real one (symlinks followed, as the sysctl module does), with the old
 * file's mode and owner (`cp -p`), then renamed over it: a crash leaves the
 * old file or the new one, never half of one. The temporary name does not end
 * in `.conf`, so systemd-sysctl never reads a leftover.
 *
 * Prints STAMPED_MARK when it wrote (or would), OWNED_MARK before it when the
 * owned line changed; on failure it exits STAMP_FAILED with the reason on
 * stderr, before the read-back runs. The persisted file comes in as the read
 * script's does: Ansible templates it through the `quote` filter.
 */
import { MARK } from './scripts.js';

export const STAMPED_MARK = `${MARK}stamped`;
export const OWNED_MARK = `${MARK}owned recorded`;
export const STAMP_FAILED = 3;

/** The comment lines fleet owns in the persisted file (render/header.ts, verify/owned.ts hold their text). */
export function stampScript(headerPrefix: string, ownedPrefix: string): string {
  const header = `'^${headerPrefix} '`;
  const owned = `'^${ownedPrefix}'`;
  const fail = (why: string) => `{ rm -f -- "$t"; echo "${why}" >&2; exit ${STAMP_FAILED}; }`;
  return [
    `export LC_ALL=C PATH="$PATH:/usr/sbin:/sbin"`,
    `p={{ fleet_persist_file | quote }}`,
    `read -r c n; IFS= read -r h; o=$(cat)`,
    `s=; if [ -n "$o" ] && [ -f "$p" ] && [ "$(grep -c ${owned} "$p")" = 1 ] && grep -qxF -e "$o" -- "$p"; then s=1; fi`,
    `if [ "$c" = 1 ] || { [ -n "$o" ] && [ -z "$s" ]; }; then`,
    `  if [ "$n" != 1 ]; then`,
    `    f=$(readlink -f -- "$p") || f=$p; t=`,
    `    t=$(mktemp "\${f%/*}/.fleet-stamp.XXXXXX") || ${fail('cannot create a temporary file next to $f')}`,
    `    if [ -e "$f" ]; then cp -p -- "$f" "$t"; else chmod 0644 "$t"; fi || ${fail('cannot copy $f')}`,
    `    { printf '%s\\n' "$h"; if [ -n "$o" ]; then printf '%s\\n' "$o"; fi`,
    `      if [ -e "$f" ]; then if [ -n "$o" ]; then grep -v -e ${header} -e ${owned} -- "$f"; else grep -v -e ${header} -- "$f"; fi; [ $? -le 1 ]; fi`,
    `    } > "$t" && mv -f -- "$t" "$f" || ${fail('cannot write $f')}`,
    `  fi`,
    `  if [ -n "$o" ] && [ -z "$s" ]; then echo '${OWNED_MARK}'; fi`,
    `  echo '${STAMPED_MARK}'`,
    `fi`,
  ].join('\n');
}
