/**
 * fleet's boot prediction against the real program (issue 10): generated sets
 * of sysctl.d files (names with `:` and spaces, masks by /dev/null symlink and
 * by same name, CRLF, comments, both keys, duplicates, U+00A0, slash keys,
 * `-` prefixes, invalid values) are written into a lab host's own sysctl.d
 * folders; fleet reads them over ssh with its real read-back script and
 * parser and predicts both keys; `/lib/systemd/systemd-sysctl --prefix=…` run
 * inside the host's namespaces is the oracle; `sysctl -n` there is the truth.
 * The machine's own values of both keys are asserted unchanged.
 */
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KEY_RANGE, KEY_RESERVED, readScript } from '../../src/ansible/scripts.js';
import { run } from '../../src/io/exec.js';
import { predictBoot, type BootKey, type BootPrediction } from '../../src/verify/boot.js';
import { parseReadback } from '../../src/verify/readback.js';
import { sshArgv } from '../../src/lab/index.js';
import { describeLab, hostNames, inHostBoot, lab, labHost, resetAll } from './helpers.js';

/** The folders a lab host has of its own (/lib/sysctl.d is /usr/lib/sysctl.d on this merged-/usr machine). */
const DIRS = ['/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d'];
const SETS = 400;
const SEED = 20261127;
/** Values set before the oracle runs: a key no file sets (or whose value the kernel refuses) keeps them. */
const SENTINEL: Record<BootKey, string> = { reserved: '1', range: '1111 22222' };

type Entry = { dir: string; name: string; kind: 'file'; text: string } | { dir: string; name: string; kind: 'devnull' | 'dangling' };

const ws = fc.constantFrom('', '', ' ', '\t', '  \t ', '\u00a0');
const reservedKey = fc.constantFrom(
  KEY_RESERVED,
  KEY_RESERVED,
  'net/ipv4/ip_local_reserved_ports',
  '/net/ipv4/ip_local_reserved_ports',
  'net.ipv4/ip_local_reserved_ports',
  'net.ipv4.ip_local_reserved_portsX',
  'net.ipv4.ip_local_reserved_port?',
);
const rangeKey = fc.constantFrom(KEY_RANGE, KEY_RANGE, 'net/ipv4/ip_local_port_range', 'net.ipv4/ip_local_port_range');
const reservedValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('5000-6000', '7000', '9000,8000-8100', '8000-8100,8050', '40000-40100,41000', '1000,1002-1004,1003') },
  { weight: 1, arbitrary: fc.constantFrom('', '5000, 6000', '70000', '6000-5000', '"7000"', '\u00a07000', '7000\u00a0') },
);
const rangeValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('32768 60999', '1024 65000', '1024\t65000', '20000   60000', '2000 3000', '10000 10000') },
  { weight: 1, arbitrary: fc.constantFrom('60999 32768', '1024-65000', '\u00a01024 65000', '"1024 65000"', '0 1000', '1024 70000') },
);
const assignment = fc
  .tuple(fc.constantFrom('', '', '-'), ws, fc.oneof(fc.tuple(reservedKey, reservedValue), fc.tuple(rangeKey, rangeValue)), ws, ws, ws)
  .map(([dash, w1, [key, value], w2, w3, w4]) => `${w1}${dash}${key}${w2}=${w3}${value}${w4}`);
const line = fc.oneof(
  { weight: 10, arbitrary: assignment },
  { weight: 1, arbitrary: assignment.map((a) => `# ${a}`) },
  { weight: 1, arbitrary: assignment.map((a) => `;${a}`) },
  { weight: 1, arbitrary: fc.constantFrom(`-${KEY_RESERVED}`, `-${KEY_RANGE}`, '', 'not an assignment', 'net.core.somaxconn = 4096') },
);
const content = fc
  .tuple(fc.array(line, { minLength: 1, maxLength: 6 }), fc.constantFrom('\n', '\r\n', '\r'), fc.boolean())
  .map(([ls, eol, final]) => ls.join(eol) + (final && ls.length ? eol : ''));
const NAMES = [
  '10-early.conf',
  '50-vendor.conf',
  '90-fleet-reserved-ports.conf',
  '99-app:v2.conf',
  '99 tuning.conf',
  '99-sysctl.conf',
  '99-é.conf',
  'Z.conf',
  'zz.conf',
  '.hidden.conf',
  'notes.txt',
];
const entry: fc.Arbitrary<Entry> = fc
  .record({
    dir: fc.constantFrom(...DIRS),
    name: fc.constantFrom(...NAMES),
    k: fc.constantFrom('file', 'file', 'file', 'file', 'devnull', 'dangling'),
    text: content,
  })
  .map(({ dir, name, k, text }) => (k === 'file' ? { dir, name, kind: 'file', text } : { dir, name, kind: k as 'devnull' | 'dangling' }));
const fileSet = fc.uniqueArray(entry, { minLength: 1, maxLength: 7, selector: (e) => `${e.dir}/${e.name}` });

/**
 * Runs inside the host's namespaces (inHostBoot refuses unless every boot
 * folder is the host's own mount): replaces their content with the staged
 * one, sets the sentinels, runs systemd-sysctl for the two keys, prints the result.
 */
