import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  difference,
  format,
  fromPorts,
  has,
  intersect,
  MAX_PORT,
  mustParse,
  normalize,
  parseKernel,
  parseToken,
  range,
  size,
  union,
} from '../../src/ports/portset.js';
import { fromBitmap, rangesArb, setArb, toBitmap, zip } from './model.js';

const ALL = range(1, MAX_PORT);
const prop = <T extends unknown[]>(p: fc.IProperty<T>) => fc.assert(p, { numRuns: 150 });

describe('kernel text form', () => {
  it.each([
    ['10005-10010,10000,5000-6000,5500', '5000-6000,10000,10005-10010'],
    ['1,2,3,4,5', '1-5'],
    ['', ''],
    ['8080', '8080'],
    ['1-65535', '1-65535'],
    ['7,5-6,8', '5-8'],
    ['0', '0'], // read-back: the kernel accepts port 0
  ])('%j is printed by the kernel as %j', (input, canonical) => {
    expect(format(mustParse(input))).toBe(canonical);
  });

  it.each([
    ['5000, 6000', 'whitespace'],
    ['5000 ,6000', 'whitespace'],
    ['70000', 'is above 65535'],
    ['1-65536', 'is above 65535'],
    ['10000-5000', 'is a reversed range'],
    ['5000-', 'is not a port'],
    ['-5', 'is not a port'],
    ['5000,,6000', 'empty port entry'],
    ['abc', 'is not a port'],
  ])('rejects %j (%s)', (input, why) => {
    const r = parseKernel(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(why);
  });

  it('parseToken rejects port 0 for policies', () => expect(parseToken('0')).toEqual({ ok: false, error: '0 is below 1' }));

  it('format(parse(x)) is a fixed point', () =>
    prop(
      fc.property(rangesArb, (rs) => {
        const text = rs.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(',');
        const once = format(mustParse(text));
        expect(format(mustParse(once))).toBe(once);
      }),
    ));

  it('parse(format(s)) == s', () =>
    prop(
      fc.property(setArb, (s) => {
        expect(mustParse(format(s))).toEqual(s);
      }),
    ));
});

describe('set algebra against a 65536-entry bitmap', () => {
  it('normalize matches the model and yields sorted, disjoint, non-adjacent ranges', () =>
    prop(
      fc.property(rangesArb, (rs) => {
        const s = normalize(rs);
        const bits = new Uint8Array(MAX_PORT + 1);
        for (const [lo, hi] of rs) bits.fill(1, lo, hi + 1);
        expect(s).toEqual(fromBitmap(bits));
        s.forEach(([lo, hi], i) => {
          expect(lo).toBeLessThanOrEqual(hi);
          if (i > 0) expect(lo).toBeGreaterThan(s[i - 1]![1] + 1);
        });
      }),
    ));

  it('union, intersect, difference, size, has match the model', () =>
    prop(
      fc.property(setArb, setArb, fc.integer({ min: 1, max: MAX_PORT }), (a, b, p) => {
        const [ma, mb] = [toBitmap(a), toBitmap(b)];
        expect(union(a, b)).toEqual(fromBitmap(zip(ma, mb, (x, y) => x | y)));
        expect(intersect(a, b)).toEqual(fromBitmap(zip(ma, mb, (x, y) => x & y)));
        expect(difference(a, b)).toEqual(fromBitmap(zip(ma, mb, (x, y) => x & (1 - y))));
        expect(size(a)).toBe(ma.reduce((n, x) => n + x, 0));
        expect(has(a, p)).toBe(ma[p] === 1);
      }),
    ));

  it('union and intersection are commutative and associative', () =>
    prop(
      fc.property(setArb, setArb, setArb, (a, b, c) => {
        expect(union(a, b)).toEqual(union(b, a));
        expect(intersect(a, b)).toEqual(intersect(b, a));
        expect(union(union(a, b), c)).toEqual(union(a, union(b, c)));
        expect(intersect(intersect(a, b), c)).toEqual(intersect(a, intersect(b, c)));
      }),
    ));

  it("De Morgan's laws hold within 1..65535", () =>
    prop(
      fc.property(setArb, setArb, (a, b) => {
        const not = (s: typeof a) => difference(ALL, s);
        expect(not(union(a, b))).toEqual(intersect(not(a), not(b)));
        expect(not(intersect(a, b))).toEqual(union(not(a), not(b)));
      }),
    ));

  it('a∖b ∩ b = ∅, and size(a∪b) = size(a) + size(b) − size(a∩b)', () =>
    prop(
      fc.property(setArb, setArb, (a, b) => {
        expect(intersect(difference(a, b), b)).toEqual([]);
        expect(size(union(a, b))).toBe(size(a) + size(b) - size(intersect(a, b)));
        expect(union(difference(a, b), intersect(a, b))).toEqual(a);
      }),
    ));

  it('fromPorts merges adjacent ports', () => expect(fromPorts([5, 3, 4, 1, 2])).toEqual([[1, 5]]));
  it('normalize rejects reversed ranges', () => expect(() => normalize([[10, 5]])).toThrow(RangeError));
});
