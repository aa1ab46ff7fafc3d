import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { KEY_RANGE, KEY_RESERVED } from '../../src/ansible/scripts.js';
import { ExitCode, FleetError } from '../../src/errors.js';
import { DEFAULT_PERSIST_FILE, DEFAULT_PULL, type Policy } from '../../src/policy/types.js';
import { mustParse } from '../../src/ports/portset.js';
import { TARGET_GROUP, TASK, writeTasks } from '../../src/render/playbooks.js';
import type { HostTarget } from '../../src/render/project.js';
import { DRIFT_REASONS, policyDigest, PULL_FILES, PULL_READ, PULL_TASK, pullPlaybook, renderPullProject, type PullInput } from '../../src/render/pull.js';
import { checkExposition } from '../report/prom-format.js';
import { testPolicy } from '../support/policy.js';
import { onPath, quietAnsible } from '../support/tools.js';
import { sharedTempDir } from '../support/tmp.js';

const HAS_PLAYBOOK = await onPath('ansible-playbook');
const HAS_PROMTOOL = await onPath('promtool');

const policy = testPolicy;

const targets: HostTarget[] = [
  { host: 'web2', reserved: mustParse('5000,40000-40100') },
  { host: 'web1', reserved: mustParse('5000') },
  { host: 'db1', reserved: mustParse('5000,6000'), ephemeral: [20000, 60999] },
];

const input = (p: Policy = policy(), extra: Partial<PullInput> = {}): PullInput => ({
  policyLabel: 'policies/prod.yaml',
  policy: p,
  targets,
  version: '0.1.0',
  ...extra,
});
const file = (files: { path: string; content: string }[], path: string) => files.find((f) => f.path === path)!.content;

type Task = Record<string, unknown> & { name: string };
type Play = { hosts: string; tasks: Task[] };

describe('renderPullProject', () => {
  const files = renderPullProject(input());

  it('writes ansible.cfg naming its inventory, inventory.yml, local.yml and the textfile template; same input, same bytes', () => {
    expect(files.map((f) => f.path)).toEqual([PULL_FILES.cfg, PULL_FILES.inventory, PULL_FILES.playbook, PULL_FILES.textfile].sort());
    expect(file(files, PULL_FILES.cfg)).toMatch(/^inventory = inventory\.yml$/m);
    expect(renderPullProject(input(policy(), { targets: [...targets].reverse() }))).toEqual(files);
  });

  it('inventory: each host its canonical value as a string, localhost ungrouped (the not-governed path), connection local, textfile default', () => {
    const inv = parse(file(files, PULL_FILES.inventory), { version: '1.1' }) as {
      all: { vars: Record<string, string>; hosts: Record<string, unknown>; children: Record<string, { hosts: Record<string, Record<string, string>> }> };
    };
    expect(inv.all.hosts).toEqual({ localhost: {} });
    expect(inv.all.children[TARGET_GROUP]!.hosts).toEqual({
      db1: { fleet_reserved_ports: '5000,6000', fleet_port_range: '20000 60999' },
      web1: { fleet_reserved_ports: '5000' },
      web2: { fleet_reserved_ports: '5000,40000-40100' },
    });
    expect(inv.all.vars).toMatchObject({
      ansible_connection: 'local',
      fleet_persist_file: DEFAULT_PERSIST_FILE,
      fleet_textfile: DEFAULT_PULL.textfile,
      fleet_pull_mode: 'enforce',
      fleet_policy: 'prod',
      fleet_policy_sha256: policyDigest(policy(), targets),
      fleet_version: '0.1.0',
    });
  });

  it('the policy sets the textfile and the mode; --pull-mode overrides the mode', () => {
    const p = policy({ pull: { textfile: '/var/lib/node_exporter/textfile/ports.prom', mode: 'check' } });
    expect(file(renderPullProject(input(p)), PULL_FILES.inventory)).toContain('fleet_textfile: "/var/lib/node_exporter/textfile/ports.prom"');
    expect(file(renderPullProject(input(p)), PULL_FILES.inventory)).toContain('fleet_pull_mode: "check"');
    expect(file(renderPullProject(input(p, { mode: 'enforce' })), PULL_FILES.inventory)).toContain('fleet_pull_mode: "enforce"');
  });

  it('refuses additive mode with exit 2 (it needs each host read first)', () => {
    const run = () => renderPullProject(input(policy({ mode: 'additive' })));
    expect(run).toThrow(FleetError);
    expect(run).toThrow(/mode: exact/);
    try {
      run();
    } catch (e) {
      expect((e as FleetError).exitCode).toBe(ExitCode.invalid);
    }
  });
});

