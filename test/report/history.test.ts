import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadHistory, saveHistory } from '../../src/engine/history.js';
import { historyFileName, sinceLast, sinceLastLine, withHistory } from '../../src/report/history.js';
import { host, report } from '../fixtures/reports/build.js';
import { tempDir } from '../support/tmp.js';

const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
const run = (i: number, verdicts: Record<string, 'compliant' | 'drift' | 'unreachable'>) =>
  report(
    Object.entries(verdicts).map(([h, v]) => host(h, { verdict: v })),
    { startedAt: at(i) },
  );

describe('--history', () => {
  it('since_last: new drift, fixed, new unreachable against the previous report', () => {
    const a = run(1, { c1: 'compliant', c2: 'compliant', c3: 'drift', c4: 'compliant' });
    const b = run(2, { c1: 'compliant', c2: 'drift', c3: 'compliant', c4: 'unreachable', c5: 'drift' });
    expect(sinceLast(a, b)).toEqual({ previous: at(1), new_drift: ['c2', 'c5'], fixed: ['c3'], new_unreachable: ['c4'] });
    expect(sinceLastLine(sinceLast(a, b))).toBe(`since last run (${at(1)}): 2 new drift (c2, c5), 1 fixed (c3), 1 new unreachable (c4)`);
    // a host still in drift is not new drift
    expect(sinceLast(b, run(3, { c2: 'drift' })).new_drift).toEqual([]);
  });

  it('withHistory: no since_last on the first run; the trend has at most keep points, this run last', () => {
    const first = withHistory(run(1, { c1: 'compliant' }), [], 3);
    expect(first.since_last).toBeUndefined();
    expect(first.trend).toHaveLength(1);
    const kept = [1, 2, 3, 4].map((i) => run(i, { c1: 'compliant' }));
    const r = withHistory(run(5, { c1: 'drift' }), kept, 3);
    expect(r.trend!.map((p) => p.startedAt)).toEqual([at(3), at(4), at(5)]);
    expect(r.trend!.at(-1)).toMatchObject({ compliant: 0, drift: 1 });
    expect(r.since_last?.previous).toBe(at(4));
  });

  it('keeps the newest N reports on disk, oldest first when read back; other files are ignored', async () => {
    const dir = join(tempDir('history'), 'h');
    for (let i = 1; i <= 5; i++) await saveHistory(dir, withHistory(run(i, { c1: 'compliant' }), [], 3), 3);
    writeFileSync(join(dir, 'notes.txt'), 'x');
    writeFileSync(join(dir, historyFileName({ startedAt: at(0), command: 'check' })), '{broken');
    expect(readdirSync(dir).filter((n) => n.endsWith('-check.json'))).toHaveLength(4);
    const warnings: string[] = [];
    const back = await loadHistory(dir, (m) => warnings.push(m));
    expect(back.map((r) => r.startedAt)).toEqual([at(3), at(4), at(5)]);
    expect(back[0]).not.toHaveProperty('trend');
    expect(warnings).toEqual([`history: ${historyFileName({ startedAt: at(0), command: 'check' })} does not parse; ignored`]);
    expect(await loadHistory(join(dir, 'none'), () => undefined)).toEqual([]);
  });
});
