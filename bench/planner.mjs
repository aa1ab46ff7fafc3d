// Planner and port-set benchmarks, in-process with fleet's pure functions (dist/).
// Run as a child of bench/run.mjs under /usr/bin/time so its peak RSS is measured alone.
// Prints one JSON document on stdout.
//   node bench/planner.mjs HOSTS GROUPS REPS
import { parsePolicyText } from '../dist/policy/index.js';
import { inlineInventory } from '../dist/inventory/inline.js';
import { planHosts } from '../dist/plan/desired.js';
import { renderProject } from '../dist/render/project.js';
import { fleetSettings } from '../dist/ansible/config.js';
import { difference, format, fromPorts, intersect, mustParse, union } from '../dist/ports/portset.js';

const [hostsArg = '10000', groupsArg = '500', repsArg = '5'] = process.argv.slice(2);
const HOSTS = Number(hostsArg);
const GROUPS = Number(groupsArg);
const REPS = Number(repsArg);

/** A policy with an inline inventory: HOSTS hosts, GROUPS groups, each host in 2 groups; per-group and per-host ports. */
export function policyText(hosts, groups) {
  const lines = ['version: 1', 'mode: exact', 'reserved_ports: 5000-10000', 'min_ephemeral_ports: 1000', 'inventory:', '  hosts:'];
  for (let i = 1; i <= hosts; i++) lines.push(`    h${i}: {}`);
  lines.push('  groups:');
  const members = Array.from({ length: groups }, () => []);
  for (let i = 1; i <= hosts; i++) {
    members[i % groups].push(`h${i}`);
    members[(i * 7 + 3) % groups].push(`h${i}`);
  }
  for (let g = 0; g < groups; g++) lines.push(`    g${g}: [${[...new Set(members[g])].join(', ')}]`);
  lines.push('groups:');
  for (let g = 0; g < groups; g++) lines.push(`  g${g}:`, `    reserved_ports: [${20000 + g}, "${40000 + 2 * g}-${40001 + 2 * g}"]`);
  lines.push('hosts:');
  for (let i = 1; i <= hosts; i += 50) lines.push(`  h${i}:`, `    reserved_ports: ${61000 + (i % 4000)}`);
  return lines.join('\n') + '\n';
}

const ms = (t0) => performance.now() - t0;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function planOnce(text) {
  const t = {};
  let t0 = performance.now();
  const { policy, errors } = parsePolicyText(text, '/tmp/bench-policy.yaml');
  if (!policy) throw new Error(`generated policy is invalid: ${JSON.stringify(errors.slice(0, 3))}`);
  t.validate = ms(t0);
  t0 = performance.now();
  const inventory = inlineInventory(policy.inventory, 'bench (inline)');
  const { plans } = planHosts(policy, inventory);
  t.plan = ms(t0);
  t0 = performance.now();
  const targets = plans.filter((p) => !p.refused).map((p) => ({ host: p.host, reserved: p.desired }));
  const files = renderProject({ policyLabel: 'bench.yaml', policy, targets, settings: fleetSettings({ user: {}, hosts: targets.length }), audit: false, version: 'bench' });
  t.render = ms(t0);
  t.total = t.validate + t.plan + t.render;
  t.hosts = plans.length;
  t.refused = plans.filter((p) => p.refused).length;
  t.bytes = files.reduce((n, f) => n + f.content.length, 0);
  return t;
}

function portAlgebra() {
  const odd = fromPorts(Array.from({ length: 32768 }, (_, i) => 2 * i + 1)); // 1,3,5,...,65535: 32768 ranges
  const even = fromPorts(Array.from({ length: 32767 }, (_, i) => 2 * i + 2)); // 32767 ranges
  const out = {};
  const time = (name, f) => {
    const xs = [];
    let r;
    for (let i = 0; i < REPS; i++) {
      const t0 = performance.now();
      r = f();
      xs.push(ms(t0));
    }
    out[name] = median(xs);
    return r;
  };
  const u = time('union', () => union(odd, even));
  const d = time('difference', () => difference(odd, even));
  time('intersect', () => intersect(odd, even));
  const text = time('format', () => format(odd));
  const back = time('parse', () => mustParse(text));
  if (u.length !== 1 || d.length !== odd.length || back.length !== odd.length) throw new Error('port algebra gave a wrong answer');
  out.ranges = odd.length;
  out.textBytes = text.length;
  return out;
}

const t0 = performance.now();
const text = policyText(HOSTS, GROUPS);
const genMs = ms(t0);
const runs = [];
for (let i = 0; i < REPS; i++) runs.push(planOnce(text));
const pick = (k) => median(runs.map((r) => r[k]));
const result = {
  hosts: HOSTS,
  groups: GROUPS,
  policyBytes: Buffer.byteLength(text),
  generateMs: genMs,
  first: runs[0],
  median: { validate: pick('validate'), plan: pick('plan'), render: pick('render'), total: pick('total') },
  refused: runs[0].refused,
  renderedBytes: runs[0].bytes,
  ports: portAlgebra(),
  heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20,
};
process.stdout.write(JSON.stringify(result) + '\n');
