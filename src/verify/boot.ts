/**
 * What systemd-sysctl (systemd 252, checked against the real program by
 * test/lab/boot-oracle.test.ts) writes at boot for the two keys fleet manages,
 * computed from every file of its sysctl.d folders as read from the host.
 *
 * Its rules, as the model applies them:
 * - folders by priority (SYSCTL_DIRS); a name in a higher one masks the same
 *   name below (an empty file or a symlink to /dev/null masks and sets nothing);
 * - the remaining files in byte order of their base names, across folders;
 * - a line ends at LF, CR or NUL; ASCII space, tab, CR and LF are stripped
 *   around key and value (nothing else: U+00A0 stays part of the value);
 * - `#` or `;` first makes a comment; a line without `=` is ignored, except
 *   `-key`, which cancels the key (the kernel keeps its value);
 * - a leading `-` only silences errors; keys are normalised (`.`/`/` swap when
 *   the first separator is a dot, empty and `.` segments dropped);
 * - the last assignment wins; a glob key applies only when no explicit line
 *   names the key, the last such glob winning;
 * - the kernel then accepts or refuses the value (refused: it keeps its own).
 * /etc/sysctl.conf is not read by systemd-sysctl itself (Debian links it in
 * as /etc/sysctl.d/99-sysctl.conf, which the model reads like any file).
 */
import { SYSCTL_DIRS } from '../ansible/scripts.js';
import { format, parseKernel } from '../ports/portset.js';

export type BootKey = 'reserved' | 'range';

const KEY_PATH: Record<BootKey, string> = {
  reserved: 'net/ipv4/ip_local_reserved_ports',
  range: 'net/ipv4/ip_local_port_range',
};

/** Kernel values a fresh network namespace starts with (what a boot keeps when no file sets the key). */
export const KERNEL_DEFAULT: Record<BootKey, string> = { reserved: '', range: '32768 60999' };

/** One `*.conf` entry of a sysctl.d folder, as read from the host. Names and texts are byte strings (latin1). */
export interface SysctlFile {
  dir: string;
  name: string;
  /** `empty`: a name that masks but sets nothing (symlink to /dev/null, dangling). */
  state: 'content' | 'empty' | 'unreadable';
  text?: string;
}

/** One assignment line after systemd-sysctl's parsing; value null for a `-key` cancel line. */
export interface SysctlLine {
  key: string;
  value: string | null;
  line: number;
}

export interface BootPrediction {
  key: BootKey;
  /** The value systemd-sysctl writes, stripped as it strips it; absent when no file sets the key. */
  written?: string;
  /** The file (display path) and line that decide; absent when no file sets the key. */
  file?: string;
  line?: number;
  /** The key's value after boot in the kernel's form (ports canonical, range `lo hi`); null when unknown. */
  value: string | null;
  /** The kernel refuses `written`: it keeps its default. */
  rejected?: boolean;
  /** Files (or folders) that could decide but could not be read: the boot value is then unknown. */
  unreadable: string[];
}

const WS = /^[ \t\n\r]+|[ \t\n\r]+$/g;
const strip = (s: string) => s.replace(WS, '');

/** Display path of a file: names are bytes, shown as UTF-8. */
export function displayPath(f: Pick<SysctlFile, 'dir' | 'name'>): string {
  return `${f.dir}/${Buffer.from(f.name, 'latin1').toString('utf8')}`;
}

/** systemd's sysctl_normalize: dots and slashes swap when the first separator is a dot; path simplified. */
export function normalizeKey(raw: string): string {
  let s = raw;
  const first = s.search(/[/.]/);
  if (first >= 0 && s[first] === '.') s = s.slice(0, first) + s.slice(first).replace(/[/.]/g, (c) => (c === '.' ? '/' : '.'));
  const parts = s.split('/').filter((p) => p !== '' && p !== '.');
  return parts.join('/') || (s.startsWith('/') ? '/' : s);
}

