import { MARK, SYSCTL_DIRS } from '../ansible/scripts.js';
import { parseKernel, parsePortRange, type PortRange, type PortSet } from '../ports/portset.js';

/** One line in a sysctl configuration file that sets one of our keys. */
export interface SysctlSetting {
  file: string;
  key: 'reserved' | 'range';
  value: string;
}

/** A listening or connected socket as `ss -ntuap` prints it. */
export interface Socket {
  proto: 'tcp' | 'udp';
  state: string;
  local: string;
  localPort: number;
  peer: string;
  process?: string;
}

/** What one host told us, parsed once at the boundary. */
export interface Observed {
  reserved: PortSet;
  reservedRaw: string;
  range?: PortRange;
  /** Content of the persistence file; null when absent. */
  persistFile: string | null;
  /** Every sysctl file line setting our keys, in systemd-sysctl's application order. */
  settings: SysctlSetting[];
  sockets?: Socket[];
}

export type ReadbackParse = { ok: true; observed: Observed } | { ok: false; error: string };

function sections(stdout: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const raw of stdout.split('\n')) {
    let line = raw.replace(/\r$/, '');
    // `cat` of a file without a final newline leaves the next marker at the end of its last line
    const at = line.indexOf(MARK);
    if (at > 0) {
      current?.push(line.slice(0, at));
      line = line.slice(at);
    }
    if (line.startsWith(MARK)) {
      current = [];
      out.set(line.slice(MARK.length).trim(), current);
    } else if (current) {
      current.push(line);
    }
  }
  return out;
}

/** Parse the output of readScript(); any surprise is an error, never a guess. */
export function parseReadback(stdout: string): ReadbackParse {
  const s = sections(stdout);
  if (!s.has('end')) return { ok: false, error: `read-back output incomplete: ${truncate(stdout)}` };
  const reservedRaw = (s.get('reserved') ?? []).join('\n').trim();
  const reserved = parseKernel(reservedRaw);
  if (!reserved.ok) return { ok: false, error: `cannot parse ${'net.ipv4.ip_local_reserved_ports'} "${reservedRaw}": ${reserved.error}` };
  const rangeRaw = (s.get('range') ?? []).join(' ').trim();
  const range = parsePortRange(rangeRaw);
  const persist = (s.get('persist') ?? []).join('\n');
  const observed: Observed = {
    reserved: reserved.value,
    reservedRaw,
    ...(range.ok ? { range: range.value } : {}),
    persistFile: persist.trim() === '@@absent' ? null : persist,
    settings: orderSettings(parseSettings(s.get('sysctl.d') ?? [])),
  };
  const sock = s.get('sockets');
  if (sock && !sock.includes('@@no-ss')) observed.sockets = parseSockets(sock);
  return { ok: true, observed };
}

function parseSettings(lines: string[]): SysctlSetting[] {
  const out: SysctlSetting[] = [];
  for (const line of lines) {
    const m = /^([^:]+):\s*-?net[./]ipv4[./]ip_local_(reserved_ports|port_range)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    out.push({ file: m[1]!, key: m[2] === 'reserved_ports' ? 'reserved' : 'range', value: m[3]! });
  }
  return out;
}

/**
 * Keep what systemd-sysctl would apply, in its order: files sorted by base
 * name across all directories, a name in a higher-priority directory masking
 * the same name elsewhere, /etc/sysctl.conf last.
 */
export function orderSettings(settings: SysctlSetting[]): SysctlSetting[] {
  const base = (f: string) => f.slice(f.lastIndexOf('/') + 1);
  const dirRank = (f: string) => {
    const i = SYSCTL_DIRS.indexOf(f.slice(0, f.lastIndexOf('/')));
    return i < 0 ? SYSCTL_DIRS.length : i;
  };
  const winner = new Map<string, string>();
  for (const { file } of settings) {
    if (file === '/etc/sysctl.conf') continue;
    const b = base(file);
    const w = winner.get(b);
    if (w === undefined || dirRank(file) < dirRank(w)) winner.set(b, file);
  }
  const kept = settings.filter((s) => s.file === '/etc/sysctl.conf' || winner.get(base(s.file)) === s.file);
  const rank = (s: SysctlSetting) => (s.file === '/etc/sysctl.conf' ? '\uffff' : base(s.file));
  // stable sort keeps the line order within one file
  return kept.map((s, i) => ({ s, i })).sort((a, b) => (rank(a.s) < rank(b.s) ? -1 : rank(a.s) > rank(b.s) ? 1 : a.i - b.i)).map((x) => x.s);
}

const KEY_LINE = {
  reserved: /^\s*-?net[./]ipv4[./]ip_local_reserved_ports\s*=\s*(.*?)\s*$/,
  range: /^\s*-?net[./]ipv4[./]ip_local_port_range\s*=\s*(.*?)\s*$/,
} as const;

/** Value of a key inside a sysctl config file's text (last assignment wins), or undefined. */
export function valueInFile(text: string, key: 'reserved' | 'range'): string | undefined {
  let value: string | undefined;
  const pattern = KEY_LINE[key];
  for (const line of text.split('\n')) {
    const m = pattern.exec(line);
    if (m) value = m[1]!;
  }
  return value;
}

export function parseSockets(lines: string[]): Socket[] {
  const out: Socket[] = [];
  for (const line of lines) {
    const t = line.trim().split(/\s+/);
    if (t.length < 6) continue;
    const [proto, state, , , local, peer] = t as [string, string, string, string, string, string];
    if (proto !== 'tcp' && proto !== 'udp') continue;
    const port = Number(local.slice(local.lastIndexOf(':') + 1));
    if (!Number.isInteger(port)) continue;
    const procText = t.slice(6).join(' ');
    const proc = /\(\("([^"]*)",pid=(\d+)/.exec(procText);
    out.push({ proto, state, local, localPort: port, peer, ...(proc ? { process: `${proc[1]}[${proc[2]}]` } : {}) });
  }
  return out;
}

function truncate(s: string, n = 300): string {
  const t = s.trim();
  return t.length > n ? `${t.slice(0, n)}…` : t || '(no output)';
}
