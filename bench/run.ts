/**
 * fleet benchmarks: fleet against the hand-written way, on a lab of its own,
 * same run, contenders alternating. Writes bench/RESULTS.json and
 * bench/RESULTS.generated.md; never bench/RESULTS.md (the hand-written analysis).
 *
 *   npm run bench
 *
 * Environment: BENCH_SIZES (default "10,50,200"), BENCH_REPS (default 3),
 * BENCH_PLANNER_HOSTS (10000) and BENCH_PLANNER_GROUPS (500), BENCH_BUDGET_S
 * (default 3600: a size is skipped once the budget is spent),
 * BENCH_LAB_PREFIX / BENCH_LAB_SUBNET (default fbench, 198.18.4.0/24; another
 * prefix and /24 let the bench run beside other labs), BENCH_OUT_DIR (bench/),
 * BENCH_APPEND=1 (keep the sizes and planner figures already in RESULTS.json and
 * add the sizes measured now, e.g. a long N=200 run after a shorter one),
 * BENCH_PLANNER=0 (skip the planner), BENCH_FIXED=0 (skip issue 19's fixed-cost
 * section, measured once at the first size ≥ 20), BENCH_BIG_INVENTORY (10000),
 * BENCH_BASELINE_ROOT (another built checkout of fleet: its checks, applies and
 * no-op applies run beside this build's, alternating — before/after in one run;
 * BENCH_BASELINE_CLI names its dist/cli/main.js directly, for the apply contenders only),
 * BENCH_ONLY (comma-separated contender names to run, e.g. only those of the growth
 * table at a large N).
 * Needs root (the lab uses network namespaces); always takes its lab down.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { closeConnections } from '../src/engine/connections.js';
import { labDown, labUp } from '../src/lab/index.js';
import { readContenders, writeContenders, writePolicy, fleet, expectCompliant, type BenchContext } from './contenders.js';
import { alternate, type Contender, type Row } from './measure.js';
import { timed } from './measure.js';
import { baselineContext, labHostNames, pieceContenders, traceBig, warm, warmContenders } from './fixed.js';
import type { PlannerResult } from './planner.js';
import { renderMarkdown, targets, type BenchResults, type Machine } from './report.js';

// Compiled to .bench-dist/bench/run.js: the checkout is two levels up.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const env = process.env;
const sizes = (env.BENCH_SIZES ?? '10,50,200')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => n > 0);
const REPS = Number(env.BENCH_REPS ?? 3);
const PLANNER_HOSTS = Number(env.BENCH_PLANNER_HOSTS ?? 10000);
const PLANNER_GROUPS = Number(env.BENCH_PLANNER_GROUPS ?? 500);
const BUDGET_S = Number(env.BENCH_BUDGET_S ?? 3600);
const OUT_DIR = resolve(ROOT, env.BENCH_OUT_DIR ?? 'bench');
const LAB = {
  dir: join(ROOT, '.lab-bench'),
  prefix: env.BENCH_LAB_PREFIX ?? 'fbench',
  subnet: env.BENCH_LAB_SUBNET ?? '198.18.4.0/24',
  inventory: join(ROOT, '.lab-bench', 'inventory.yml'),
};

const work = mkdtempSync(join(tmpdir(), 'fleet-bench-'));
const ctx: BenchContext = {
  root: ROOT,
  work,
  inventory: LAB.inventory,
  policy: join(work, 'policy.yaml'),
  ansibleCp: join(work, 'ansible-cp'),
  ...(env.BENCH_BASELINE_CLI || env.BENCH_BASELINE_ROOT
    ? { baselineCli: resolve(env.BENCH_BASELINE_CLI ?? join(env.BENCH_BASELINE_ROOT!, 'dist/cli/main.js')) }
    : {}),
};
const fleetCp = join(work, '.fleet', 'policy', 'cp');
const started = performance.now();
const elapsed = () => (performance.now() - started) / 1000;
const log = (m: string) => process.stderr.write(`bench [${elapsed().toFixed(0)}s] ${m}\n`);

/** Close every ControlMaster so each measured command starts cold, as a scheduled run would. */
async function cold(): Promise<void> {
  await closeConnections(fleetCp);
  await closeConnections(ctx.ansibleCp);
}

let counter = 0;
const nextValue = () => `5000-${10000 + ++counter}`;

async function sh(cmd: string, args: string[]): Promise<string> {
  const r = await execa(cmd, args, { reject: false });
  return String(r.stdout || r.stderr || '').trim();
}

async function machine(): Promise<Machine> {
  const mem = /MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? '?',
    memGb: mem ? (Number(mem) / 2 ** 20).toFixed(1) : (totalmem() / 2 ** 30).toFixed(1),
    kernel: await sh('uname', ['-r']),
    node: process.version,
    ansible: (await sh('ansible', ['--version'])).split('\n')[0] ?? '?',
    ssh: await sh('ssh', ['-V']),
    loadBefore: readFileSync('/proc/loadavg', 'utf8').trim(),
    startedAt: new Date().toISOString(),
  };
}

async function planner(): Promise<BenchResults['planner']> {
  const r = await timed(process.execPath, [
    join(ROOT, '.bench-dist/bench/planner.js'),
    String(PLANNER_HOSTS),
    String(PLANNER_GROUPS),
    String(Math.max(REPS, 3)),
  ]);
  if (r.exitCode !== 0) throw new Error(`planner bench failed: ${r.stderr}`);
  const doc = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as PlannerResult;
  return { ...doc, wallS: r.wall, cpuS: r.cpu, maxRssMb: r.rssKb / 1024 };
}