/** Parse one file's text the way systemd-sysctl reads it. */
export function parseSysctlText(text: string): SysctlLine[] {
  const out: SysctlLine[] = [];
  text.split(/\r\n|[\n\r\0]/).forEach((raw, i) => {
    const p = strip(raw);
    if (p === '' || p[0] === '#' || p[0] === ';') return;
    const eq = p.indexOf('=');
    if (eq < 0) {
      if (p[0] === '-') out.push({ key: normalizeKey(strip(p.slice(1))), value: null, line: i + 1 });
      return;
    }
    const left = p[0] === '-' ? p.slice(1, eq) : p.slice(0, eq);
    out.push({ key: normalizeKey(strip(left)), value: strip(p.slice(eq + 1)), line: i + 1 });
  });
  return out;
}

/** The files systemd-sysctl reads, in the order it reads them (masked names removed). */
export function bootOrder(files: readonly SysctlFile[]): SysctlFile[] {
  const rank = (d: string) => {
    const i = SYSCTL_DIRS.indexOf(d);
    return i < 0 ? SYSCTL_DIRS.length : i;
  };
  const winner = new Map<string, SysctlFile>();
  for (const f of files) {
    const w = winner.get(f.name);
    if (!w || rank(f.dir) < rank(w.dir)) winner.set(f.name, f);
  }
  // latin1 strings compare code unit by code unit, i.e. byte order, as strcmp does
  return [...winner.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const isGlob = (k: string) => /[*?[]/.test(k);

function globMatches(pattern: string, key: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = pattern.slice(i + 1, end);
        const neg = body[0] === '!' || body[0] === '^';
        if (neg) body = body.slice(1);
        re += `[${neg ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  try {
    return new RegExp(`^${re}$`).test(key);
  } catch {
    return false;
  }
}

interface Entry {
  value: string | null;
  file: string;
  line: number;
}

/** The kernel's form of a value it accepts for the key; undefined when it refuses it (EINVAL). */
export function kernelValue(key: BootKey, written: string): string | undefined {
  if (key === 'reserved') {
    if (written !== '' && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(written)) return undefined;
    const p = parseKernel(written);
    return p.ok ? format(p.value) : undefined;
  }
  const m = /^(\d+)[ \t]+(\d+)$/.exec(written);
  if (!m) return undefined;
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  if (lo < 1 || hi > 65535 || lo > hi) return undefined;
  return `${lo} ${hi}`;
}

/**
 * Predict the key's value after the next boot. `unreadableDirs` are folders
 * whose listing failed: any of them makes the prediction unknown.
 */
export function predictBoot(files: readonly SysctlFile[], key: BootKey, unreadableDirs: readonly string[] = []): BootPrediction {
  const target = KEY_PATH[key];
  const map = new Map<string, Entry>();
  const unreadableAfter: string[] = [];
  for (const f of bootOrder(files)) {
    const path = displayPath(f);
    if (f.state === 'unreadable') {
      unreadableAfter.push(path);
      continue;
    }
    for (const l of f.state === 'content' ? parseSysctlText(f.text ?? '') : []) {
      const existing = map.get(l.key);
      if (existing && existing.value === l.value) continue;
      map.delete(l.key);
      map.set(l.key, { value: l.value, file: path, line: l.line });
      // an explicit line overrides whatever an unreadable file before it set
      if (l.key === target) unreadableAfter.length = 0;
    }
  }
  let decided = map.get(target);
  if (!decided) {
    for (const [k, e] of map) if (e.value !== null && isGlob(k) && globMatches(k, target)) decided = e;
  }
  const unreadable = [...unreadableDirs, ...unreadableAfter];
  const base = { key, unreadable };
  if (!decided || decided.value === null)
    return { ...base, value: unreadable.length ? null : KERNEL_DEFAULT[key], ...(decided ? { file: decided.file, line: decided.line } : {}) };
  const accepted = kernelValue(key, decided.value);
  const value = unreadable.length ? null : (accepted ?? KERNEL_DEFAULT[key]);
  return { ...base, written: decided.value, file: decided.file, line: decided.line, value, ...(accepted === undefined ? { rejected: true } : {}) };
}