describe('policyDigest', () => {
  it('is sha256 hex, independent of host order, and changes with any host value, the mode or the persistence file', () => {
    const d = policyDigest(policy(), targets);
    expect(d).toMatch(/^[0-9a-f]{64}$/);
    expect(policyDigest(policy(), [...targets].reverse())).toBe(d);
    expect(policyDigest(policy(), [{ ...targets[0]!, reserved: mustParse('5000,40000-40101') }, ...targets.slice(1)])).not.toBe(d);
    expect(policyDigest(policy(), targets.slice(1))).not.toBe(d);
    expect(policyDigest(policy({ mode: 'additive' }), targets)).not.toBe(d);
    expect(policyDigest(policy({ persistFile: '/etc/sysctl.d/80-x.conf' }), targets)).not.toBe(d);
  });
});

describe('pullPlaybook', () => {
  const [governed, localhost] = pullPlaybook() as Play[];

  it("enforces with the pushed apply's own write tasks (imported), rescued so the textfile is always written", () => {
    expect(governed!.hosts).toBe(TARGET_GROUP);
    const enforce = governed!.tasks.find((t) => t.name === PULL_TASK.enforce)!;
    expect(enforce.when).toBe("fleet_pull_mode == 'enforce'");
    expect(enforce.block).toEqual(writeTasks(false));
    expect(enforce.rescue).toBeDefined();
  });

  it("a value longer than one kernel write gets the apply's whole-write task; short values do not", () => {
    const long = mustParse(Array.from({ length: 1000 }, (_, i) => String(10000 + 2 * i)).join(','));
    const playbook = (t: HostTarget[]) => parse(file(renderPullProject(input(policy(), { targets: t })), PULL_FILES.playbook), { version: '1.1' }) as Play[];
    const names = (t: HostTarget[]) => (playbook(t)[0]!.tasks.find((x) => x.name === PULL_TASK.enforce)!.block as Task[]).map((x) => x.name);
    expect(names([...targets, { host: 'big', reserved: long }])).toEqual([TASK.setSysctl, TASK.writeWhole]);
    expect(names(targets)).toEqual([TASK.setSysctl]);
  });

  it('reads one value per task (sysctl -n of each key, a slurp of the persistence file), judges, writes NAME.prom.tmp then renames it, and fails the run when not compliant', () => {
    expect(governed!.tasks.map((t) => t.name)).toEqual([
      PULL_TASK.enforce,
      PULL_TASK.readReserved,
      PULL_TASK.readRange,
      PULL_TASK.readPersist,
      PULL_TASK.judge,
      PULL_TASK.folder,
      PULL_TASK.write,
      PULL_TASK.publish,
      PULL_TASK.verdict,
    ]);
    const task = (name: string) => governed!.tasks.find((t) => t.name === name)!;
    expect(task(PULL_TASK.readReserved)).toMatchObject({
      'ansible.builtin.command': { argv: ['sysctl', '-n', KEY_RESERVED] },
      register: PULL_READ.reserved,
      failed_when: false,
      check_mode: false,
    });
    expect(task(PULL_TASK.readRange)).toMatchObject({
      'ansible.builtin.command': { argv: ['sysctl', '-n', KEY_RANGE] },
      register: PULL_READ.range,
      failed_when: false,
      check_mode: false,
    });
    expect(task(PULL_TASK.readPersist)).toMatchObject({
      'ansible.builtin.slurp': { src: '{{ fleet_persist_file }}' },
      register: PULL_READ.persist,
      failed_when: false,
    });
    expect(governed!.tasks.find((t) => t.name === PULL_TASK.write)!['ansible.builtin.template']).toMatchObject({ dest: '{{ fleet_textfile }}.tmp' });
    expect(governed!.tasks.find((t) => t.name === PULL_TASK.publish)!['ansible.builtin.command']).toEqual({
      argv: ['mv', '-f', '{{ fleet_textfile }}.tmp', '{{ fleet_textfile }}'],
    });
  });

  it('a host outside the inventory runs only the localhost play: it writes fleet_governed 0 and fails', () => {
    expect(localhost!.hosts).toBe('localhost');
    const t = localhost!.tasks[0]!;
    expect(String(t.when)).toContain(`intersect(groups['${TARGET_GROUP}']`);
    expect((t.block as Task[]).map((x) => x.name)).toEqual([PULL_TASK.folder, PULL_TASK.write, PULL_TASK.publish, PULL_TASK.verdict]);
  });
});

