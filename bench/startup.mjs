#!/usr/bin/env node
// Start-up cost of the fleet binary (issue 19): wall and CPU (user+sys) medians, and how many
// modules each command loads (an ESM load hook counts them; builtins and CommonJS requires from
// inside commander are not counted). Usage: node bench/startup.mjs [CLI=dist/cli/main.js] [runs=7]
// Plain JS on purpose: it measures a built dist/ (this one or another checkout's).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const cli = resolve(process.argv[2] ?? 'dist/cli/main.js');
const runs = Number(process.argv[3] ?? 7);
const policy = resolve('examples/policy.yaml');
const cases = [
  ['--help', ['--help']],
  ['validate', ['validate', policy]],
  ['check --help', ['check', '--help']],
];

const tmp = mkdtempSync(join(tmpdir(), 'fleet-startup-'));
const hooks = join(tmp, 'hooks.mjs');
const register = join(tmp, 'register.mjs');
writeFileSync(
  hooks,
  `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (!url.startsWith('node:')) appendFileSync(process.env.FLEET_MODULE_LOG, url + '\\n');
  return next(url, context);
}\n`,
);
writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(new URL(`file://${hooks}`).href)});\n`);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const [label, args] of cases) {
  const walls = [];
  const cpus = [];
  for (let i = 0; i < runs; i++) {
    // GNU time: %e wall, %U user, %S system seconds
    const out = spawnSync('/usr/bin/time', ['-f', 'T %e %U %S', process.execPath, cli, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
    }).stderr;
    const m = /T (\S+) (\S+) (\S+)\s*$/.exec(out);
    if (!m) throw new Error(`no timing in: ${out}`);
    walls.push(Number(m[1]));
    cpus.push(Number(m[2]) + Number(m[3]));
  }
  const log = join(tmp, `${label.replace(/\W+/g, '_')}.log`);
  writeFileSync(log, '');
  execFileSync(process.execPath, ['--import', register, cli, ...args], { stdio: 'ignore', env: { ...process.env, FLEET_MODULE_LOG: log } });
  const modules = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const own = modules.filter((u) => !u.includes('/node_modules/')).length;
  rows.push({ label, wall: median(walls), cpu: median(cpus), modules: modules.length, own, walls });
}
rmSync(tmp, { recursive: true, force: true });
console.log(`fleet start-up, ${cli}, medians of ${runs}`);
console.log('| command | wall median (s) | CPU median (s) | modules loaded (fleet own) | walls (s) |');
console.log('|---|---:|---:|---:|---|');
for (const r of rows) console.log(`| fleet ${r.label} | ${r.wall.toFixed(2)} | ${r.cpu.toFixed(2)} | ${r.modules} (${r.own}) | ${r.walls.join(' ')} |`);
