/**
 * Who could have written a file or folder fleet is about to load from (the
 * state folders: Ansible runs the plugins and reads the variables it finds
 * there). One rule for the checks before a run (workspace.ts) and before an
 * early start (prelaunch.ts, on the start-up path: no other imports).
 */
import type { Stats } from 'node:fs';

/**
 * Why this file or folder must not be trusted, or undefined: owned by someone
 * other than this user (uid `me`) or root, or group- or world-writable; with
 * `sticky`, a sticky world-writable folder (like /tmp) is allowed, since
 * others cannot replace entries in it.
 */
export function writableByOthers(st: Stats, me: number | undefined, sticky = false): string | undefined {
  if (me !== undefined && st.uid !== me && st.uid !== 0) return `is owned by uid ${st.uid}, not by you (uid ${me})`;
  if ((st.mode & 0o022) !== 0 && !(sticky && st.isDirectory() && (st.mode & 0o1000) !== 0))
    return `is group- or world-writable (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`;
  return undefined;
}
