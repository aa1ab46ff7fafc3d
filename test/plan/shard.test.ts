import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fnv1a, inShard, parseShard } from '../../src/plan/shard.js';

const hostName = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,30}$/);
const hostList = fc.uniqueArray(fc.oneof(hostName, fc.string({ maxLength: 20 })), { maxLength: 200 });
const split = (hosts: string[], count: number) => Array.from({ length: count }, (_, i) => hosts.filter((h) => inShard(h, { index: i + 1, count })));

describe('sharding', () => {
  it('shards 1..N are pairwise disjoint and their union is the whole list', () => {
    fc.assert(
      fc.property(hostList, fc.integer({ min: 1, max: 16 }), (hosts, n) => {
        const shards = split(hosts, n);
        const seen = new Map<string, number>();
        for (const h of shards.flat()) seen.set(h, (seen.get(h) ?? 0) + 1);
        for (const h of hosts) expect(seen.get(h)).toBe(1);
        expect(shards.flat().sort()).toEqual([...hosts].sort());
      }),
      { numRuns: 300 },
    );
  });

  it('is stable: same result twice, and independent of the list order', () => {
    fc.assert(
      fc.property(hostList, fc.integer({ min: 1, max: 16 }), (hosts, n) => {
        expect(split(hosts, n)).toEqual(split(hosts, n));
        const reversed = split([...hosts].reverse(), n).map((s) => [...s].sort());
        expect(reversed).toEqual(split(hosts, n).map((s) => [...s].sort()));
      }),
      { numRuns: 200 },
    );
  });

  it('one shard takes everything', () => {
    fc.assert(fc.property(hostName, (h) => inShard(h, { index: 1, count: 1 })));
  });

  it('spreads a realistic fleet roughly evenly', () => {
    const hosts = Array.from({ length: 4000 }, (_, i) => `web-${String(i).padStart(4, '0')}.eu.example.com`);
    for (const s of split(hosts, 4)) expect(s.length).toBeGreaterThan(800);
  });

  it('uses FNV-1a 32-bit (known vectors), so every controller agrees', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
    // UTF-8 bytes, not UTF-16 units
    expect(fnv1a('é')).toBe(fnv1a('\u00e9'));
    expect(fnv1a('é')).not.toBe(fnv1a('\u00e9'.normalize('NFD')));
  });

  it('pins a few assignments (a change here re-shards every fleet)', () => {
    const hosts = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7', 'h8', 'web-1', 'db-1'];
    expect(split(hosts, 4)).toEqual([
      ['h3', 'h7'],
      ['h4', 'h8', 'db-1'],
      ['h1', 'h5'],
      ['h2', 'h6', 'web-1'],
    ]);
  });
});

describe('parseShard', () => {
  it.each([
    ['1/1', { index: 1, count: 1 }],
    ['1/4', { index: 1, count: 4 }],
    ['4/4', { index: 4, count: 4 }],
    ['12/16', { index: 12, count: 16 }],
  ])('%s -> %j', (text, expected) => {
    expect(parseShard(text)).toEqual(expected);
  });

  it.each([
    ['0/4', '--shard 0/4: K must be between 1 and N'],
    ['5/4', '--shard 5/4: K must be between 1 and N'],
    ['1/0', '--shard 1/0: K must be between 1 and N'],
    ['x', '--shard takes K/N, e.g. 1/4 (got "x")'],
    ['', '--shard takes K/N, e.g. 1/4 (got "")'],
    ['1/4/2', '--shard takes K/N, e.g. 1/4 (got "1/4/2")'],
    ['-1/4', '--shard takes K/N, e.g. 1/4 (got "-1/4")'],
    [' 1/4', '--shard takes K/N, e.g. 1/4 (got " 1/4")'],
    ['1.5/4', '--shard takes K/N, e.g. 1/4 (got "1.5/4")'],
  ])('%j -> %s', (text, message) => {
    expect(parseShard(text)).toBe(message);
  });

  it('every K of a valid N parses back to itself', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), (a, b) => {
        const [k, n] = a <= b ? [a, b] : [b, a];
        expect(parseShard(`${k}/${n}`)).toEqual({ index: k, count: n });
      }),
    );
  });
});
