/**
 * Planner and port-set measurements, in-process with fleet's pure functions.
 * Run as a child of run.ts under /usr/bin/time so its peak RSS is its own.
 * Prints one JSON document (PlannerResult) on stdout.
 *   node .bench-dist/bench/planner.js HOSTS GROUPS REPS
 */
import { fileURLToPath } from 'node:url';
import { inlineInventory } from '../src/inventory/inline.js';
import { planHosts } from '../src/plan/desired.js';
import { parsePolicyText } from '../src/policy/index.js';
import { difference, format, fromPorts, intersect, mustParse, union } from '../src/ports/portset.js';
import { fleetSettings } from '../src/ansible/config.js';
import { renderProject } from '../src/render/project.js';
import { median } from './measure.js';

export interface PlannerTimes {
  validate: number;
  plan: number;
  render: number;
  total: number;
  /** user+sys CPU of the three phases, ms: less sensitive than wall to other load on the machine. */
  cpu: number;
}

export interface PlannerResult {
  hosts: number;
  groups: number;
  policyBytes: number;
  first: PlannerTimes;
  median: PlannerTimes;
  renderedBytes: number;
  ports: { union: number; difference: number; intersect: number; format: number; parse: number; ranges: number; textBytes: number };
  heapUsedMb: number;
}

/** A policy with an inline inventory: every host in 2 groups; per-group and per-host ports. */
export function policyText(hosts: number, groups: number): string {
  const lines = ['version: 1', 'mode: exact', 'reserved_ports: 5000-10000', 'min_ephemeral_ports: 1000', 'inventory:', '  hosts:'];
  for (let i = 1; i <= hosts; i++) lines.push(`    h${i}: {}`);
  lines.push('  groups:');
  const members: string[][] = Array.from({ length: groups }, () => []);
  for (let i = 1; i <= hosts; i++) {
    members[i % groups]!.push(`h${i}`);
    members[(i * 7 + 3) % groups]!.push(`h${i}`);
  }
  for (let g = 0; g < groups; g++) lines.push(`    g${g}: [${[...new Set(members[g])].join(', ')}]`);
  lines.push('groups:');
  for (let g = 0; g < groups; g++) lines.push(`  g${g}:`, `    reserved_ports: [${20000 + g}, "${40000 + 2 * g}-${40001 + 2 * g}"]`);
  lines.push('hosts:');
  for (let i = 1; i <= hosts; i += 50) lines.push(`  h${i}:`, `    reserved_ports: ${61000 + (i % 4000)}`);
  return `${lines.join('\n')}\n`;
}

const since = (t0: number) => performance.now() - t0;

function planOnce(text: string): PlannerTimes & { bytes: number } {
  const c0 = process.cpuUsage();
  let t0 = performance.now();
  const { policy, errors } = parsePolicyText(text, '/tmp/bench-policy.yaml');
  if (!policy) throw new Error(`generated policy is invalid: ${JSON.stringify(errors.slice(0, 3))}`);
  if (policy.inventory.kind !== 'inline') throw new Error('the generated policy has an inline inventory');
  const validate = since(t0);
  t0 = performance.now();
  const { plans } = planHosts(policy, inlineInventory(policy.inventory, 'bench (inline)'));
  const plan = since(t0);
  t0 = performance.now();
  const targets = plans.filter((p) => !p.refused).map((p) => ({ host: p.host, reserved: p.desired }));
  const files = renderProject({
    policyLabel: 'bench.yaml',
    policy,
    targets,
    settings: fleetSettings({ user: {}, hosts: targets.length }),
    audit: false,
    version: 'bench',
  });
  const render = since(t0);
  const c = process.cpuUsage(c0);
  return { validate, plan, render, total: validate + plan + render, cpu: (c.user + c.system) / 1000, bytes: files.reduce((n, f) => n + f.content.length, 0) };
}

function portAlgebra(reps: number): PlannerResult['ports'] {
  const odd = fromPorts(Array.from({ length: 32768 }, (_, i) => 2 * i + 1));
  const even = fromPorts(Array.from({ length: 32767 }, (_, i) => 2 * i + 2));
  const time = <T>(f: () => T): [T, number] => {
    const xs: number[] = [];
    let r: T = f();
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      r = f();
      xs.push(since(t0));
    }
    return [r, median(xs)];
  };
  const [u, tu] = time(() => union(odd, even));
  const [d, td] = time(() => difference(odd, even));
  const [, ti] = time(() => intersect(odd, even));
  const [text, tf] = time(() => format(odd));
  const [back, tp] = time(() => mustParse(text));
  if (u.length !== 1 || d.length !== odd.length || back.length !== odd.length) throw new Error('port algebra gave a wrong answer');
  return { union: tu, difference: td, intersect: ti, format: tf, parse: tp, ranges: odd.length, textBytes: text.length };
}

export function measurePlanner(hosts: number, groups: number, reps: number): PlannerResult {
  const text = policyText(hosts, groups);
  const runs = Array.from({ length: reps }, () => planOnce(text));
  const pick = (k: keyof PlannerTimes) => median(runs.map((r) => r[k]));
  const first = runs[0]!;
  return {
    hosts,
    groups,
    policyBytes: Buffer.byteLength(text),
    first: { validate: first.validate, plan: first.plan, render: first.render, total: first.total, cpu: first.cpu },
    median: { validate: pick('validate'), plan: pick('plan'), render: pick('render'), total: pick('total'), cpu: pick('cpu') },
    renderedBytes: first.bytes,
    ports: portAlgebra(reps),
    heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [hosts = '10000', groups = '500', reps = '5'] = process.argv.slice(2);
  process.stdout.write(`${JSON.stringify(measurePlanner(Number(hosts), Number(groups), Number(reps)))}\n`);
}
