import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capacity, DEFAULT_EPHEMERAL, explainCapacity } from '../../src/ports/capacity.js';
import { difference, intersect, mustParse, range, size } from '../../src/ports/portset.js';
import { rangeArb, setArb } from './model.js';

describe('capacity', () => {
  it('counts only reserved ports inside the ephemeral range', () => {
    const c = capacity(mustParse('5000-10000,32768-33767'), DEFAULT_EPHEMERAL);
    expect(c).toEqual({ ephemeral: [32768, 60999], ephemeralSize: 28232, reservedInside: [[32768, 33767]], free: 27232 });
  });

  it('defaults to the Linux range 32768-60999', () => expect(capacity([]).free).toBe(28232));

  it('free = ephemeral size − reserved inside, never negative', () =>
    fc.assert(
      fc.property(setArb, rangeArb, (reserved, eph) => {
        const c = capacity(reserved, eph);
        const e = range(eph[0], eph[1]);
        expect(c.ephemeralSize).toBe(size(e));
        expect(c.reservedInside).toEqual(intersect(reserved, e));
        expect(c.free).toBe(size(difference(e, reserved)));
        expect(c.free).toBeGreaterThanOrEqual(0);
      }),
    ));

  it('explains which reserved ranges eat the range, largest first', () => {
    const text = explainCapacity(capacity(mustParse('40000,50000-50099,33000-33009')));
    expect(text).toBe(
      'ephemeral range 32768-60999 has 28232 ports; reserved inside it: 50000-50099 (100 ports), 33000-33009 (10 ports), 40000 (1 ports); 28121 left for outgoing connections',
    );
  });

  it('limits the list and says how many more', () => {
    const text = explainCapacity(capacity(mustParse('33000,34000,35000,36000')), 2);
    expect(text).toContain('and 2 more');
  });
});
