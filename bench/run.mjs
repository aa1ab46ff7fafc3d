// fleet benchmarks: fleet against the hand-written way, on a local lab, same run, alternating.
//
//   npm run bench                 full run (N=10 and N=50, 50 ms latency at N=10)
//   BENCH_QUICK=1 npm run bench   smaller run (N=10 only, 3 repetitions, smaller planner)
//
// Environment: BENCH_REPS (default 5; 3 when quick), BENCH_SIZES (default "10,50"),
// BENCH_LATENCY_SIZES (default "10"; "" skips), BENCH_LATENCY_MS (default 50),
// BENCH_PLANNER_HOSTS (default 10000), BENCH_BUDGET_S (default 1080: optional sections
// are skipped past it), BENCH_OUT (default bench/RESULTS.md).
// Needs root (the lab uses network namespaces). Uses its own lab (.lab-bench, prefix
// fbench, 198.18.4.0/24) and always takes it down, even on failure or Ctrl-C.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import YAML from 'yaml';
import { labDown, labUp, setLatency } from '../dist/lab/index.js';
import { closeConnections } from '../dist/engine/connections.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const QUICK = env.BENCH_QUICK === '1';
const REPS = Number(env.BENCH_REPS ?? (QUICK ? 3 : 5));
const list = (v, d) => (v === undefined ? d : v.split(',').map((s) => s.trim()).filter(Boolean).map(Number));
const SIZES = list(env.BENCH_SIZES, QUICK ? [10] : [10, 50]);
const LATENCY_SIZES = list(env.BENCH_LATENCY_SIZES, [10]);
const LATENCY_MS = Number(env.BENCH_LATENCY_MS ?? 50);
const PLANNER_HOSTS = Number(env.BENCH_PLANNER_HOSTS ?? (QUICK ? 2000 : 10000));
const PLANNER_GROUPS = Math.max(1, Math.round(PLANNER_HOSTS / 20));
const BUDGET_S = Number(env.BENCH_BUDGET_S ?? 1080);
const OUT = resolve(ROOT, env.BENCH_OUT ?? 'bench/RESULTS.md');

const LAB = {
  dir: join(ROOT, '.lab-bench'),
  prefix: 'fbench',
  subnet: '198.18.4.0/24',
  inventory: join(ROOT, '.lab-bench', 'inventory.yml'),
};
const KEY = 'net.ipv4.ip_local_reserved_ports';
const PERSIST = '/etc/sysctl.d/90-fleet-reserved-ports.conf';
const FLEET = [process.execPath, join(ROOT, 'dist/cli/main.js')];
const WORK = mkdtempSync(join(tmpdir(), 'fleet-bench-'));
const ANSIBLE_CP = join(WORK, 'ansible-cp');
const POLICY = join(WORK, 'policy.yaml');
const STATE_CP = join(WORK, '.fleet', 'policy', 'cp');
const started = performance.now();
const elapsed = () => (performance.now() - started) / 1000;
const log = (m) => process.stderr.write(`bench [${elapsed().toFixed(0)}s] ${m}\n`);

/** Everything measured: section -> rows. */
const results = { sizes: {}, latency: {}, overhead: [], kex: [], planner: undefined, shard: undefined, skipped: [], notes: [] };

