import { describe, expect, test } from 'vitest';
import { FleetError } from '../../src/errors.js';
import { mergeReports } from '../../src/report/merge.js';
import { summarize } from '../../src/verify/types.js';
import { host, report } from '../fixtures/reports/build.js';

const shard1 = () =>
  report([host('web-2'), host('db-1', { verdict: 'drift', changed: true })], { shard: '1/2', startedAt: '2025-03-04T05:06:10Z', durationSeconds: 4 });
const shard2 = () =>
  report([host('app-1', { verdict: 'unreachable' }), host('web-1')], { shard: '2/2', startedAt: '2025-03-04T05:06:07Z', durationSeconds: 9.5 });

function thrown(f: () => unknown): FleetError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FleetError);
    return e as FleetError;
  }
  throw new Error('expected a FleetError');
}

describe('mergeReports', () => {
  test('disjoint shards: hosts sorted, summary recomputed, earliest start, longest duration', () => {
    const merged = mergeReports([shard1(), shard2()]);
    expect(merged.hosts.map((h) => h.host)).toEqual(['app-1', 'db-1', 'web-1', 'web-2']);
    expect(merged.summary).toEqual(summarize(merged.hosts));
    expect(merged.summary).toMatchObject({ hosts: 4, compliant: 2, drift: 1, unreachable: 1, changed: 1 });
    expect(merged.startedAt).toBe('2025-03-04T05:06:07Z');
    expect(merged.durationSeconds).toBe(9.5);
    expect(merged.shard).toBeUndefined();
    expect(merged.policy).toBe('policies/ports.yaml');
  });

  test('does not mutate its inputs', () => {
    const a = shard1();
    const b = shard2();
    const copies = JSON.stringify([a, b]);
    mergeReports([a, b]);
    expect(JSON.stringify([a, b])).toBe(copies);
  });

  test('a single report (shard 1/1) comes back equivalent, minus the shard', () => {
    const { shard: _, ...rest } = { ...shard1(), shard: '1/1' };
    expect(mergeReports([{ ...shard1(), shard: '1/1' }])).toEqual({ ...rest, hosts: [...rest.hosts].sort((x, y) => x.host.localeCompare(y.host)) });
  });

  test('a host in two shards is rejected', () => {
    const e = thrown(() => mergeReports([shard1(), report([host('db-1')], { shard: '2/2' })]));
    expect(e.message).toBe('host "db-1" appears in report 1 and report 2: shards must not overlap');
    expect(e.exitCode).toBe(2);
  });

  test('different policies are rejected', () => {
    const e = thrown(() => mergeReports([shard1(), report([host('x')], { policy: 'other.yaml' })]));
    expect(e.message).toMatch(/different policys?: "policies\/ports.yaml", "other.yaml"/);
  });

  test('different commands or modes are rejected', () => {
    expect(thrown(() => mergeReports([shard1(), report([host('x')], { command: 'plan' })])).message).toMatch(/different commands/);
    expect(thrown(() => mergeReports([shard1(), report([host('x')], { mode: 'additive' })])).message).toMatch(/different modes/);
  });

  test('no reports is an error', () => {
    expect(thrown(() => mergeReports([])).message).toBe('no reports to merge');
  });

  test('before and interrupted are combined', () => {
    const a = report([host('a')], {
      command: 'remediate',
      shard: '1/2',
      before: { summary: summarize([host('a', { verdict: 'drift' })]), hosts: [host('a', { verdict: 'drift' })] },
    });
    const b = report([host('b')], {
      command: 'remediate',
      shard: '2/2',
      interrupted: 'SIGTERM',
      before: { summary: summarize([host('b')]), hosts: [host('b')] },
    });
    const merged = mergeReports([b, a]);
    expect(merged.before?.hosts.map((h) => h.host)).toEqual(['a', 'b']);
    expect(merged.before?.summary).toMatchObject({ hosts: 2, drift: 1, compliant: 1 });
    expect(merged.interrupted).toBe('shard 2/2: SIGTERM');
  });

  describe('shards: exactly 1..N of one N, once each (issue 15 case 5)', () => {
    const r = (shard: string | undefined, name: string) => report([host(name)], shard === undefined ? {} : { shard });

    test('shard 1/4 with two copies of 2/3 and no 3/4 or 4/4 is refused', () => {
      const e = thrown(() => mergeReports([r('1/4', 'a'), r('2/3', 'b'), r('2/3', 'c')]));
      expect(e.exitCode).toBe(2);
      expect(e.message).toBe('report 2 is shard 2/3 but report 1 is shard 1/4: every report must come from the same --shard K/4 split');
    });

    test('a shard twice is refused, naming both reports', () => {
      expect(thrown(() => mergeReports([r('1/2', 'a'), r('1/2', 'b'), r('2/2', 'c')])).message).toBe('shard 1/2 appears twice (report 1 and report 2)');
    });

    test('missing shards are named', () => {
      expect(thrown(() => mergeReports([r('1/4', 'a'), r('2/4', 'b')])).message).toBe(
        'missing shards 3/4, 4/4: merge needs the report of every shard 1..4, once each',
      );
      expect(thrown(() => mergeReports([r('2/2', 'a')])).message).toBe('missing shard 1/2: merge needs the report of every shard 1..2, once each');
    });

    test('a report without a shard (or with a broken one) is refused', () => {
      expect(thrown(() => mergeReports([r('1/1', 'a'), r(undefined, 'b')])).message).toMatch(/^report 2 is not from a --shard K\/N run/);
      expect(thrown(() => mergeReports([r('5/4', 'a')])).message).toMatch(/^report 1 is not from a --shard K\/N run \(shard "5\/4"\)/);
    });

    test('shards in any order, an empty shard included, merge', () => {
      const empty = report([], { shard: '2/3' });
      expect(mergeReports([r('3/3', 'c'), empty, r('1/3', 'a')]).hosts.map((h) => h.host)).toEqual(['a', 'c']);
    });
  });
});
