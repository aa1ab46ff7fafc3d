/**
 * Port-set algebra over 1..65535, and the kernel's text form of
 * net.ipv4.ip_local_reserved_ports. Pure: no I/O.
 *
 * A PortSet is a sorted list of disjoint, non-adjacent inclusive ranges,
 * which is exactly the shape the kernel prints: sorted, merged, adjacent
 * ports joined (`1,2,3,4,5` -> `1-5`).
 */
export type PortRange = readonly [lo: number, hi: number];
export type PortSet = readonly PortRange[];

export const MIN_PORT = 1;
export const MAX_PORT = 65535;
export const EMPTY: PortSet = Object.freeze([]) as PortSet;

/** Normalise any list of ranges (unsorted, overlapping, adjacent) into a PortSet. */
export function normalize(ranges: Iterable<PortRange>): PortSet {
  // sorted as a copy of the input's references; `out` holds fresh pairs only, so merging never touches the input
  const sorted = (Array.isArray(ranges) ? (ranges as PortRange[]).slice() : [...ranges]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    if (lo > hi) throw new RangeError(`reversed range ${rangeText([lo, hi])}`);
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) {
      if (hi > last[1]) last[1] = hi;
    } else {
      out.push([lo, hi]);
    }
  }
  return out;
}

export function fromPorts(ports: Iterable<number>): PortSet {
  return normalize([...ports].map((p) => [p, p] as const));
}

export function range(lo: number, hi: number): PortSet {
  return lo > hi ? EMPTY : [[lo, hi]];
}

export function union(...sets: PortSet[]): PortSet {
  return normalize(sets.flat());
}

export function intersect(a: PortSet, b: PortSet): PortSet {
  const out: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [alo, ahi] = a[i]!;
    const [blo, bhi] = b[j]!;
    const lo = Math.max(alo, blo);
    const hi = Math.min(ahi, bhi);
    if (lo <= hi) out.push([lo, hi]);
    if (ahi < bhi) i++;
    else j++;
  }
  return out;
}

/** a minus b */
export function difference(a: PortSet, b: PortSet): PortSet {
  const out: [number, number][] = [];
  let j = 0;
  for (const [alo, ahi] of a) {
    let lo = alo;
    while (j < b.length && b[j]![1] < lo) j++;
    let k = j;
    while (k < b.length && b[k]![0] <= ahi) {
      const [blo, bhi] = b[k]!;
      if (blo > lo) out.push([lo, blo - 1]);
      lo = Math.max(lo, bhi + 1);
      if (lo > ahi) break;
      k++;
    }
    if (lo <= ahi) out.push([lo, ahi]);
  }
  return out;
}

export function size(s: PortSet): number {
  let n = 0;
  for (const [lo, hi] of s) n += hi - lo + 1;
  return n;
}

export function has(s: PortSet, port: number): boolean {
  let lo = 0;
  let hi = s.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = s[mid]!;
    if (port < a) hi = mid - 1;
    else if (port > b) lo = mid + 1;
    else return true;
  }
  return false;
}

/** `5000-6000`: the one text form of a range, in the kernel's values and in every message. */
export function rangeText([lo, hi]: PortRange): string {
  return `${lo}-${hi}`;
}

/** Canonical kernel form: `5000-6000,10000,10005-10010`; empty set is ``. */
export function format(s: PortSet): string {
  return s.map((r) => (r[0] === r[1] ? `${r[0]}` : rangeText(r))).join(',');
}

/** Result type for parsers: errors are data, the caller decides how to report. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const TOKEN = /^(\d+)(?:-(\d+))?$/;

/**
 * Parse one port or range token (`8080`, `5000-10000`). Strict like the
 * kernel: no spaces, no signs, decimal digits only, 1..65535, lo <= hi.
 * (The kernel also accepts port 0; a policy never needs it, so we reject it.)
 */
export function parseToken(token: string, minPort = MIN_PORT): Parsed<PortRange> {
  if (token === '') return { ok: false, error: 'empty port entry' };
  if (/\s/.test(token)) return { ok: false, error: `"${token}" contains whitespace (the kernel rejects it)` };
  const m = TOKEN.exec(token);
  if (!m) return { ok: false, error: `"${token}" is not a port or a range like 5000-10000` };
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  for (const p of [lo, hi]) {
    if (p > MAX_PORT) return { ok: false, error: `${p} is above ${MAX_PORT}` };
    if (p < minPort) return { ok: false, error: `${p} is below ${minPort}` };
  }
  if (lo > hi) return { ok: false, error: `${rangeText([lo, hi])} is a reversed range (write ${rangeText([hi, lo])})` };
  return { ok: true, value: [lo, hi] };
}

/**
 * Parse the kernel's form (what `sysctl -n` prints, or a value we are about
 * to write): comma-separated tokens, no spaces. Empty or whitespace-only
 * output means no reserved ports. Port 0 is accepted here because the kernel
 * accepts it on read-back.
 */
export function parseKernel(text: string): Parsed<PortSet> {
  const t = text.replace(/\n+$/, '');
  if (t.trim() === '') return { ok: true, value: EMPTY };
  const ranges: PortRange[] = [];
  for (const tok of t.split(',')) {
    const r = parseToken(tok, 0);
    if (!r.ok) return r;
    ranges.push(r.value);
  }
  return { ok: true, value: normalize(ranges) };
}

/** Like parseKernel but throws; for values we produced ourselves. */
export function mustParse(text: string): PortSet {
  const r = parseKernel(text);
  if (!r.ok) throw new RangeError(r.error);
  return r.value;
}

/**
 * The ephemeral range as the kernel prints it (`32768\t60999`); also
 * accepts `32768-60999` and `32768 60999` for policy files.
 */
export function parsePortRange(text: string): Parsed<PortRange> {
  const m = /^\s*(\d+)\s*(?:-|\s)\s*(\d+)\s*$/.exec(text);
  if (!m) return { ok: false, error: `"${text}" is not a port range like 32768-60999` };
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  if (lo > MAX_PORT || hi > MAX_PORT) return { ok: false, error: `${Math.max(lo, hi)} is above ${MAX_PORT}` };
  if (lo < MIN_PORT) return { ok: false, error: `${lo} is below ${MIN_PORT}` };
  if (lo > hi) return { ok: false, error: `${rangeText([lo, hi])} is a reversed range` };
  return { ok: true, value: [lo, hi] };
}

/** Kernel form of ip_local_port_range as written by sysctl (space separated). */
export function formatPortRange([lo, hi]: PortRange): string {
  return `${lo} ${hi}`;
}