// ---------------------------------------------------------------- measuring

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Run one command under /usr/bin/time: wall and user+sys of the whole waited process tree. */
async function timed(cmd, args, opts = {}) {
  const tf = join(WORK, 'time.out');
  const r = await execa('/usr/bin/time', ['-f', '%e %U %S %M', '-o', tf, cmd, ...args], {
    reject: false,
    cwd: opts.cwd ?? WORK,
    env: { ...env, ...opts.env },
    stdin: 'ignore',
    timeout: opts.timeoutMs ?? 600_000,
  });
  const last = readFileSync(tf, 'utf8').trim().split('\n').at(-1) ?? '';
  const [wall, user, sys, rssKb] = last.split(/\s+/).map(Number);
  return { wall, user, sys, cpu: user + sys, rssKb, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

/** Close every ControlMaster so each measured command starts cold, as a scheduled run would. */
async function coldStart() {
  await closeConnections(STATE_CP);
  await closeConnections(ANSIBLE_CP);
}

/**
 * Run the contenders REPS times, rotating their order each repetition so
 * load changes hit all of them alike. Each contender is
 * { name, steps: [(rep) => timed(...)], before?, after?, check?(steps) -> error | undefined };
 * an array of contenders is a group that keeps its inner order.
 */
async function alternate(label, entries, reps = REPS) {
  const groups = entries.map((e) => (Array.isArray(e) ? e : [e]));
  const contenders = groups.flat();
  const samples = Object.fromEntries(contenders.map((c) => [c.name, []]));
  for (let rep = 0; rep < reps; rep++) {
    const order = groups.map((_, i) => groups[(i + rep) % groups.length]).flat();
    for (const c of order) {
      if (c.before) await c.before(rep);
      await coldStart();
      const steps = [];
      for (const step of c.steps) steps.push(await step(rep));
      const bad = c.check ? c.check(steps, rep) : undefined;
      if (bad) throw new Error(`${label}: ${c.name} (rep ${rep + 1}): ${bad}`);
      samples[c.name].push({
        wall: steps.reduce((n, s) => n + s.wall, 0),
        cpu: steps.reduce((n, s) => n + s.cpu, 0),
      });
      if (c.after) await c.after(rep);
    }
    log(`${label}: repetition ${rep + 1}/${reps} done`);
  }
  return contenders.map((c) => ({
    name: c.name,
    desc: c.desc,
    wall: median(samples[c.name].map((s) => s.wall)),
    cpu: median(samples[c.name].map((s) => s.cpu)),
    walls: samples[c.name].map((s) => s.wall),
  }));
}

// ---------------------------------------------------------------- contenders

function writePolicy(value) {
  writeFileSync(
    POLICY,
    [
      '# Generated by bench/run.mjs',
      'version: 1',
      'mode: exact',
      `reserved_ports: "${value}"`,
      'min_ephemeral_ports: 1000',
      `persist_file: ${PERSIST}`,
      `inventory: ${LAB.inventory}`,
      '',
    ].join('\n'),
  );
}

const fleet = (args) => () => timed(FLEET[0], [FLEET[1], ...args]);
const ansibleEnv = { ANSIBLE_SSH_CONTROL_PATH_DIR: ANSIBLE_CP, ANSIBLE_NOCOLOR: '1' };
const adhoc = (module, moduleArgs, extra = []) => () =>
  timed('ansible', ['-i', LAB.inventory, 'all', ...extra, '-m', module, '-a', moduleArgs], { env: ansibleEnv });
const adhocRead = (extra) => adhoc('command', `sysctl -n ${KEY}`, extra);
const adhocWrite = (value, extra) =>
  adhoc('ansible.posix.sysctl', `name=${KEY} value=${value} sysctl_set=yes reload=yes state=present sysctl_file=${PERSIST}`, extra);

function fleetReport(step) {
  try {
    return JSON.parse(step.stdout);
  } catch {
    return undefined;
  }
}

const expectCompliant = (n, changed) => (steps) => {
  const last = steps.at(-1);
  const doc = fleetReport(last);
  if (!doc) return `no JSON report (exit ${last.exitCode}): ${last.stderr.slice(-400)}`;
  if (doc.summary.compliant !== n) return `${doc.summary.compliant}/${n} compliant (exit ${last.exitCode})`;
  if (changed !== undefined && doc.summary.changed !== changed) return `${doc.summary.changed} changed, expected ${changed}`;
  return undefined;
};

const expectAdhoc = (n, value) => (steps) => {
  for (const s of steps) if (s.exitCode !== 0) return `exit ${s.exitCode}: ${(s.stdout + s.stderr).slice(-400)}`;
  const ok = (steps.at(-1).stdout.match(/\| (CHANGED|SUCCESS) \| rc=0 >>/g) ?? []).length;
  if (ok !== n) return `${ok}/${n} hosts answered`;
  if (value !== undefined && !steps.at(-1).stdout.includes(value)) return `read-back does not show ${value}`;
  return undefined;
};

/** Endpoints from the lab inventory (address and port: the latency proxy when one runs). */
function endpoints() {
  const doc = YAML.parse(readFileSync(LAB.inventory, 'utf8'));
  const out = [];
  for (const g of Object.values(doc.all.children ?? {})) for (const [name, v] of Object.entries(g.hosts ?? {})) out.push({ name, host: v.ansible_host, port: v.ansible_port ?? 22 });
  return { hosts: out, key: doc.all.vars.ansible_ssh_private_key_file, common: doc.all.vars.ansible_ssh_common_args.split(/\s+/) };
}

/** The shell loop people write: one ssh per host, one after the other. */
function sshLoopScript() {
  const { hosts, key, common } = endpoints();
  const q = (s) => `'${String(s).replaceAll("'", `'"'"'`)}'`;
  const opts = ['-i', key, ...common, '-o', 'BatchMode=yes'].map(q).join(' ');
  const lines = ['#!/bin/sh', 'set -e'];
  for (const h of hosts) lines.push(`ssh ${opts} -p ${h.port} root@${h.host} sysctl -n ${KEY}`);
  const path = join(WORK, 'ssh-loop.sh');
  writeFileSync(path, lines.join('\n') + '\n', { mode: 0o755 });
  return path;
}

let writeCounter = 0;
const nextValue = () => `5000-${10000 + ++writeCounter}`;

async function readBench(label, n) {
  const value = nextValue();
  writePolicy(value);
  const setup = await timed(FLEET[0], [FLEET[1], 'apply', POLICY, '--yes', '--json']);
  const bad = expectCompliant(n)([setup]);
  if (bad) throw new Error(`${label}: setting up the read value: ${bad}`);
  const loop = sshLoopScript();
  return alternate(`${label} read`, [
    { name: 'fleet check', desc: '`fleet check POLICY --json`', steps: [fleet(['check', POLICY, '--json'])], check: expectCompliant(n) },
    { name: 'ansible -m command', desc: "`ansible all -m command -a 'sysctl -n …'` (default forks 5)", steps: [adhocRead([])], check: expectAdhoc(n, value) },
    { name: `ansible -m command -f ${n}`, desc: `same, tuned: \`-f ${n}\``, steps: [adhocRead(['-f', String(n)])], check: expectAdhoc(n, value) },
    {
      name: 'ssh loop',
      desc: '`for h in …; do ssh $h sysctl -n …; done` (sequential, no ControlMaster)',
      steps: [() => timed('/bin/sh', [loop])],
      check: (s) => (s[0].exitCode === 0 && s[0].stdout.trim().split('\n').length === n ? undefined : `exit ${s[0].exitCode}: ${s[0].stderr.slice(-300)}`),
    },
  ]);
}

async function writeBenchPaired(label, n) {
  let value;
  return alternate(`${label} write`, [
    [
      {
        name: 'fleet apply',
        desc: '`fleet apply POLICY --yes --json` (read, apply, verify)',
        before: () => {
          value = nextValue();
          writePolicy(value);
        },
        steps: [fleet(['apply', POLICY, '--yes', '--json'])],
        check: expectCompliant(n, n),
      },
      // measured right after its own first apply (a group rotates as one)
      {
        name: 'fleet apply (no-op)',
        desc: 'the same `fleet apply` again right after, nothing to change (cold connections)',
        steps: [fleet(['apply', POLICY, '--yes', '--json'])],
        check: expectCompliant(n, 0),
      },
    ],
    {
      name: 'ansible sysctl + command',
      desc: '`ansible all -m ansible.posix.sysctl -a …` then `-m command` read (default forks 5)',
      before: () => {
        value = nextValue();
      },
      steps: [(r) => adhocWrite(value, [])(r), (r) => adhocRead([])(r)],
      check: (s) => expectAdhoc(n, value)(s),
    },
    {
      name: `ansible sysctl + command -f ${n}`,
      desc: `same, tuned: \`-f ${n}\``,
      before: () => {
        value = nextValue();
      },
      steps: [(r) => adhocWrite(value, ['-f', String(n)])(r), (r) => adhocRead(['-f', String(n)])(r)],
      check: (s) => expectAdhoc(n, value)(s),
    },
  ]);
}

// ---------------------------------------------------------------- other sections

async function kexBench() {
  const { hosts, key, common } = endpoints();
  const h = hosts[0];
  const conn = ['-i', key, ...common, '-o', 'BatchMode=yes', '-p', String(h.port), `root@${h.host}`];
  const cold = ['-o', 'ControlMaster=no', '-o', 'ControlPath=none'];
  const cm = join(WORK, 'kex-cm');
  const kexOf = async (extra) => {
    const r = await execa('ssh', ['-v', ...cold, ...extra, ...conn, 'true'], { reject: false });
    return /kex: algorithm: (\S+)/.exec(r.stderr)?.[1] ?? '?';
  };
  const defaultKex = await kexOf([]);
  const ok = (s) => (s[0].exitCode === 0 ? undefined : s[0].stderr);
  return alternate(
    'ssh key exchange',
    [
      { name: `ssh, default KEX (${defaultKex})`, steps: [() => timed('ssh', [...cold, ...conn, 'true'])], check: ok },
      { name: 'ssh -o KexAlgorithms=curve25519-sha256', steps: [() => timed('ssh', [...cold, '-o', 'KexAlgorithms=curve25519-sha256', ...conn, 'true'])], check: ok },
      {
        name: 'ssh over an open ControlMaster',
        before: () => execa('ssh', ['-f', '-N', '-o', `ControlPath=${cm}`, '-o', 'ControlMaster=yes', '-o', 'ControlPersist=30s', ...conn], { reject: false }),
        steps: [() => timed('ssh', ['-o', `ControlPath=${cm}`, '-o', 'ControlMaster=no', ...conn, 'true'])],
        after: () => execa('ssh', ['-o', `ControlPath=${cm}`, '-O', 'exit', 'x'], { reject: false }),
        check: ok,
      },
    ],
    Math.max(REPS * 2, 6),
  );
}

async function overheadBench(n) {
  return alternate(`startup costs (N=${n})`, [
    { name: 'ansible-playbook --version', steps: [() => timed('ansible-playbook', ['--version'])] },
    { name: 'ansible-inventory --list', steps: [() => timed('ansible-inventory', ['-i', LAB.inventory, '--list'])] },
    { name: 'fleet validate (node start-up + policy)', steps: [fleet(['validate', POLICY])] },
  ]);
}

async function shardCheck(n) {
  const a = join(WORK, 'shard-1.json');
  const b = join(WORK, 'shard-2.json');
  const s1 = await timed(FLEET[0], [FLEET[1], 'check', POLICY, '--shard', '1/2', '--json']);
  const s2 = await timed(FLEET[0], [FLEET[1], 'check', POLICY, '--shard', '2/2', '--json']);
  writeFileSync(a, s1.stdout);
  writeFileSync(b, s2.stdout);
  const m = await execa(FLEET[0], [FLEET[1], 'merge-reports', a, b, '--json'], { reject: false });
  const r1 = JSON.parse(s1.stdout);
  const r2 = JSON.parse(s2.stdout);
  const merged = JSON.parse(m.stdout);
  const names = merged.hosts.map((h) => h.host);
  const all = endpoints().hosts.map((h) => h.name);
  const once = new Set(names).size === names.length;
  const covers = all.every((h) => names.includes(h)) && names.length === all.length;
  return {
    n,
    shard1: r1.hosts.map((h) => h.host),
    shard2: r2.hosts.map((h) => h.host),
    mergedHosts: names.length,
    mergedCompliant: merged.summary.compliant,
    exitCodes: [s1.exitCode, s2.exitCode, m.exitCode],
    ok: once && covers && m.exitCode === 0 && r1.hosts.every((h) => !r2.hosts.some((x) => x.host === h.host)),
    walls: [s1.wall, s2.wall],
  };
}

async function plannerBench() {
  const r = await timed(process.execPath, [join(ROOT, 'bench/planner.mjs'), String(PLANNER_HOSTS), String(PLANNER_GROUPS), String(REPS)]);
  if (r.exitCode !== 0) throw new Error(`planner bench failed: ${r.stderr}`);
  const doc = JSON.parse(r.stdout.trim().split('\n').at(-1));
  // A source inventory of the same size goes through ansible-inventory --list first.
  const inv = { all: { children: {} } };
  for (let g = 0; g < PLANNER_GROUPS; g++) inv.all.children[`g${g}`] = { hosts: {} };
  for (let i = 1; i <= PLANNER_HOSTS; i++) inv.all.children[`g${i % PLANNER_GROUPS}`].hosts[`h${i}`] = null;
  const invFile = join(WORK, 'big-inventory.yml');
  writeFileSync(invFile, YAML.stringify(inv));
  const ai = await timed('ansible-inventory', ['-i', invFile, '--list']);
  return { ...doc, wallS: r.wall, cpuS: r.cpu, maxRssMb: r.rssKb / 1024, ansibleInventory: { wall: ai.wall, cpu: ai.cpu, rssMb: ai.rssKb / 1024, exitCode: ai.exitCode } };
}

// ---------------------------------------------------------------- machine and report

async function sh(cmd, args) {
  const r = await execa(cmd, args, { reject: false });
  return (r.stdout || r.stderr || '').trim();
}

async function machine() {
  const mem = /MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? '?',
    memGb: (Number(mem) / 2 ** 20).toFixed(1) || (totalmem() / 2 ** 30).toFixed(1),
    kernel: await sh('uname', ['-r']),
    node: process.version,
    ansible: (await sh('ansible', ['--version'])).split('\n')[0],
    ssh: await sh('ssh', ['-V']),
    loadBefore: readFileSync('/proc/loadavg', 'utf8').trim(),
  };
}

const f2 = (x) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(2));
const f1 = (x) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(1));
const ratio = (a, b) => (a && b ? a / b : NaN);

