import { describe, expect, it } from 'vitest';
import { growth } from '../../bench/growth.js';
import type { Row } from '../../bench/measure.js';
import { renderMarkdown, targets, type BenchResults } from '../../bench/report.js';

const row = (name: string, wall: number, cpu: number): Row => ({ name, desc: name, wall, cpu, walls: [wall], cpus: [cpu] });

describe('growth', () => {
  it('gives the marginal wall and CPU per extra host between consecutive sizes', () => {
    const [g] = growth({ 10: [row('fleet check', 2, 3)], 50: [row('fleet check', 4, 7)], 200: [row('fleet check', 10, 19)] }, ['fleet check']);
    expect(g!.steps.map((s) => [s.from, s.to, s.wallPerHostMs, s.cpuPerHostMs])).toEqual([
      [10, 50, 50, 100],
      [50, 200, 40, 80],
    ]);
    expect(g!.superlinear).toBe(false);
  });

  it('flags superlinear growth when the last marginal cost is more than 1.5× the first', () => {
    const [g] = growth({ 10: [row('a', 1, 1)], 50: [row('a', 3, 3)], 200: [row('a', 20, 9)] }, ['a']);
    expect(g!.steps[1]!.wallPerHostMs).toBeCloseTo(113.3, 0);
    expect(g!.superlinear).toBe(true);
  });

  it('never flags with fewer than three sizes', () => {
    expect(growth({ 10: [row('a', 1, 1)], 50: [row('a', 30, 30)] }, ['a'])[0]!.superlinear).toBe(false);
  });
});

describe('generated report', () => {
  const results: BenchResults = {
    machine: { nproc: 2, cpu: 'x', memGb: '1', kernel: 'k', node: 'v20', ansible: 'a', ssh: 's', loadBefore: '1', startedAt: 't' },
    reps: 3,
    lab: { prefix: 'fbb', subnet: '198.18.16.0/24' },
    sizes: {
      50: {
        read: [row('fleet check', 5, 6), row('ansible -f 50 -m raw', 4.5, 5)],
        write: [row('fleet apply', 9, 8), row('fleet apply (no-op)', 3, 3), row('ansible sysctl + command', 16, 12)],
      },
    },
    skipped: [],
  };

  it('checks the issue 13 acceptance figures at N=50', () => {
    expect(targets(results).map((t) => [t.target.split(' (N')[0], t.met])).toEqual([
      ['fleet check ≤ 1.2× `ansible -f 50 -m raw` wall', true],
      ['fleet apply after drift ≤ 0.6× the two hand-written steps, wall', true],
      ['fleet apply after drift ≤ 0.7× the two hand-written steps, controller CPU', true],
      ['no-op fleet apply ≤ 0.2× the two steps, wall', true],
    ]);
  });

  it('says it is generated and points at the hand-written analysis', () => {
    const md = renderMarkdown(results);
    expect(md).toContain('(generated)');
    expect(md).toContain('bench/RESULTS.md (hand-written)');
  });

  it('renders a run BENCH_ONLY restricted to the write contenders (no read row), with host-tasks per host', () => {
    const only: BenchResults = {
      ...results,
      sizes: { 50: { read: [], write: [{ ...row('fleet apply', 9, 8), hostTasks: 2 }, row('ansible sysctl + command', 16, 12)] } },
    };
    const md = renderMarkdown(only);
    expect(md).not.toContain('### Read');
    expect(md).toMatch(/\| fleet apply \| 9\.00 \|.*\| 2 \| 9\.0 \|/);
  });
});
