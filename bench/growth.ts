/**
 * How a run's cost grows with the fleet: per-host marginal wall and CPU
 * between consecutive sizes, and a flag when the marginal cost of the larger
 * step is clearly above the smaller one's (superlinear growth). Pure.
 */
import type { Row } from './measure.js';

export interface GrowthStep {
  contender: string;
  from: number;
  to: number;
  /** Extra wall seconds per extra host between the two sizes, in ms. */
  wallPerHostMs: number;
  cpuPerHostMs: number;
}

export interface GrowthLine {
  contender: string;
  /** size -> median wall / CPU seconds */
  points: { n: number; wall: number; cpu: number }[];
  steps: GrowthStep[];
  /** The last step's marginal wall or CPU per host is more than `factor` × the first step's. */
  superlinear: boolean;
}

/** Marginal cost grows by more than this factor between the first and last step: flagged. */
export const SUPERLINEAR_FACTOR = 1.5;

export function growth(bySize: Record<number, Row[]>, contenders: readonly string[]): GrowthLine[] {
  const sizes = Object.keys(bySize)
    .map(Number)
    .sort((a, b) => a - b);
  return contenders.map((contender) => {
    const points = sizes.flatMap((n) => {
      const r = bySize[n]!.find((x) => x.name === contender);
      return r ? [{ n, wall: r.wall, cpu: r.cpu }] : [];
    });
    const steps = points.slice(1).map((p, i): GrowthStep => {
      const q = points[i]!;
      const dn = p.n - q.n;
      return { contender, from: q.n, to: p.n, wallPerHostMs: ((p.wall - q.wall) / dn) * 1000, cpuPerHostMs: ((p.cpu - q.cpu) / dn) * 1000 };
    });
    const first = steps[0];
    const last = steps.at(-1);
    const grows = (a: number, b: number) => b > 0 && a > 0 && b > SUPERLINEAR_FACTOR * a;
    const superlinear =
      steps.length >= 2 && !!first && !!last && (grows(first.wallPerHostMs, last.wallPerHostMs) || grows(first.cpuPerHostMs, last.cpuPerHostMs));
    return { contender, points, steps, superlinear };
  });
}