function table(rows, n, base) {
  const b = rows.find((r) => r.name === base) ?? rows[0];
  const out = ['| contender | wall median (s) | ratio to baseline | CPU median (s) | CPU per host (ms) | walls (s) |', '|---|---:|---:|---:|---:|---|'];
  for (const r of rows) {
    out.push(`| ${r.name} | ${f2(r.wall)} | ${f2(ratio(r.wall, b.wall))} | ${f2(r.cpu)} | ${n ? f1((r.cpu / n) * 1000) : '–'} | ${r.walls.map(f1).join(' ')} |`);
  }
  out.push('', `Baseline: ${b.name}.`);
  return out;
}

function targets() {
  const n = Math.max(...SIZES);
  const s = results.sizes[n];
  const v = [];
  const get = (rows, name) => rows?.find((r) => r.name === name);
  if (s?.read) {
    const c = get(s.read, 'fleet check');
    const a = get(s.read, 'ansible -m command');
    const t = get(s.read, `ansible -m command -f ${n}`);
    const r = ratio(c.wall, a.wall);
    v.push({ target: `fleet check ≤ 0.5× \`ansible -m command\` read (N=${n})`, value: `${f2(r)}× (vs tuned -f ${n}: ${f2(ratio(c.wall, t.wall))}×)`, met: r <= 0.5 });
  }
  if (s?.write) {
    const f = get(s.write, 'fleet apply');
    const h = get(s.write, 'ansible sysctl + command');
    const t = get(s.write, `ansible sysctl + command -f ${n}`);
    const r = ratio(f.wall, h.wall);
    v.push({ target: `fleet apply (apply+verify) ≤ 0.8× hand-written two steps (N=${n})`, value: `${f2(r)}× (vs tuned -f ${n}: ${f2(ratio(f.wall, t.wall))}×)`, met: r <= 0.8 });
  }
  if (results.planner) {
    const p = results.planner;
    v.push({
      target: `planner, ${p.hosts} hosts / ${p.groups} groups: validate+plan+render < 1 s and < 300 MB`,
      value: `${f1(p.median.total)} ms in-process (validate ${f1(p.median.validate)}, plan ${f1(p.median.plan)}, render ${f1(p.median.render)}); child process max RSS ${f1(p.maxRssMb)} MB`,
      met: p.median.total < 1000 && p.maxRssMb < 300,
    });
  }
  return v;
}

