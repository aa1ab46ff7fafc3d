/**
 * Fixed cost (issue 19): what a run pays whatever the fleet size, small runs
 * on warm connections, and how many processes and inventory parses one
 * `fleet check --limit HOST` costs against a 10,000-host static inventory.
 * Contenders only; measuring is measure.ts, reporting is fixedMarkdown below
 * (pure) called from report.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { type BenchContext, expectCompliant, fleet, KEY, writePolicy } from './contenders.js';
import { alternate, type Contender, type Row, type Timed, timed } from './measure.js';

export interface FixedResults {
  /** Start-up pieces, each alone. */
  pieces: Row[];
  /** `fleet check` against `ansible -m raw` on the same hosts, connections warm, by host count. */
  warm: Record<number, Row[]>;
  trace?: TraceResult;
}

export interface TraceResult {
  inventoryHosts: number;
  /** Programs fleet started for one `fleet check --limit HOST`, in order. */
  processes: string[];
  inventoryParses: number;
  fleet: Row;
  ansible: Row;
  baseline?: Row;
}

const adhocRaw = (inventory: string, pattern: string, forks: number, cp: string) => (): Promise<Timed> =>
  timed('ansible', ['-i', inventory, pattern, '-f', String(forks), '-m', 'raw', '-a', `sysctl -n ${KEY}`], {
    env: { ANSIBLE_SSH_CONTROL_PATH_DIR: cp, ANSIBLE_NOCOLOR: '1' },
  });

const ok = (s: Timed[]) => (s.every((x) => x.exitCode === 0) ? undefined : `exit ${s.map((x) => x.exitCode).join(',')}: ${s.at(-1)!.stderr.slice(-300)}`);

/** Each start-up piece alone: Node, Node + policy load, inventory listing, playbook start-up. */
export function pieceContenders(ctx: BenchContext, baselineRoot?: string): Contender[] {
  const noop = join(ctx.work, 'noop.yml');
  writeFileSync(noop, '- hosts: localhost\n  gather_facts: false\n  tasks: []\n');
  return [
    { name: 'node start-up', desc: '`node -e 0`', steps: [() => timed(process.execPath, ['-e', '0'])], check: ok },
    { name: 'fleet --help', desc: '`fleet --help` (Node + the CLI, no command)', steps: [fleet(ctx, ['--help'])], check: ok },
    { name: 'fleet validate', desc: '`fleet validate POLICY` (Node + CLI + policy load)', steps: [fleet(ctx, ['validate', ctx.policy])], check: ok },
    ...(baselineRoot
      ? [
          { name: 'fleet --help (baseline)', desc: 'the same, baseline build', steps: [fleet({ ...ctx, root: baselineRoot }, ['--help'])], check: ok },
          {
            name: 'fleet validate (baseline)',
            desc: 'the same, baseline build',
            steps: [fleet({ ...ctx, root: baselineRoot }, ['validate', ctx.policy])],
            check: ok,
          },
        ]
      : []),
    {
      name: 'ansible-inventory --list',
      desc: 'the bench inventory listed once',
      steps: [() => timed('ansible-inventory', ['-i', ctx.inventory, '--list'])],
      check: ok,
    },
    {
      name: 'ansible-playbook start-up',
      desc: 'a play with no tasks on localhost (Python, Ansible, plugins, inventory parse)',
      steps: [() => timed('ansible-playbook', ['-i', ctx.inventory, noop])],
      check: ok,
    },
  ];
}

/** The name of the playbook floor: a bare play of one raw task, what any tool that runs ansible-playbook pays at least. */
export const PLAYBOOK_FLOOR = 'ansible-playbook, one raw task';

/**
 * `fleet check --limit` against `ansible PATTERN -m raw` on the same hosts,
 * and the playbook floor beside them (a play of one raw task, no fleet);
 * callers keep connections warm.
 */
