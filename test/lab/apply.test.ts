/**
 * fleet apply and fleet plan end to end on the lab (issue: plan and apply).
 * Every expectation about a host is checked on the host itself over ssh,
 * independently of fleet's own verification.
 */
import { beforeEach, expect, it } from 'vitest';
import { describeLab, driftSysctl, lab, resetAll, setReadOnly, sshHost, stopHost } from './helpers.js';
import { join } from 'node:path';
import { run } from '../../src/io/exec.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { fleet, hostResult, onTerminal, why, workDir, writePolicy } from './fleet.js';
import { HEADER_TASK } from '../../src/render/header.js';
import { TASK } from '../../src/render/playbooks.js';

const PERSIST = '/etc/sysctl.d/90-fleet-reserved-ports.conf';
const read = async (h: string) => (await sshHost(h, 'sysctl -n net.ipv4.ip_local_reserved_ports')).trim();
// without fleet's header line (version, policy sha256, time of the apply)
const persisted = async (h: string) => (await sshHost(h, `grep -v -e '^# Managed by fleet ' -e '^# fleet owns:' ${PERSIST} 2>/dev/null || true`)).trim();

// company 40000-40100; web (h1-h3) adds 41000-41010; db (h4-h6) adds 42000; h2 adds 43000
const basePolicy = {
  reserved_ports: '40000-40100',
  groups: { web: { reserved_ports: '41000-41010' }, db: { reserved_ports: 42000 } },
  hosts: { h2: { reserved_ports: 43000 } },
};
const expected: Record<string, string> = {
  h1: '40000-40100,41000-41010',
  h2: '40000-40100,41000-41010,43000',
  h3: '40000-40100,41000-41010',
  h4: '40000-40100,42000',
  h5: '40000-40100,42000',
  h6: '40000-40100,42000',
};