function markdown(m) {
  const L = [];
  L.push('# fleet benchmark results', '');
  L.push('Written by `npm run bench` (bench/run.mjs). Every comparison ran in the same run, contenders alternating');
  L.push(`(order rotated each repetition), ${REPS} repetitions, medians. Each measured command started with no SSH`);
  L.push('ControlMaster open (fleet\'s and Ansible\'s sockets closed first), like a scheduled run. Wall and CPU come from');
  L.push("`/usr/bin/time -f '%e %U %S'` around the command: CPU is user+sys of the whole waited process tree (Ansible's forks,");
  L.push('ssh clients). It does not include sshd on the lab hosts (they run on the same machine here, and compete for the');
  L.push('same 2 cores, which a real fleet would not), nor a ControlMaster\'s work after it detached.', '');
  L.push('## Machine', '');
  L.push(`- ${m.nproc} CPUs (${m.cpu}), ${m.memGb} GB RAM, kernel ${m.kernel}`);
  L.push(`- Node ${m.node}; ${m.ansible}; ${m.ssh}`);
  L.push(`- load average before: ${m.loadBefore}; after: ${m.loadAfter}`);
  L.push(`- run took ${f1(m.durationS)} s; started ${m.startedAt}`);
  L.push('- Load note: other engineers ran lab tests on this machine at the same time, so absolute times are noisy and');
  L.push('  inflated; ratios come from alternating runs in the same minutes and are the figures to read.', '');
  L.push('## Targets', '', '| target | measured | met |', '|---|---|---|');
  for (const t of targets()) L.push(`| ${t.target} | ${t.value} | ${t.met ? 'yes' : '**no**'} |`);
  L.push('');
  for (const n of Object.keys(results.sizes)) {
    const s = results.sizes[n];
    L.push(`## N=${n} hosts, no added latency`, '');
    if (s.read) L.push('### Read', '', ...table(s.read, Number(n), 'ansible -m command'), '');
    if (s.write) L.push('### Write (apply + verify)', '', ...table(s.write, Number(n), 'ansible sysctl + command'), '');
  }
  for (const n of Object.keys(results.latency)) {
    const s = results.latency[n];
    L.push(`## N=${n} hosts, ${LATENCY_MS} ms each way per host (lab latency proxy)`, '');
    if (s.read) L.push('### Read', '', ...table(s.read, Number(n), 'ansible -m command'), '');
    if (s.write) L.push('### Write (apply + verify)', '', ...table(s.write, Number(n), 'ansible sysctl + command'), '');
  }
  if (results.overhead.length) L.push('## Fixed costs per run', '', ...table(results.overhead, 0, 'ansible-playbook --version'), '');
  if (results.kex.length) {
    L.push('## SSH key exchange (one cold connection, `ssh HOST true`)', '', ...table(results.kex, 0, results.kex[0].name), '');
    L.push('fleet does not change the key exchange: it is the user\'s SSH configuration (`~/.ssh/config`, or');
    L.push('`ansible_ssh_common_args` in their inventory). See docs/scale.md for the trade-off.', '');
  }
  if (results.planner) {
    const p = results.planner;
    L.push(`## Planner: ${p.hosts} hosts, ${p.groups} groups, inline inventory (policy ${f1(p.policyBytes / 1024)} KiB)`, '');
    L.push('| phase | median (ms) | first run (ms) |', '|---|---:|---:|');
    for (const k of ['validate', 'plan', 'render', 'total']) L.push(`| ${k} | ${f1(p.median[k])} | ${f1(p.first[k])} |`);
    L.push('', `Child process (${REPS} plans + port algebra): wall ${f2(p.wallS)} s, CPU ${f2(p.cpuS)} s, max RSS ${f1(p.maxRssMb)} MB; rendered ${f1(p.renderedBytes / 1024)} KiB.`);
    L.push(`A source inventory of the same size goes through \`ansible-inventory --list\` first: ${f2(p.ansibleInventory.wall)} s wall, ${f2(p.ansibleInventory.cpu)} s CPU, ${f1(p.ansibleInventory.rssMb)} MB.`, '');
    L.push(`Port-set algebra, worst case (every other port: ${p.ports.ranges} ranges, ${p.ports.textBytes} bytes as text), median ms:`, '');
    L.push('| union (odd ∪ even) | difference | intersect | format | parse |', '|---:|---:|---:|---:|---:|');
    L.push(`| ${f2(p.ports.union)} | ${f2(p.ports.difference)} | ${f2(p.ports.intersect)} | ${f2(p.ports.format)} | ${f2(p.ports.parse)} |`, '');
  }
  if (results.shard) {
    const s = results.shard;
    L.push(`## Sharding end to end (N=${s.n})`, '');
    L.push(`\`fleet check POLICY --shard 1/2 --json\` took ${s.shard1.length} hosts (${s.shard1.join(', ')}), \`--shard 2/2\` took ${s.shard2.length} (${s.shard2.join(', ')});`);
    L.push(`\`fleet merge-reports a.json b.json --json\` gave ${s.mergedHosts} hosts, ${s.mergedCompliant} compliant, exit codes ${s.exitCodes.join('/')}: ${s.ok ? 'every host exactly once — OK' : '**FAILED**'}.`, '');
  }
  if (results.notes.length) L.push('## Notes', '', ...results.notes.map((n) => `- ${n}`), '');
  if (results.skipped.length) L.push('## Skipped', '', ...results.skipped.map((n) => `- ${n}`), '');
  return L.join('\n');
}