export function warmContenders(ctx: BenchContext, hosts: string[], baseline?: BenchContext): Contender[] {
  const pattern = hosts.join(',');
  const play = join(ctx.work, 'raw-play.yml');
  writeFileSync(play, `- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.raw: sysctl -n ${KEY}\n`);
  return [
    ...(baseline ? [baselineCheck(baseline, ['--limit', pattern], hosts.length)] : []),
    {
      name: 'fleet check',
      desc: `\`fleet check POLICY --limit <${hosts.length} hosts> --json\``,
      steps: [fleet(ctx, ['check', ctx.policy, '--limit', pattern, '--json'])],
      check: expectCompliant(hosts.length),
    },
    {
      name: 'fleet check, no early start',
      desc: 'the same with FLEET_NO_PRELAUNCH=1: ansible-playbook starts only after the policy is validated and the project rendered',
      steps: [fleet(ctx, ['check', ctx.policy, '--limit', pattern, '--json'], undefined, { FLEET_NO_PRELAUNCH: '1' })],
      check: expectCompliant(hosts.length),
    },
    {
      name: 'ansible -m raw',
      desc: `\`ansible <same hosts> -f ${hosts.length} -m raw -a 'sysctl -n …'\``,
      steps: [adhocRaw(ctx.inventory, pattern, hosts.length, ctx.ansibleCp)],
      check: ok,
    },
    {
      name: PLAYBOOK_FLOOR,
      desc: `\`ansible-playbook -l <same hosts> -f ${hosts.length}\` of a play with one \`raw\` task (no fleet, Ansible's default output)`,
      steps: [
        () =>
          timed('ansible-playbook', ['-i', ctx.inventory, '-l', pattern, '-f', String(hosts.length), play], {
            env: { ANSIBLE_SSH_CONTROL_PATH_DIR: ctx.ansibleCp, ANSIBLE_NOCOLOR: '1' },
          }),
      ],
      check: ok,
    },
  ];
}

/**
 * The same check run by another build of fleet (BENCH_BASELINE_ROOT: a checkout
 * of the commit before the change, built): "before" and "after" in one run.
 * Its own policy file, so its own state folder.
 */
export function baselineContext(ctx: BenchContext, root: string, name: string): BenchContext {
  const policy = join(ctx.work, `${name}-baseline.yaml`);
  writeFileSync(policy, readFileSync(ctx.policy));
  return { ...ctx, root, policy };
}

function baselineCheck(b: BenchContext, args: string[], n: number): Contender {
  return {
    name: 'fleet check (baseline)',
    desc: `the same \`fleet check\` run by the baseline build (${b.root})`,
    steps: [fleet(b, ['check', b.policy, ...args, '--json'])],
    check: expectCompliant(n),
  };
}

