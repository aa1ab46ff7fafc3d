import { describe, expect, test } from 'vitest';
import { layoutTable, truncate, width } from '../../src/report/layout.js';

describe('truncate', () => {
  test.each([
    ['short', 10, false, 'short'],
    ['exactly10!', 10, false, 'exactly10!'],
    ['longer than ten', 10, false, 'longer th…'],
    ['1000,2000-3000,4000', 12, true, '1000,…'],
    ['1000,2000-3000,4000', 15, true, '1000,…'],
    ['1000,2000-3000,4000', 16, true, '1000,2000-3000,…'],
    ['10000-20000', 6, true, '10000…'],
    ['ab', 1, false, '…'],
  ])('%j to %i (ports: %s) -> %j', (s, max, ports, want) => {
    const got = truncate(s, max, ports);
    expect(got).toBe(want);
    expect(width(got)).toBeLessThanOrEqual(max);
  });
});

describe('layoutTable', () => {
  test('pads to the widest cell, no trailing blanks', () => {
    const lines = layoutTable(
      [
        { title: 'A', max: 10 },
        { title: 'BB', max: 10 },
      ],
      [
        ['x', ''],
        ['longer', 'y'],
      ],
      false,
    );
    expect(lines).toEqual(['A       BB', 'x', 'longer  y']);
  });

  test('counts code points, not UTF-16 units', () => {
    expect(width('→✓')).toBe(2);
    expect(width('😀')).toBe(1);
  });
});