function printTables() {
  const p = (title, rows, n, base) => {
    process.stdout.write(`\n${title}\n${table(rows, n, base).join('\n')}\n`);
  };
  for (const [n, s] of Object.entries(results.sizes)) {
    if (s.read) p(`read, N=${n}`, s.read, Number(n), 'ansible -m command');
    if (s.write) p(`write, N=${n}`, s.write, Number(n), 'ansible sysctl + command');
  }
  for (const [n, s] of Object.entries(results.latency)) {
    if (s.read) p(`read, N=${n}, ${LATENCY_MS} ms`, s.read, Number(n), 'ansible -m command');
    if (s.write) p(`write, N=${n}, ${LATENCY_MS} ms`, s.write, Number(n), 'ansible sysctl + command');
  }
  if (results.overhead.length) p('fixed costs', results.overhead, 0, 'ansible-playbook --version');
  if (results.kex.length) p('ssh key exchange', results.kex, 0, results.kex[0].name);
  process.stdout.write('\ntargets\n');
  for (const t of targets()) process.stdout.write(`  ${t.met ? 'MET   ' : 'MISSED'} ${t.target}: ${t.value}\n`);
}

// ---------------------------------------------------------------- main

let tornDown = false;
async function teardown() {
  if (tornDown) return;
  tornDown = true;
  log('taking the bench lab down');
  await coldStart().catch(() => undefined);
  await execa('ssh', ['-o', `ControlPath=${join(WORK, 'kex-cm')}`, '-O', 'exit', 'x'], { reject: false }).catch(() => undefined);
  try {
    await labDown(LAB.dir, { prefix: LAB.prefix });
  } catch (e) {
    log(`lab down failed: ${e.message}; run: node dist/cli/main.js lab down --dir .lab-bench --prefix fbench`);
  }
  rmSync(WORK, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    log(`${sig}: stopping`);
    teardown().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  });
}

