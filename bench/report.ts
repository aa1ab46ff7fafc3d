/**
 * Reporting: the generated results as markdown (bench/RESULTS.generated.md)
 * from the JSON document (bench/RESULTS.json). Pure: data in, text out. The
 * hand-written analysis lives in bench/RESULTS.md and is never written here.
 */
import { growth, SUPERLINEAR_FACTOR, type GrowthLine } from './growth.js';
import type { Row } from './measure.js';
import { type FixedResults, fixedMarkdown } from './fixed.js';
import type { PlannerResult } from './planner.js';

export interface Machine {
  nproc: number;
  cpu: string;
  memGb: string;
  kernel: string;
  node: string;
  ansible: string;
  ssh: string;
  loadBefore: string;
  loadAfter?: string;
  startedAt: string;
  durationS?: number;
}

export interface PlannerRun extends PlannerResult {
  wallS: number;
  cpuS: number;
  maxRssMb: number;
}

export interface BenchResults {
  machine: Machine;
  reps: number;
  lab: { prefix: string; subnet: string };
  planner?: PlannerRun;
  /** Issue 19: start-up pieces, small warm runs, the big-inventory trace. */
  fixed?: FixedResults;
  sizes: Record<number, { read?: Row[]; write?: Row[]; reps?: number }>;
  skipped: string[];
  /** Conditions of earlier runs whose sizes this document kept (BENCH_APPEND). */
  earlier?: Machine[];
}

/** The contenders whose growth is tabled. */
export const GROWTH_READ = ['fleet check', 'ansible -m command'];
export const GROWTH_WRITE = ['fleet apply', 'fleet apply (no-op)', 'ansible sysctl + command'];

const f2 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(2));
const f1 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(1));
const f0 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(0));
const ratio = (a: number | undefined, b: number | undefined) => (a && b ? a / b : NaN);
const find = (rows: Row[] | undefined, name: string) => rows?.find((r) => r.name === name);