describeLab('fleet apply', () => {
  beforeEach(async () => {
    await resetAll();
  });

  it('sets company, group and host ports on every host, persisted, and a rerun changes nothing', async () => {
    const policy = writePolicy(basePolicy);
    const first = await fleet(['apply', policy, '--yes', '--json']);
    expect(first.exitCode, why(first)).toBe(0);
    expect(first.report?.summary).toMatchObject({ hosts: 6, compliant: 6, changed: 6, drift: 0, failed: 0 });
    for (const [h, value] of Object.entries(expected)) {
      expect(await read(h), h).toBe(value);
      expect(await persisted(h), h).toBe(`net.ipv4.ip_local_reserved_ports=${value}`);
      expect(hostResult(first.report, h)).toMatchObject({ verdict: 'compliant', changed: true, current: value, desired: value });
    }
    const second = await fleet(['apply', policy, '--yes', '--json']);
    expect(second.exitCode, why(second)).toBe(0);
    expect(second.report?.summary).toMatchObject({ compliant: 6, changed: 0 });
  });

  it('stays idempotent when the policy lists ports out of order and overlapping', async () => {
    const policy = writePolicy({ reserved_ports: ['40050-40100', '40000-40060', 40070, '41000,40001'] });
    const first = await fleet(['apply', policy, '--yes', '--json', '--limit', 'h1,h4']);
    expect(first.exitCode, why(first)).toBe(0);
    expect(first.report?.summary).toMatchObject({ hosts: 2, changed: 2 });
    expect(await read('h1')).toBe('40000-40100,41000');
    const again = await fleet(['apply', policy, '--yes', '--json', '--limit', 'h1,h4']);
    expect(again.report?.summary).toMatchObject({ hosts: 2, changed: 0, compliant: 2 });
    // --limit really limited: h2 was never touched
    expect(await read('h2')).toBe('');
  });

  it('the rendered playbook itself (fleet render --out, the plugin next to it) is idempotent: ONE host-task per host, 0 changed on its second run; --check changes nothing', async () => {
    const policy = writePolicy({ reserved_ports: ['40050-40100', '40000-40060', 40070, '41000,40001'] });
    const out = join(workDir(), 'rendered-idempotent');
    const r = await fleet(['render', policy, '--out', out]);
    expect(r.exitCode, why(r)).toBe(0);
    const play = async (extra: string[] = []) => {
      const run1 = await run('ansible-playbook', ['playbooks/apply.yml', '--limit', 'h1,h5', ...extra], {
        cwd: out,
        env: { ANSIBLE_CONFIG: join(out, 'ansible.cfg') },
        write: true,
      });
      const events = run1.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map(
          (l) =>
            JSON.parse(l) as {
              _event: string;
              task?: { name: string };
              hosts?: Record<string, Record<string, unknown>>;
              stats?: Record<string, { ok: number; changed: number; failures: number }>;
            },
        );
      const stats = events.find((e) => e._event === 'v2_playbook_on_stats')?.stats;
      expect(stats, run1.stderr).toBeDefined();
      const results = events
        .filter((e) => e._event.startsWith('v2_runner_on_'))
        .map((e) => ({ task: e.task?.name, ...Object.entries(e.hosts ?? {}).map(([host, result]) => ({ host, result }))[0]! }));
      return { stats: stats!, results };
    };
    const before = { value: await read('h1'), file: await sshHost('h1', `cat ${PERSIST} 2>/dev/null || echo absent`) };
    const dry = await play(['--check', '--diff']);
    expect(dry.stats.h1).toMatchObject({ changed: 1, failures: 0 });
    // check mode: the sysctl and lineinfile steps say what they would change; nothing on the host changed
    expect(dry.results.find((x) => x.host === 'h1')!.result.fleet_changed).toEqual([TASK.setSysctl, HEADER_TASK]);
    expect({ value: await read('h1'), file: await sshHost('h1', `cat ${PERSIST} 2>/dev/null || echo absent`) }).toEqual(before);

    const first = await play();
    // one host-task per host (issue 13); inside it the value changed, then the persisted file's header (stamped only because the value changed)
    expect(first.results.filter((x) => x.host === 'h1').map((x) => x.task)).toEqual([TASK.apply]);
    expect(first.stats.h1).toMatchObject({ ok: 1, changed: 1, failures: 0 });
    expect(first.results.find((x) => x.host === 'h1')!.result.fleet_changed).toEqual([TASK.setSysctl, HEADER_TASK]);
    expect(String(first.results.find((x) => x.host === 'h1')!.result.stdout)).toContain('@@fleet begin readback-2');
    expect(first.stats.h5?.failures).toBe(0);
    const second = await play();
    expect(second.stats.h1).toMatchObject({ changed: 0, failures: 0 });
    expect(second.stats.h5).toMatchObject({ changed: 0, failures: 0 });
    expect(second.results.find((x) => x.host === 'h1')!.result.fleet_changed).toEqual([]);
    expect(await read('h5')).toBe('40000-40100,41000');
  });

  it('plan shows the exact ranges to add and remove, and --dry-run changes nothing', async () => {
    await driftSysctl('h1', 'net.ipv4.ip_local_reserved_ports', '40000-40050,45000');
    const policy = writePolicy(basePolicy);
    const plan = await fleet(['plan', policy, '--json', '--limit', 'h1']);
    expect(plan.exitCode, why(plan)).toBe(0);
    const h1 = hostResult(plan.report, 'h1');
    expect(h1.current).toBe('40000-40050,45000');
    expect(h1.runtime).toEqual({ missing: '40051-40100,41000-41010', extra: '45000' });
    const human = await fleet(['plan', policy, '--limit', 'h1']);
    expect(human.stdout).toContain('40051-40100,41000-41010');
    expect(human.stdout).toContain('45000');
    const dry = await fleet(['apply', policy, '--dry-run', '--limit', 'h1']);
    expect(dry.exitCode, why(dry)).toBe(0);
    expect(await read('h1')).toBe('40000-40050,45000');
    expect(await persisted('h1')).toBe('');
  });

  it('additive mode keeps ports reserved on the host beforehand; exact mode removes them', async () => {
    await driftSysctl('h4', 'net.ipv4.ip_local_reserved_ports', '30000-30010');
    const additive = await fleet(['apply', writePolicy({ ...basePolicy, mode: 'additive' }), '--yes', '--json', '--limit', 'h4']);
    expect(additive.exitCode, why(additive)).toBe(0);
    expect(await read('h4')).toBe('30000-30010,40000-40100,42000');
    expect(await persisted('h4')).toBe('net.ipv4.ip_local_reserved_ports=30000-30010,40000-40100,42000');
    expect((await sshHost('h4', `grep '^# fleet owns:' ${PERSIST}`)).trim()).toBe('# fleet owns: 40000-40100,42000');
    const exact = await fleet(['apply', writePolicy(basePolicy), '--yes', '--json', '--limit', 'h4']);
    expect(exact.exitCode, why(exact)).toBe(0);
    expect(await read('h4')).toBe('40000-40100,42000');
  });

  it('names an unreachable and a failing host with their reasons, applies and verifies the rest, exits 1', async () => {
    await stopHost('h5');
    await setReadOnly('h6', true);
    const r = await fleet(['apply', writePolicy(basePolicy), '--yes', '--json']);
    expect(r.exitCode, why(r)).toBe(1);
    expect(hostResult(r.report, 'h5')).toMatchObject({ verdict: 'unreachable' });
    expect(hostResult(r.report, 'h5').message).toMatch(/Connection refused|connect/i);
    expect(hostResult(r.report, 'h6')).toMatchObject({ verdict: 'failed' });
    // the apply plugin names the step that failed (what the task name said when each step was a task), with the module's message
    expect(hostResult(r.report, 'h6').message).toMatch(/^fleet set sysctl keys: .*(permission denied|read-only)/i);
    expect(hostResult(r.report, 'h6').changed).toBe(false);
    expect(r.report?.summary).toMatchObject({ hosts: 6, compliant: 4, unreachable: 1, failed: 1 });
    for (const h of ['h1', 'h2', 'h3', 'h4']) expect(await read(h), h).toBe(expected[h]);
    const human = await fleet(['apply', writePolicy(basePolicy), '--yes']);
    expect(human.exitCode).toBe(1);
    expect(human.stdout).toMatch(/h5\s+unreachable/);
    expect(human.stdout).toMatch(/h6\s+failed/);
  });

  it('refuses to apply without a terminal and without --yes, changing nothing (exit 2)', async () => {
    const r = await fleet(['apply', writePolicy(basePolicy)]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--yes/);
    expect(await read('h1')).toBe('');
  });

  it('on a terminal: the plan comes before any write; "n" or Ctrl-C ends the one Ansible run with nothing written, "y" applies in it', async () => {
    const policy = writePolicy(basePolicy);
    // every Python process fleet started (a cold state folder also runs ansible-playbook --version and ansible-config once, then caches them)
    const runs = (trace: string) =>
      readFileSync(trace, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { cmd: string; args: string[] })
        .filter((e) => e.cmd.startsWith('ansible'));
    const parses = (trace: string) => runs(trace).filter((e) => e.cmd !== 'ansible-config' && !e.args.includes('--version'));
    const declineTrace = join(workDir(), 'trace-decline.jsonl');
    const declined = await onTerminal(['apply', policy], { '[y/N]': 'n' }, { FLEET_TRACE_EXEC: declineTrace }, workDir());
    expect(declined.exitCode, why(declined)).toBe(1);
    expect(declined.stdout).toContain('nothing applied');
    expect(declined.stdout).toMatch(/Apply to 6 hosts\? \[y\/N\]/);
    for (const h of ['h1', 'h4']) {
      expect(await read(h), h).toBe('');
      expect(await persisted(h), h).toBe('');
    }
    expect(parses(declineTrace).map((e) => e.cmd)).toEqual(['ansible-playbook']);
    // the run that waited for the answer is gone
    const ps = await run('ps', ['-eo', 'args']);
    expect(ps.stdout.split('\n').filter((l) => l.includes('ansible-playbook') && l.includes(join(workDir(), 'state')))).toEqual([]);
    // Ctrl-C at the question: exit 130, nothing written, the waiting run stopped
    const interrupted = await onTerminal(['apply', policy], { '[y/N]': '\x03' }, {}, workDir());
    expect(interrupted.exitCode, why(interrupted)).toBe(130);
    expect(await read('h1')).toBe('');
    const after = await run('ps', ['-eo', 'args']);
    expect(after.stdout.split('\n').filter((l) => l.includes('ansible-playbook') && l.includes(join(workDir(), 'state')))).toEqual([]);
    const acceptTrace = join(workDir(), 'trace-accept.jsonl');
    const accepted = await onTerminal(['apply', policy], { '[y/N]': 'y' }, { FLEET_TRACE_EXEC: acceptTrace }, workDir());
    expect(accepted.exitCode, why(accepted)).toBe(0);
    for (const h of ['h1', 'h4']) expect(await read(h), h).toBe(expected[h]);
    // warm: the one Python process of the run
    expect(runs(acceptTrace).map((e) => e.args[0]!.split('/').slice(-2).join('/'))).toEqual(['playbooks/run.yml']);
  });

  it('capacity refusals come from the groups the read reported, before any write: the refused host keeps its value, the others are applied', async () => {
    // each rule alone leaves enough ephemeral ports; h1 (group web + its own rule) keeps only 999 of them (min 1000)
    const policy = writePolicy({
      reserved_ports: '40000-40100',
      groups: { web: { reserved_ports: '32768-46000' } },
      hosts: { h1: { reserved_ports: '46001-60000' } },
    });
    const r = await fleet(['apply', policy, '--yes', '--json']);
    expect(r.exitCode, why(r)).toBe(1);
    expect(hostResult(r.report, 'h1')).toMatchObject({ verdict: 'refused', changed: false, groups: ['web'] });
    expect(hostResult(r.report, 'h1').message).toMatch(/below min_ephemeral_ports 1000/);
    expect(await read('h1')).toBe('');
    expect(await persisted('h1')).toBe('');
    for (const h of ['h2', 'h3']) {
      expect(hostResult(r.report, h), h).toMatchObject({ verdict: 'compliant', changed: true });
      expect(await read(h), h).toBe('32768-46000');
    }
    for (const h of ['h4', 'h5', 'h6']) expect(await read(h), h).toBe('40000-40100');
  });
  it('play 2 names plain hosts itself, even when a group has the same name; other names go through group_by', async () => {
    const policy = writePolicy(basePolicy);
    expect((await fleet(['apply', policy, '--yes', '--json'])).exitCode).toBe(0);
    const doc = parse(readFileSync(lab().inventory, 'utf8')) as { all: { children: Record<string, { hosts: Record<string, unknown> }> } };
    // a group named h2 holding h3: were the pattern "h2" read as the group, h3 would be written instead of h2
    doc.all.children.h2 = { hosts: { h3: null } };
    // a second name for h1's machine that Ansible's pattern parser would not keep whole: it takes the group_by path
    doc.all.children.aliases = { hosts: { 'h1@alias': doc.all.children.web!.hosts.h1 } };
    const inventory = join(workDir(), 'inventory-names.yml');
    writeFileSync(inventory, stringify(doc));
    const names = writePolicy({ ...basePolicy, inventory });
    await driftSysctl('h2', 'net.ipv4.ip_local_reserved_ports', '40000-40050');
    const plain = await fleet(['apply', names, '--yes', '--json', '--limit', 'h2,h3']);
    expect(plain.exitCode, why(plain)).toBe(0);
    expect(plain.report?.summary).toMatchObject({ compliant: 2, changed: 1 });
    expect(hostResult(plain.report, 'h2')).toMatchObject({ verdict: 'compliant', changed: true });
    expect(hostResult(plain.report, 'h3')).toMatchObject({ verdict: 'compliant', changed: false });
    expect(await read('h2')).toBe(expected.h2);
    // the alias is in no group: company ports only
    const other = await fleet(['apply', names, '--yes', '--json', '--limit', 'h1@alias']);
    expect(other.exitCode, why(other)).toBe(0);
    expect(hostResult(other.report, 'h1@alias')).toMatchObject({ verdict: 'compliant', changed: true });
    expect(await read('h1')).toBe('40000-40100');
  });
});