async function labSize(n, latencyMs) {
  log(`lab: ${n} hosts${latencyMs ? `, ${latencyMs} ms latency` : ''}`);
  const state = await labUp({ hosts: n, ...LAB });
  for (const h of state.hosts) await setLatency(h.name, latencyMs, LAB.dir);
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('the bench needs root (the lab uses network namespaces)');
  mkdirSync(ANSIBLE_CP, { recursive: true });
  const m = await machine();
  const startedAt = new Date().toISOString();
  log(`work dir ${WORK}; sizes ${SIZES.join(',')}; latency sizes ${LATENCY_SIZES.join(',') || 'none'}; ${REPS} repetitions`);

  results.planner = await plannerBench();
  log(`planner: ${f1(results.planner.median.total)} ms, ${f1(results.planner.maxRssMb)} MB`);

  for (const [i, n] of SIZES.entries()) {
    if (i > 0 && elapsed() > BUDGET_S * 0.5) {
      results.skipped.push(`N=${n}: time budget (${BUDGET_S} s) half spent before it started`);
      continue;
    }
    await labSize(n, 0);
    results.sizes[n] = {};
    results.sizes[n].read = await readBench(`N=${n}`, n);
    results.sizes[n].write = await writeBenchPaired(`N=${n}`, n);
    if (i === 0) {
      writePolicy(`5000-${10000 + writeCounter}`);
      results.shard = await shardCheck(n);
      results.kex = await kexBench();
    }
    if (n === Math.max(...SIZES)) results.overhead = await overheadBench(n);
  }
  for (const n of LATENCY_SIZES) {
    if (elapsed() > BUDGET_S * 0.75) {
      results.skipped.push(`latency at N=${n}: time budget (${BUDGET_S} s) mostly spent`);
      continue;
    }
    await labSize(n, LATENCY_MS);
    results.latency[n] = {};
    results.latency[n].read = await readBench(`N=${n} +${LATENCY_MS}ms`, n);
    results.latency[n].write = await writeBenchPaired(`N=${n} +${LATENCY_MS}ms`, n);
    await labSize(n, 0);
  }
  m.loadAfter = readFileSync('/proc/loadavg', 'utf8').trim();
  m.durationS = elapsed();
  m.startedAt = startedAt;
  printTables();
  writeFileSync(OUT, markdown(m) + '\n');
  writeFileSync(OUT.replace(/\.md$/, '.json'), JSON.stringify({ machine: m, reps: REPS, latencyMs: LATENCY_MS, ...results }, null, 2) + '\n');
  log(`wrote ${OUT}`);
}

try {
  await main();
} catch (e) {
  log(`FAILED: ${e.stack ?? e}`);
  process.exitCode = 1;
} finally {
  await teardown();
}
