import { describe, expect, it } from 'vitest';
import { exceedsOneWrite, lengthNote, NEAR_LIMIT, ONE_WRITE_LIMIT } from '../../src/ports/write-limit.js';

const ofLength = (n: number) => '1'.repeat(n);

describe('one kernel write (issue 17)', () => {
  it('takes 4,094 characters: procps writes value + newline once, the kernel parses one page minus one byte', () => {
    expect(ONE_WRITE_LIMIT).toBe(4094);
    expect(exceedsOneWrite(ofLength(4094))).toBe(false);
    expect(exceedsOneWrite(ofLength(4095))).toBe(true);
  });

  it('plan and check name the length only near or over the limit', () => {
    expect(lengthNote(ofLength(NEAR_LIMIT - 1))).toBeUndefined();
    expect(lengthNote(ofLength(4000))).toBe('value 4,000 characters, close to the 4,094 one sysctl write takes');
    expect(lengthNote(ofLength(36000))).toBe('value 36,000 characters: over the 4,094 one sysctl write takes, fleet writes it whole in chunks');
  });
});
