/**
 * Brute-force model of a PortSet: a 65536-entry bitmap. Slow and obviously
 * right, so the interval algebra in src/ports/portset.ts is checked against it.
 */
import fc from 'fast-check';
import { MAX_PORT, normalize, type PortRange, type PortSet } from '../../src/ports/portset.js';

export type Bitmap = Uint8Array;

export function toBitmap(s: PortSet): Bitmap {
  const b = new Uint8Array(MAX_PORT + 1);
  for (const [lo, hi] of s) b.fill(1, lo, hi + 1);
  return b;
}

/** Bitmap -> canonical PortSet (sorted, merged), the form every operation must return. */
export function fromBitmap(b: Bitmap): PortSet {
  const out: [number, number][] = [];
  for (let p = 1; p <= MAX_PORT; p++) {
    if (!b[p]) continue;
    const last = out[out.length - 1];
    if (last && last[1] === p - 1) last[1] = p;
    else out.push([p, p]);
  }
  return out;
}

export const zip = (a: Bitmap, b: Bitmap, f: (x: number, y: number) => number): Bitmap => a.map((x, i) => f(x, b[i]!));

/** A range that is either small and clustered (so ranges touch and overlap often) or wide. */
export const rangeArb: fc.Arbitrary<PortRange> = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 0, max: 8 })).map(([lo, len]) => [lo, lo + len] as const),
  fc.tuple(fc.integer({ min: 1, max: MAX_PORT }), fc.integer({ min: 1, max: MAX_PORT })).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const),
  fc.constantFrom<PortRange>([1, 1], [MAX_PORT, MAX_PORT], [1, MAX_PORT], [32768, 60999], [5000, 10000]),
);

/** Raw (unsorted, overlapping) ranges and the canonical set they make. */
export const rangesArb = fc.array(rangeArb, { maxLength: 12 });
export const setArb: fc.Arbitrary<PortSet> = rangesArb.map((rs) => normalize(rs));