async function size(results: BenchResults, n: number): Promise<void> {
  log(`lab: ${n} hosts (${LAB.prefix}, ${LAB.subnet})`);
  await labUp({ hosts: n, ...LAB });
  const value = nextValue();
  writePolicy(ctx, value);
  const setup = await fleet(ctx, ['apply', ctx.policy, '--yes', '--json'])();
  const bad = expectCompliant(n)([setup]);
  if (bad) throw new Error(`N=${n}: setting up the read value: ${bad}`);
  const opts = { reps: REPS, beforeEach: cold, log };
  if (!results.fixed && env.BENCH_FIXED !== '0' && n >= WARM_N) await fixed(results, value);
  const read = await alternate(`N=${n} read`, only(readContenders(ctx, n, value)), opts);
  const write = await alternate(`N=${n} write`, only(writeContenders(ctx, n, nextValue)), opts);
  results.sizes[n] = { read, write, reps: REPS };
}

const WARM_N = 20;
/** Repetitions of the warm fixed-cost runs (the noisiest figures: small wall times on a shared machine). */
const WARM_REPS = Number(env.BENCH_WARM_REPS ?? Math.max(REPS, 5));
const BIG_INVENTORY = Number(env.BENCH_BIG_INVENTORY ?? 10000);
/** Another checkout of fleet, built: its `fleet check` runs beside this one ("before" and "after" in one run). */
const BASELINE = env.BENCH_BASELINE_ROOT ? resolve(env.BENCH_BASELINE_ROOT) : undefined;

/** Issue 19's fixed cost: start-up pieces, 1 and 20 hosts warm, one host out of a 10,000-host inventory. */
async function fixed(results: BenchResults, value: string): Promise<void> {
  const names = labHostNames(ctx.inventory);
  const pieces = await alternate('fixed cost', pieceContenders(ctx, BASELINE), { reps: Math.max(REPS, 5), log });
  const warmRows: Record<number, Row[]> = {};
  for (const k of [1, WARM_N]) {
    const baseline = BASELINE ? baselineContext(ctx, BASELINE, `warm${k}`) : undefined;
    warmRows[k] = await warm(`${k} hosts warm`, warmContenders(ctx, names.slice(0, k), baseline), WARM_REPS, log);
  }
  const filler = LAB.subnet.replace(/\.\d+\/\d+$/, '.250');
  const trace = await traceBig(ctx, names[0]!, BIG_INVENTORY, filler, REPS, value, BASELINE);
  log(`${BIG_INVENTORY}-host inventory, --limit ${names[0]}: ${trace.processes.join(', ')}`);
  results.fixed = { pieces, warm: warmRows, trace };
}

const ONLY = env.BENCH_ONLY?.split(',').map((s) => s.trim());

function only(entries: (Contender | Contender[])[]): (Contender | Contender[])[] {
  if (!ONLY) return entries;
  return entries
    .map((e) => (Array.isArray(e) ? e.filter((c) => ONLY.includes(c.name)) : ONLY.includes(e.name) ? e : []))
    .filter((e) => !Array.isArray(e) || e.length > 0);
}

let tornDown = false;
async function teardown(): Promise<void> {
  if (tornDown) return;
  tornDown = true;
  log('taking the bench lab down');
  await cold().catch(() => undefined);
  try {
    await labDown(LAB.dir, { prefix: LAB.prefix });
  } catch (e) {
    log(`lab down failed: ${(e as Error).message}; run: node dist/cli/main.js lab down --dir .lab-bench --prefix ${LAB.prefix}`);
  }
  rmSync(work, { recursive: true, force: true });
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    log(`${sig}: stopping`);
    void teardown().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  });
}

function save(results: BenchResults): void {
  writeFileSync(join(OUT_DIR, 'RESULTS.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(OUT_DIR, 'RESULTS.generated.md'), `${renderMarkdown(results)}\n`);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the bench needs root (the lab uses network namespaces)');
  mkdirSync(ctx.ansibleCp, { recursive: true });
  const results: BenchResults = { machine: await machine(), reps: REPS, lab: { prefix: LAB.prefix, subnet: LAB.subnet }, sizes: {}, skipped: [] };
  if (env.BENCH_APPEND === '1') {
    const before = JSON.parse(readFileSync(join(OUT_DIR, 'RESULTS.json'), 'utf8')) as BenchResults;
    results.sizes = before.sizes;
    if (before.planner) results.planner = before.planner;
    if (before.fixed) results.fixed = before.fixed;
    results.earlier = [...(before.earlier ?? []), before.machine];
  }
  log(`work dir ${work}; sizes ${sizes.join(',')}; ${REPS} repetitions; lab ${LAB.prefix} ${LAB.subnet}`);
  if (env.BENCH_PLANNER !== '0') results.planner = await planner();
  log(`planner: ${results.planner?.median.total.toFixed(0)} ms, ${results.planner?.maxRssMb.toFixed(0)} MB`);
  for (const n of sizes) {
    if (elapsed() > BUDGET_S) {
      results.skipped.push(`N=${n}: the time budget (${BUDGET_S} s) was spent before it started`);
      continue;
    }
    await size(results, n);
    // Save after every size: a long run stopped later keeps what it measured.
    results.machine.loadAfter = readFileSync('/proc/loadavg', 'utf8').trim();
    results.machine.durationS = elapsed();
    save(results);
  }
  results.machine.loadAfter = readFileSync('/proc/loadavg', 'utf8').trim();
  results.machine.durationS = elapsed();
  save(results);
  for (const t of targets(results)) process.stdout.write(`${t.met ? 'MET   ' : 'MISSED'} ${t.target}: ${t.value}\n`);
  log(`wrote ${join(OUT_DIR, 'RESULTS.json')} and RESULTS.generated.md`);
}

try {
  await main();
} catch (e) {
  log(`FAILED: ${(e as Error).stack ?? String(e)}`);
  process.exitCode = 1;
} finally {
  await teardown();
}