/**
 * The host-side judge run for real by ansible-playbook (connection local),
 * on crafted read-back outputs instead of a host's: only set_fact and
 * template tasks run, nothing touches a sysctl.
 */
describe.skipIf(!HAS_PLAYBOOK)('the host-side judge and textfile, run by Ansible on crafted read-backs', () => {
  const dir = sharedTempDir('pull-judge');

  // What the read tasks register (as ansible-core 2.14 does, checked by the real reads below): with
  // failed_when: false, `failed` is false whatever happened; command's rc/stdout/stderr (rc and msg
  // only when sysctl cannot be run), slurp's base64 content or only its failure message.
  const ran = (stdout: string) => ({ rc: 0, stdout, stderr: '', msg: '', failed: false, failed_when_result: false });
  const slurped = (text: string) => ({ content: Buffer.from(text).toString('base64'), encoding: 'base64', failed: false, failed_when_result: false });
  const slurpFailed = (msg: string) => ({ msg, failed: false, failed_when_result: false });
  const noSysctl = { rc: 2, cmd: ['sysctl'], msg: "[Errno 2] No such file or directory: b'sysctl'", failed: false, failed_when_result: false };
  const good = 'net.ipv4.ip_local_reserved_ports=5000-10000\nnet.ipv4.ip_local_port_range=1024 65000\n';
  const read = (reserved: string, range: string, persist: Record<string, unknown>) => ({
    [PULL_READ.reserved]: ran(reserved),
    [PULL_READ.range]: ran(range),
    [PULL_READ.persist]: persist,
  });
  const cases: Record<string, { rb: Record<string, unknown>; apply_error?: string; drift: string[]; message?: RegExp }> = {
    ok: { rb: read('5000-10000', '1024\t65000', slurped(good)), drift: [] },
    runtime: { rb: read('7000', '1024\t65000', slurped(good)), drift: ['runtime'] },
    absent: { rb: read('5000-10000', '1024\t65000', slurpFailed(`file not found: ${DEFAULT_PERSIST_FILE}`)), drift: ['persisted', 'port_range'] },
    stale_file: {
      rb: read(
        '5000-10000',
        '1024\t65000',
        slurped('net.ipv4.ip_local_reserved_ports = 5000-10000\nnet.ipv4.ip_local_reserved_ports=5000\nnet.ipv4.ip_local_port_range=1024 65000'),
      ),
      drift: ['persisted'],
    },
    range: { rb: read('5000-10000', '32768\t60999', slurped(good)), drift: ['port_range'] },
    unreadable: {
      rb: { ...read('', '', slurped(good)), [PULL_READ.reserved]: noSysctl, [PULL_READ.range]: noSysctl },
      drift: ['read_failed'],
      message: /^read-back failed: \[Errno 2\] No such file or directory/,
    },
    persist_unreadable: {
      rb: read('5000-10000', '1024\t65000', slurpFailed(`file is not readable: ${DEFAULT_PERSIST_FILE}`)),
      drift: ['read_failed'],
      message: /file is not readable/,
    },
    sysctl_error: { rb: read('5000-10000', '', slurped(good)), drift: ['read_failed'], message: /permission denied on key/ },
    failed: { rb: read('', '1024\t65000', slurped(good)), apply_error: 'Read-only file system: "/proc/sys/net"', drift: ['runtime', 'apply_failed'] },
  };
  (cases.sysctl_error!.rb[PULL_READ.range] as Record<string, unknown>) = {
    rc: 255,
    stdout: '',
    stderr: `sysctl: permission denied on key "${KEY_RANGE}"`,
    msg: 'non-zero return code',
    failed: false,
    failed_when_result: false,
  };

  it('gives every crafted state its drift reasons; the textfile passes the strict format check (and promtool); hostile values stay inside their labels', async () => {
    const [play] = pullPlaybook() as Play[];
    const keep = new Set<string>([PULL_TASK.judge, PULL_TASK.folder, PULL_TASK.write, PULL_TASK.publish]);
    const tasks = play!.tasks.filter((t) => keep.has(t.name));
    mkdirSync(join(dir, 'templates'), { recursive: true });
    const files = renderPullProject(input());
    writeFileSync(join(dir, PULL_FILES.textfile), file(files, PULL_FILES.textfile));
    // The real read tasks too, on this machine (read-only: sysctl -n, a slurp of a file in the temp folder).
    const reads = new Set<string>([PULL_TASK.readReserved, PULL_TASK.readRange, PULL_TASK.readPersist]);
    const realTasks = play!.tasks.filter((t) => reads.has(t.name) || keep.has(t.name));
    const machine = (await execa('sysctl', ['-n', KEY_RESERVED])).stdout.trim();
    writeFileSync(join(dir, 'present.conf'), `${KEY_RESERVED}=${machine}\n`);
    writeFileSync(
      join(dir, 'judge.yml'),
      stringify(
        [
          { hosts: 'crafted', connection: 'local', gather_facts: false, tasks },
          { hosts: 'real', connection: 'local', gather_facts: false, tasks: realTasks },
        ],
        { version: '1.1' },
      ),
    );
    const real = {
      real_absent: { fleet_persist_file: join(dir, 'absent.conf'), drift: ['persisted'] },
      real_present: { fleet_persist_file: join(dir, 'present.conf'), drift: [] as string[] },
    };
    const realHosts = Object.fromEntries(
      Object.entries(real).map(([name, r]) => [
        name,
        { fleet_persist_file: r.fleet_persist_file, fleet_textfile: join(dir, 'out', `${name}.prom`), fleet_reserved_ports: machine, fleet_policy: 'prod' },
      ]),
    );
    const hosts = Object.fromEntries(
      Object.entries(cases).map(([name, c]) => [
        name,
        {
          ...c.rb,
          fleet_textfile: join(dir, 'out', `${name}.prom`),
          fleet_reserved_ports: '5000-10000',
          fleet_port_range: '1024 65000',
          fleet_policy: 'prod "x"\\y',
          ...(c.apply_error ? { fleet_apply_error: c.apply_error } : {}),
        },
      ]),
    );
    writeFileSync(
      join(dir, 'inv.yml'),
      stringify({
        all: {
          vars: {
            ansible_connection: 'local',
            ansible_python_interpreter: 'auto_silent',
            fleet_pull_mode: 'check',
            fleet_version: '0.1.0',
            fleet_policy_sha256: 'abc',
          },
          children: { crafted: { hosts }, real: { hosts: realHosts } },
        },
      }),
    );
    const r = await execa('ansible-playbook', ['-i', 'inv.yml', 'judge.yml'], {
      cwd: dir,
      reject: false,
      env: { ...quietAnsible, ANSIBLE_FORKS: '10' },
      timeout: 120_000,
    });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    for (const [name, c] of Object.entries(cases)) {
      const text = readFileSync(join(dir, 'out', `${name}.prom`), 'utf8');
      const { problems, samples } = checkExposition(text);
      expect(problems, `${name}:\n${text}`).toEqual([]);
      const drift = samples.filter((s) => s.name === 'fleet_drift' && s.value === 1).map((s) => s.labels.reason);
      expect(drift.sort(), name).toEqual([...c.drift].sort());
      expect(samples.filter((s) => s.name === 'fleet_drift').map((s) => s.labels.reason)).toEqual([...DRIFT_REASONS]);
      expect(samples.find((s) => s.name === 'fleet_compliant')!.value, name).toBe(c.drift.length ? 0 : 1);
      const info = samples.find((s) => s.name === 'fleet_host_info')!;
      expect(info.labels).toMatchObject({ host: name, policy: 'prod "x"\\y', policy_sha256: 'abc', mode: 'check', desired: '5000-10000' });
      if (name === 'ok') expect(info.labels).toMatchObject({ current: '5000-10000', persisted: '5000-10000', port_range: '1024 65000', message: '' });
      if (name === 'absent') expect(info.labels.persisted).toBe('(absent)');
      if (name === 'failed') expect(info.labels.message).toBe(c.apply_error);
      if (c.message) expect(info.labels.message, name).toMatch(c.message);
      if (HAS_PROMTOOL) {
        const p = await execa('promtool', ['check', 'metrics'], { input: text, reject: false });
        expect(p.exitCode, p.stdout + p.stderr).toBe(0);
      }
    }
    for (const [name, r] of Object.entries(real)) {
      const text = readFileSync(join(dir, 'out', `${name}.prom`), 'utf8');
      const { problems, samples } = checkExposition(text);
      expect(problems, `${name}:\n${text}`).toEqual([]);
      expect(
        samples.filter((s) => s.name === 'fleet_drift' && s.value === 1).map((s) => s.labels.reason),
        `${name}:\n${text}`,
      ).toEqual(r.drift);
      expect(samples.find((s) => s.name === 'fleet_host_info')!.labels).toMatchObject({
        current: machine,
        persisted: name === 'real_absent' ? '(absent)' : machine,
        message: '',
      });
      if (HAS_PROMTOOL) {
        const p = await execa('promtool', ['check', 'metrics'], { input: text, reject: false });
        expect(p.exitCode, p.stdout + p.stderr).toBe(0);
      }
    }
  }, 150_000);
});
