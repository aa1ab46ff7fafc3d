import { expect, it } from 'vitest';
import { verdictExit } from '../../src/cli/exit-codes.js';
import { parseFailOn } from '../../src/cli/options.js';
import { host, report } from '../fixtures/reports/build.js';

it('--fail-on: only the named verdicts fail the run; unknown names are exit 2', () => {
  const r = report([host('a'), host('b', { verdict: 'unreachable' })]);
  expect(verdictExit(r)).toBe(1);
  expect(verdictExit(r, false, parseFailOn('drift'))).toBe(0);
  expect(verdictExit(report([host('a', { verdict: 'drift' })]), false, parseFailOn('drift,failed'))).toBe(1);
  expect(() => parseFailOn('drift,down')).toThrow(/unknown verdict down/);
  expect(() => parseFailOn(',')).toThrow(/empty/);
});
