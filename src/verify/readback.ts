import { KEY_RESERVED, MARK, READBACK_FORMAT, SYSCTL_DIRS } from '../ansible/scripts.js';
import { parseSysctlText, type BootKey, type SysctlFile } from './boot.js';
import { parseKernel, parsePortRange, type PortRange, type PortSet } from '../ports/portset.js';

/** A listening or connected socket as `ss -ntuap` prints it. */
export interface Socket {
  proto: 'tcp' | 'udp';
  state: string;
  local: string;
  localPort: number;
  peer: string;
  process?: string;
}

/** The persistence file as read: its text (bytes as latin1), or why there is none. */
export type PersistRead = { state: 'present'; text: string } | { state: 'absent' } | { state: 'unreadable' };

/** What one host told us, parsed once at the boundary. */
export interface Observed {
  reserved: PortSet;
  reservedRaw: string;
  range?: PortRange;
  persist: PersistRead;
  /** Every `*.conf` entry of every sysctl.d folder, in listing order. */
  files: SysctlFile[];
  /** Folders that exist but could not be listed by the reading user. */
  unreadableDirs: string[];
  sockets?: Socket[];
}

export type ReadbackParse = { ok: true; observed: Observed } | { ok: false; error: string };

interface Token {
  words: string[];
  /** Decoded payload bytes (latin1); undefined when the marker had no payload lines. */
  payload?: string;
}

class Malformed extends Error {}

/**
 * Split the output into marker tokens with their hex payloads. Text before
 * `begin` (a login banner) is ignored when it holds no marker; after it, any
 * line that is neither a marker nor hex is an error: the script prints nothing else.
 */
function tokenize(stdout: string): Token[] {
  const lines = stdout.split('\n').map((l) => l.replace(/\r$/, ''));
  const begin = lines.findIndex((l) => l.startsWith(MARK));
  if (begin < 0) throw new Malformed('no begin marker');
  const tokens: Token[] = [];
  let hex: string[] = [];
  const flush = () => {
    const last = tokens[tokens.length - 1];
    if (last && hex.length) last.payload = Buffer.from(hex.join('').replace(/ /g, ''), 'hex').toString('latin1');
    hex = [];
  };
  for (const line of lines.slice(begin)) {
    if (line.startsWith(MARK)) {
      flush();
      tokens.push({ words: line.slice(MARK.length).split(' ') });
    } else if (/^[0-9a-f ]*$/.test(line)) {
      if (line.trim() === '') continue;
      if (tokens.length === 0 || tokens[tokens.length - 1]!.words[0] === 'end') throw new Malformed('output after the end marker');
      if (!/^( [0-9a-f]{2})+$/.test(line)) throw new Malformed(`bad payload line "${line}"`);
      hex.push(line);
    } else {
      throw new Malformed(`unexpected line "${truncate(line, 80)}"`);
    }
  }
  flush();
  return tokens;
}

/** Reads tokens in the one order the script prints them; anything else is malformed. */
class Reader {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}
  peek(): Token | undefined {
    return this.tokens[this.i];
  }
  next(what: string, ...allowed: string[]): Token {
    const t = this.tokens[this.i];
    if (!t) throw new Malformed(`missing ${what}`);
    const head = t.words.join(' ');
    if (!allowed.includes(head)) throw new Malformed(`expected ${what}, found "${head}"`);
    this.i++;
    return t;
  }
  done(): boolean {
    return this.i >= this.tokens.length;
  }
}

function noPayload(t: Token): void {
  if (t.payload !== undefined) throw new Malformed(`unexpected payload after "${t.words.join(' ')}"`);
}

/** `od` failing part-way through a file prints `unreadable` after its content: consume it. */
function readFailed(r: Reader): boolean {
  if (r.peek()?.words.join(' ') !== 'unreadable') return false;
  noPayload(r.next('unreadable', 'unreadable'));
  return true;
}

/** Parse the output of readScript(); any surprise is an error ("read-back malformed"), never a guess. */
export function parseReadback(stdout: string): ReadbackParse {
  try {
    return parseTokens(new Reader(tokenize(stdout)));
  } catch (e) {
    if (e instanceof Malformed) return { ok: false, error: `read-back malformed: ${e.message} (output: ${truncate(stdout)})` };
    throw e;
  }
}

function parseTokens(r: Reader): ReadbackParse {
  noPayload(r.next('begin marker', `begin ${READBACK_FORMAT}`));
  const res = r.next('reserved section', 'reserved ok', 'reserved error');
  const reservedRaw = (res.payload ?? '').trim();
  const rng = r.next('range section', 'range ok', 'range error');
  const per = r.next('persist section', 'persist present', 'persist absent', 'persist unreadable');
  let persist: PersistRead;
  if (per.words[1] === 'present') {
    persist = readFailed(r) ? { state: 'unreadable' } : { state: 'present', text: per.payload ?? '' };
  } else {
    noPayload(per);
    persist = { state: per.words[1] as 'absent' | 'unreadable' };
  }
  const files: SysctlFile[] = [];
  const unreadableDirs: string[] = [];
  for (const dir of SYSCTL_DIRS) {
    const d = r.next(`folder ${dir}`, `dir ${dir}`, `dir ${dir} unreadable`);
    noPayload(d);
    if (d.words[2] === 'unreadable') {
      unreadableDirs.push(dir);
      continue;
    }
    while (r.peek()?.words[0] === 'name') {
      const n = r.next('file name', 'name');
      if (!n.payload) throw new Malformed(`empty file name in ${dir}`);
      const name = n.payload;
      const st = r.next(`state of ${dir}/${name}`, 'content', 'empty', 'unreadable');
      if (st.words[0] === 'content') {
        files.push(readFailed(r) ? { dir, name, state: 'unreadable' } : { dir, name, state: 'content', text: st.payload ?? '' });
      } else {
        noPayload(st);
        files.push({ dir, name, state: st.words[0] as 'empty' | 'unreadable' });
      }
    }
  }
  let sockets: Socket[] | undefined;
  const next = r.peek();
  if (next?.words[0] === 'sockets')
    sockets = parseSockets(
      Buffer.from(r.next('sockets', 'sockets').payload ?? '', 'latin1')
        .toString('utf8')
        .split('\n'),
    );
  else if (next?.words[0] === 'no-ss') noPayload(r.next('no-ss', 'no-ss'));
  noPayload(r.next('end marker', 'end'));
  if (!r.done()) throw new Malformed('sections after the end marker');

  if (res.words[1] !== 'ok') return { ok: false, error: `cannot read ${KEY_RESERVED}: ${reservedRaw || 'sysctl failed'}` };
  const reserved = parseKernel(reservedRaw);
  if (!reserved.ok) return { ok: false, error: `cannot parse ${KEY_RESERVED} "${reservedRaw}": ${reserved.error}` };
  const range = rng.words[1] === 'ok' ? parsePortRange((rng.payload ?? '').trim()) : undefined;
  const observed: Observed = {
    reserved: reserved.value,
    reservedRaw,
    ...(range?.ok ? { range: range.value } : {}),
    persist,
    files,
    unreadableDirs,
    ...(sockets ? { sockets } : {}),
  };
  return { ok: true, observed };
}

/** Value of a key inside a sysctl config file's text (last assignment wins, parsed as systemd-sysctl does), or undefined. */
export function valueInFile(text: string, key: BootKey): string | undefined {
  let value: string | undefined;
  const target = key === 'reserved' ? 'net/ipv4/ip_local_reserved_ports' : 'net/ipv4/ip_local_port_range';
  for (const l of parseSysctlText(text)) if (l.key === target) value = l.value ?? undefined;
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