/** The lab inventory's host names, in the order the lab made them. */
export function labHostNames(inventory: string): string[] {
  const doc = YAML.parse(readFileSync(inventory, 'utf8')) as { all: { children?: Record<string, { hosts?: Record<string, unknown> }> } };
  const names = Object.values(doc.all.children ?? {}).flatMap((g) => Object.keys(g.hosts ?? {}));
  return [...new Set(names)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/**
 * The lab inventory plus filler hosts up to `total`, addressed inside the lab's
 * own subnet and never contacted (the runs use --limit): a large static inventory.
 */
export function bigInventory(ctx: BenchContext, total: number, fillerAddress: string): string {
  const doc = YAML.parse(readFileSync(ctx.inventory, 'utf8')) as { all: { children: Record<string, { hosts: Record<string, unknown> }> } };
  const have = labHostNames(ctx.inventory).length;
  const filler: Record<string, unknown> = {};
  for (let i = 1; i <= total - have; i++) filler[`filler-${i}`] = { ansible_host: fillerAddress };
  doc.all.children.filler = { hosts: filler };
  const path = join(ctx.work, `inventory-${total}.yml`);
  writeFileSync(path, YAML.stringify(doc, { version: '1.1', lineWidth: 0 }));
  return path;
}

const PARSERS = new Set(['ansible-inventory', 'ansible-playbook', 'ansible']);

/** One traced `fleet check --limit HOST` on the big inventory, then timings of it against `ansible HOST -m raw`. */
export async function traceBig(
  ctx: BenchContext,
  host: string,
  total: number,
  fillerAddress: string,
  reps: number,
  value: string,
  baselineRoot?: string,
): Promise<TraceResult> {
  const inventory = bigInventory(ctx, total, fillerAddress);
  const big: BenchContext = { ...ctx, inventory, policy: join(ctx.work, 'policy-big.yaml') };
  writePolicy(big, value);
  // One untraced run first: the state folder's caches (environment, ansible-config) are warm in a scheduled check.
  await fleet(big, ['check', big.policy, '--limit', host, '--json'])();
  const traceFile = join(ctx.work, 'trace.jsonl');
  writeFileSync(traceFile, '');
  const traced = await timed(process.execPath, [join(ctx.root, 'dist/cli/main.js'), 'check', big.policy, '--limit', host, '--json'], {
    env: { FLEET_TRACE_EXEC: traceFile },
  });
  const bad = expectCompliant(1)([traced]);
  if (bad) throw new Error(`big-inventory trace: ${bad}`);
  const started = readFileSync(traceFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { cmd: string; args: string[]; speculative?: boolean });
  const processes = started.map((p) =>
    [p.cmd.split('/').at(-1)!, ...(p.speculative ? ['(early start)'] : []), ...p.args.filter((a) => a.startsWith('--') && !a.includes('='))].join(' '),
  );
  // A process parses the inventory when it is one of Ansible's inventory readers, not asked only for its version.
  const parses = started.filter((p) => PARSERS.has(p.cmd.split('/').at(-1)!) && !p.args.includes('--version')).length;
  const baseline = baselineRoot ? baselineContext(big, baselineRoot, 'big') : undefined;
  const rows = await alternate(
    `${total}-host inventory, --limit ${host}`,
    [
      ...(baseline ? [baselineCheck(baseline, ['--limit', host], 1)] : []),
      {
        name: 'fleet check --limit',
        desc: `\`fleet check POLICY --limit ${host}\`, ${total}-host static inventory`,
        steps: [fleet(big, ['check', big.policy, '--limit', host, '--json'])],
        check: expectCompliant(1),
      },
      {
        name: 'ansible -m raw',
        desc: `\`ansible -i INVENTORY ${host} -m raw\`, same inventory`,
        steps: [adhocRaw(inventory, host, 1, ctx.ansibleCp)],
        check: ok,
      },
    ],
    { reps },
  );
  const row = (name: string) => rows.find((r) => r.name === name);
  return {
    inventoryHosts: total,
    processes,
    inventoryParses: parses,
    fleet: row('fleet check --limit')!,
    ansible: row('ansible -m raw')!,
    ...(baseline ? { baseline: row('fleet check (baseline)')! } : {}),
  };
}

/** Warm runs: one unmeasured run of each contender opens the connections, then the measured repetitions. */
export async function warm(label: string, contenders: Contender[], reps: number, log: (m: string) => void): Promise<Row[]> {
  await alternate(`${label} (warming)`, contenders, { reps: 1 });
  return alternate(label, contenders, { reps, log });
}

const f2 = (x: number) => (Number.isNaN(x) ? '–' : x.toFixed(2));

/** The fixed-cost sections of RESULTS.generated.md. */
export function fixedMarkdown(f: FixedResults): string[] {
  const L = ['## Fixed cost per run (issue 19)', '', '| piece | wall median (s) | CPU median (s) | walls (s) |', '|---|---:|---:|---|'];
  for (const r of f.pieces) L.push(`| ${r.name} | ${f2(r.wall)} | ${f2(r.cpu)} | ${r.walls.map(f2).join(' ')} |`);
  L.push('', f.pieces.map((r) => `${r.name}: ${r.desc}`).join('; ') + '.', '');
  L.push(
    '### fleet check against `ansible -m raw`, same hosts, connections warm',
    '',
    '| hosts | contender wall (s) | ansible -m raw wall (s) | ratio wall | contender CPU (s) | ansible CPU (s) | ratio CPU |',
    '|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const [n, rows] of Object.entries(f.warm)) {
    const b = rows.find((r) => r.name === 'ansible -m raw');
    for (const a of rows.filter((r) => r.name.startsWith('fleet check') || r.name === PLAYBOOK_FLOOR)) {
      if (b) L.push(`| ${n} (${a.name}) | ${f2(a.wall)} | ${f2(b.wall)} | ${f2(a.wall / b.wall)}× | ${f2(a.cpu)} | ${f2(b.cpu)} | ${f2(a.cpu / b.cpu)}× |`);
    }
  }
  L.push('');
  const t = f.trace;
  if (t) {
    L.push(`### One host out of a ${t.inventoryHosts}-host static inventory`, '');
    L.push(
      `Processes fleet started (FLEET_TRACE_EXEC): ${t.processes.map((p) => `\`${p}\``).join(', ') || 'none'} — ${t.inventoryParses} inventory parse${t.inventoryParses === 1 ? '' : 's'}.`,
      '',
    );
    L.push(`| contender | wall median (s) | CPU median (s) |`, '|---|---:|---:|');
    for (const r of [t.fleet, t.ansible, ...(t.baseline ? [t.baseline] : [])]) L.push(`| ${r.name} | ${f2(r.wall)} | ${f2(r.cpu)} |`);
    L.push('');
  }
  return L;
}