function table(rows: Row[], n: number, base: string): string[] {
  if (rows.length === 0) return ['(not measured in this run)'];
  const b = find(rows, base) ?? rows[0]!;
  const out = [
    '| contender | wall median (s) | × baseline wall | CPU median (s) | × baseline CPU | CPU per host (ms) | host-tasks per host | walls (s) |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows)
    out.push(
      `| ${r.name} | ${f2(r.wall)} | ${f2(ratio(r.wall, b.wall))} | ${f2(r.cpu)} | ${f2(ratio(r.cpu, b.cpu))} | ${f0((r.cpu / n) * 1000)} | ${r.hostTasks ?? '–'} | ${r.walls.map(f1).join(' ')} |`,
    );
  out.push('', `Baseline: ${b.name}. ${rows.map((r) => `${r.name}: ${r.desc}`).join('; ')}.`);
  out.push(
    "Host-tasks per host: Ansible tasks each host went through (fleet: the tasks of the playbooks the run rendered, read phase plus apply phase when it changed hosts; an ad-hoc `ansible -m` command: one). Ansible's controller pays a worker fork per host-task.",
  );
  return out;
}

export interface Target {
  target: string;
  value: string;
  met: boolean;
}

/** Issue 13's acceptance figures, at N=50 (or the largest size measured when 50 is absent). */
export function targets(r: BenchResults): Target[] {
  const sizes = Object.keys(r.sizes).map(Number);
  const n = sizes.includes(50) ? 50 : Math.max(...sizes);
  const s = r.sizes[n];
  const out: Target[] = [];
  const check = find(s?.read, 'fleet check');
  const raw = find(s?.read, `ansible -f ${n} -m raw`);
  if (check && raw)
    out.push({
      target: `fleet check ≤ 1.2× \`ansible -f ${n} -m raw\` wall (N=${n})`,
      value: `${f2(ratio(check.wall, raw.wall))}× (CPU ${f2(ratio(check.cpu, raw.cpu))}×)`,
      met: check.wall <= 1.2 * raw.wall,
    });
  const apply = find(s?.write, 'fleet apply');
  const noop = find(s?.write, 'fleet apply (no-op)');
  const two = find(s?.write, 'ansible sysctl + command');
  if (apply && two) {
    out.push({
      target: `fleet apply after drift ≤ 0.6× the two hand-written steps, wall (N=${n})`,
      value: `${f2(ratio(apply.wall, two.wall))}×`,
      met: apply.wall <= 0.6 * two.wall,
    });
    out.push({
      target: `fleet apply after drift ≤ 0.7× the two hand-written steps, controller CPU (N=${n})`,
      value: `${f2(ratio(apply.cpu, two.cpu))}×`,
      met: apply.cpu <= 0.7 * two.cpu,
    });
  }
  if (noop && two)
    out.push({
      target: `no-op fleet apply ≤ 0.2× the two steps, wall (N=${n})`,
      value: `${f2(ratio(noop.wall, two.wall))}×`,
      met: noop.wall <= 0.2 * two.wall,
    });
  const p = r.planner;
  if (p) {
    out.push({
      target: `planner, ${p.hosts} hosts / ${p.groups} groups: validate + plan + render < 1 s and < 300 MB`,
      value: `${f0(p.median.total)} ms wall, ${f0(p.median.cpu)} ms CPU (validate ${f0(p.median.validate)}, plan ${f0(p.median.plan)}, render ${f0(p.median.render)}); first run ${f0(p.first.total)} ms wall, ${f0(p.first.cpu)} ms CPU; max RSS ${f0(p.maxRssMb)} MB`,
      met: p.median.total < 1000 && p.maxRssMb < 300,
    });
  }
  return out;
}

export function growthLines(r: BenchResults): GrowthLine[] {
  const read: Record<number, Row[]> = {};
  const write: Record<number, Row[]> = {};
  for (const [n, s] of Object.entries(r.sizes)) {
    if (s.read) read[Number(n)] = s.read;
    if (s.write) write[Number(n)] = s.write;
  }
  return [...growth(read, GROWTH_READ), ...growth(write, GROWTH_WRITE)];
}

function growthTable(lines: GrowthLine[]): string[] {
  const out = [
    '| contender | N | wall (s) | CPU (s) | marginal wall per host (ms) | marginal CPU per host (ms) | superlinear |',
    '|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const g of lines) {
    g.points.forEach((p, i) => {
      const step = i > 0 ? g.steps[i - 1] : undefined;
      const flag = i === g.points.length - 1 && g.steps.length >= 2 ? (g.superlinear ? '**yes**' : 'no') : '';
      out.push(
        `| ${g.contender} | ${p.n} | ${f2(p.wall)} | ${f2(p.cpu)} | ${step ? `${f0(step.wallPerHostMs)} (${step.from}→${step.to})` : ''} | ${step ? f0(step.cpuPerHostMs) : ''} | ${flag} |`,
      );
    });
  }
  out.push(
    '',
    `Marginal = (cost at N2 − cost at N1) / (N2 − N1). Superlinear: the last step's marginal wall or CPU per host is more than ${SUPERLINEAR_FACTOR}× the first step's.`,
  );
  return out;
}

export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  const L: string[] = [];
  L.push('# fleet benchmark results (generated)', '');
  L.push('Written by `npm run bench` (bench/run.ts) from bench/RESULTS.json; rerunning overwrites this file and RESULTS.json only.');
  L.push('The analysis is bench/RESULTS.md (hand-written).', '');
  L.push('## Conditions', '');
  L.push(`- ${m.nproc} CPUs (${m.cpu}), ${m.memGb} GB RAM, kernel ${m.kernel}; Node ${m.node}; ${m.ansible}; ${m.ssh}`);
  L.push(`- load average before: ${m.loadBefore}; after: ${m.loadAfter ?? '?'}; run took ${f0(m.durationS)} s, started ${m.startedAt}`);
  L.push(`- lab prefix ${r.lab.prefix}, subnet ${r.lab.subnet}; lab hosts (sshd) run on the same machine and share its cores`);
  L.push(`- contenders alternate, order rotated each repetition, ${r.reps} repetitions, medians; every command starts with no SSH ControlMaster open (cold)`);
  for (const e of r.earlier ?? [])
    L.push(`- some sizes come from an earlier run: started ${e.startedAt}, load before ${e.loadBefore}, after ${e.loadAfter ?? '?'}`);
  L.push(
    `- repetitions per size: ${Object.entries(r.sizes)
      .map(([n, s]) => `N=${n}: ${s.reps ?? r.reps}`)
      .join(', ')}`,
  );
  L.push("- wall and CPU from `/usr/bin/time -f '%e %U %S'` around the command: CPU is user+sys of the whole waited process tree (controller side)", '');
  L.push('## Targets', '', '| target | measured | met |', '|---|---|---|');
  for (const t of targets(r)) L.push(`| ${t.target} | ${t.value} | ${t.met ? 'yes' : '**no**'} |`);
  L.push('');
  if (Object.keys(r.sizes).length > 1) L.push('## Growth', '', ...growthTable(growthLines(r)), '');
  for (const [n, s] of Object.entries(r.sizes)) {
    L.push(`## N=${n} hosts`, '');
    // BENCH_ONLY can leave a phase with no contender
    if (s.read?.length) L.push('### Read', '', ...table(s.read, Number(n), `ansible -f ${n} -m raw`), '');
    if (s.write?.length) L.push('### Write (apply + verify)', '', ...table(s.write, Number(n), 'ansible sysctl + command'), '');
  }
  if (r.fixed) L.push(...fixedMarkdown(r.fixed));
  const p = r.planner;
  if (p) {
    L.push(`## Planner: ${p.hosts} hosts, ${p.groups} groups, inline inventory (policy ${f0(p.policyBytes / 1024)} KiB)`, '');
    L.push('| phase | median (ms) | first run (ms) |', '|---|---:|---:|');
    for (const k of ['validate', 'plan', 'render', 'total', 'cpu'] as const) L.push(`| ${k} | ${f0(p.median[k])} | ${f0(p.first[k])} |`);
    L.push('', `Child process: wall ${f2(p.wallS)} s, CPU ${f2(p.cpuS)} s, max RSS ${f0(p.maxRssMb)} MB; rendered ${f0(p.renderedBytes / 1024)} KiB.`, '');
    L.push(
      `Port-set algebra, worst case (every other port: ${p.ports.ranges} ranges, ${p.ports.textBytes} characters), median ms: union ${f2(p.ports.union)}, difference ${f2(p.ports.difference)}, intersect ${f2(p.ports.intersect)}, format ${f2(p.ports.format)}, parse ${f2(p.ports.parse)}.`,
      '',
    );
  }
  if (r.skipped.length) L.push('## Skipped', '', ...r.skipped.map((s) => `- ${s}`), '');
  return L.join('\n');
}