const ORACLE = [
  'i=0; for d in ' + DIRS.join(' ') + '; do find "$d" -mindepth 1 -delete; cp -a "$1/$i/." "$d/"; i=$((i+1)); done',
  `sysctl -q -w ${KEY_RESERVED}="$2" ${KEY_RANGE}="$3"`,
  `/lib/systemd/systemd-sysctl --prefix=/net/ipv4/ip_local_reserved_ports --prefix=/net/ipv4/ip_local_port_range 2>/dev/null || true`,
  `echo "$(sysctl -n ${KEY_RESERVED})"; sysctl -n ${KEY_RANGE}`,
].join('\n');

function stage(dir: string, set: Entry[]): void {
  rmSync(dir, { recursive: true, force: true });
  for (let i = 0; i < DIRS.length; i++) mkdirSync(join(dir, String(i)), { recursive: true });
  for (const e of set) {
    const path = join(dir, String(DIRS.indexOf(e.dir)), e.name);
    if (e.kind === 'file') writeFileSync(path, e.text);
    else symlinkSync(e.kind === 'devnull' ? '/dev/null' : '/nonexistent/fleet-oracle', path);
  }
}

/** What the key holds after the oracle ran, as fleet predicts it. */
function expected(p: BootPrediction): string {
  return p.file === undefined || p.written === undefined || p.rejected ? SENTINEL[p.key] : p.value!;
}

interface Outcome {
  set: Entry[];
  oracle: Record<BootKey, string>;
  predicted: Record<BootKey, string>;
  prediction: Record<BootKey, BootPrediction>;
}

async function runOne(host: string, staging: string, set: Entry[]): Promise<Outcome> {
  stage(staging, set);
  const o = await inHostBoot(host, ORACLE, [staging, SENTINEL.reserved, SENTINEL.range]);
  const [reserved = '', range = ''] = o.stdout.split('\n');
  const script = readScript(false).replaceAll('{{ fleet_persist_file | quote }}', "'/etc/sysctl.d/90-fleet-reserved-ports.conf'");
  const r = await run('ssh', [...controlOpts(host), ...sshArgv(lab(), labHost(host), script)], { timeoutMs: 20_000 });
  const parsed = parseReadback(r.stdout);
  if (!parsed.ok) throw new Error(`read-back on ${host}: ${parsed.error}`);
  const prediction = {
    reserved: predictBoot(parsed.observed.files, 'reserved', parsed.observed.unreadableDirs),
    range: predictBoot(parsed.observed.files, 'range', parsed.observed.unreadableDirs),
  };
  return {
    set,
    oracle: { reserved, range: range.replace(/\s+/g, ' ').trim() },
    predicted: { reserved: expected(prediction.reserved), range: expected(prediction.range) },
    prediction,
  };
}

/** One SSH master per host for the whole test: a full handshake per file set would cost more than the sets. */
function controlOpts(host: string): string[] {
  return ['-o', 'ControlMaster=auto', '-o', `ControlPath=${join(lab().dir, `cm-${host}`)}`, '-o', 'ControlPersist=60'];
}

async function machineValues(): Promise<string> {
  const r = await run('sysctl', ['-n', KEY_RESERVED, KEY_RANGE]);
  return r.stdout;
}

describeLab('boot prediction = systemd-sysctl (oracle)', () => {
  let machineBefore = '';
  beforeAll(async () => {
    machineBefore = await machineValues();
  });
  afterAll(async () => {
    for (const h of hostNames()) {
      // sshArgv ends with `user@address -- command`; `-O exit` takes the destination only
      const argv = sshArgv(lab(), labHost(h), 'true');
      await run('ssh', [...controlOpts(h), '-O', 'exit', ...argv.slice(0, -2)]);
    }
    await resetAll();
    for (const h of hostNames()) rmSync(join(lab().dir, `oracle-${h}`), { recursive: true, force: true });
  });

  it(`${SETS} generated file sets (seed ${SEED}): fleet's predicted boot value of both keys equals what systemd-sysctl sets`, async () => {
    const sets = fc.sample(fileSet, { seed: SEED, numRuns: SETS });
    const hosts = hostNames();
    const outcomes: Outcome[] = [];
    await Promise.all(
      hosts.map(async (host, w) => {
        const staging = join(lab().dir, `oracle-${host}`);
        for (let i = w; i < sets.length; i += hosts.length) outcomes.push(await runOne(host, staging, sets[i]!));
      }),
    );
    expect(outcomes).toHaveLength(SETS);
    const wrong = outcomes.filter((o) => o.oracle.reserved !== o.predicted.reserved || o.oracle.range !== o.predicted.range);
    expect(wrong.slice(0, 3), JSON.stringify(wrong.slice(0, 3), null, 1)).toEqual([]);
    // the generator really exercises both keys: at least 200 sets in which a file decides each key,
    // values the kernel takes and values it refuses
    for (const key of ['reserved', 'range'] as const) {
      expect(outcomes.filter((o) => o.prediction[key].file !== undefined).length).toBeGreaterThanOrEqual(200);
      expect(outcomes.filter((o) => o.prediction[key].rejected).length).toBeGreaterThan(20);
      expect(new Set(outcomes.map((o) => o.oracle[key])).size).toBeGreaterThan(4);
    }
    expect(await machineValues()).toBe(machineBefore);
  }, 300_000);
});
