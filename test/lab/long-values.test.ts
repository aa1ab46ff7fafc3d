/**
 * Reserved values longer than one kernel write (issue 17). The kernel takes at
 * most one page per write() to ip_local_reserved_ports and procps `sysctl -w`
 * writes once, so through ansible.posix.sysctl alone a long value is cut while
 * the module exits 0. fleet writes it whole; boot (systemd-sysctl, run inside
 * the host) loads the persisted file whole too.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeEach, expect, it } from 'vitest';
import { ONE_WRITE_LIMIT } from '../../src/ports/write-limit.js';
import { describeLab, driftSysctl, execIn, reboot, resetAll, sshHost } from './helpers.js';
import { fleet, hostResult, why, workDir, writePolicy } from './fleet.js';

const KEY = 'net.ipv4.ip_local_reserved_ports';
const read = async (h: string) => (await sshHost(h, `sysctl -n ${KEY}`)).trim();
const machineValue = () => execFileSync('sysctl', ['-n', KEY], { encoding: 'utf8' });

/** A canonical value of exactly `length` characters: one leading token, then 5-digit single ports 2 apart. */
function valueOfLength(length: number): string {
  const lead = ['1-1000', '1', '10', '100', '1000', '1-100'][length % 6]!;
  const count = (length - lead.length) / 6;
  return [lead, ...Array.from({ length: count }, (_, i) => String(10000 + 2 * i))].join(',');
}

/** What boot does: the runtime value cleared, then systemd-sysctl inside the host (its own /etc/sysctl.d). */
async function simulatedBoot(h: string): Promise<void> {
  const clear = await execIn(h, ['sh', '-c', `echo > /proc/sys/${KEY.replaceAll('.', '/')}`]);
  expect(clear.exitCode, clear.stderr).toBe(0);
  expect(await read(h)).toBe('');
  const boot = await execIn(h, ['/lib/systemd/systemd-sysctl', `--prefix=/${KEY.replaceAll('.', '/')}`]);
  expect(boot.exitCode, boot.stderr).toBe(0);
}

describeLab('reserved values longer than one kernel write', () => {
  const atLimit = valueOfLength(ONE_WRITE_LIMIT);
  const long = valueOfLength(36000);
  let machine = '';

  beforeEach(async () => {
    machine = machineValue();
    await resetAll();
  });

  it('a value of exactly 4,094 characters (the most one write takes) applies, verifies and loads at boot', async () => {
    expect(atLimit).toHaveLength(4094);
    const policy = writePolicy({ hosts: { h1: { reserved_ports: atLimit } } });
    const applied = await fleet(['apply', policy, '--yes', '--json', '--limit', 'h1']);
    expect(applied.exitCode, why(applied)).toBe(0);
    expect(hostResult(applied.report, 'h1')).toMatchObject({ verdict: 'compliant', changed: true, current: atLimit });
    expect(await read('h1')).toBe(atLimit);
    await simulatedBoot('h1');
    expect(await read('h1')).toBe(atLimit);
    expect(machineValue()).toBe(machine);
  });

  it('a 36,000-character value applies whole through the Ansible run, reads back whole, and loads whole at boot', async () => {
    expect(long).toHaveLength(36000);
    const policy = writePolicy({ hosts: { h2: { reserved_ports: long }, h3: { reserved_ports: long } } });
    const plan = await fleet(['plan', policy, '--limit', 'h2,h3']);
    expect(plan.exitCode, why(plan)).toBe(0);
    expect(plan.stdout).toContain('h2: value 36,000 characters: over the 4,094 one sysctl write takes, fleet writes it whole in chunks');

    const applied = await fleet(['apply', policy, '--yes', '--json', '--limit', 'h2,h3']);
    expect(applied.exitCode, why(applied)).toBe(0);
    for (const h of ['h2', 'h3']) {
      expect(hostResult(applied.report, h)).toMatchObject({ verdict: 'compliant', changed: true, persisted: long });
      expect(await read(h), h).toBe(long);
    }
    // the file is fleet's header line (version, policy sha256, time) and the whole value
    expect((await sshHost('h2', "grep -v '^# Managed by fleet ' /etc/sysctl.d/90-fleet-reserved-ports.conf")).trim()).toBe(`${KEY}=${long}`);

    await simulatedBoot('h2');
    expect(await read('h2')).toBe(long);
    await reboot('h3'); // the lab's reboot: new namespace, /etc/sysctl.d applied as at boot
    expect(await read('h3')).toBe(long);

    const check = await fleet(['check', policy, '--limit', 'h2,h3']);
    expect(check.exitCode, why(check)).toBe(0);
    expect(check.stdout).toContain('h3: value 36,000 characters');
    expect(machineValue()).toBe(machine);
  });

  it('a long value cut by `sysctl -w` (what the module alone leaves) is drift, and apply repairs it whole', async () => {
    const policy = writePolicy({ hosts: { h2: { reserved_ports: long } } });
    const first = await fleet(['apply', policy, '--yes', '--limit', 'h2']);
    expect(first.exitCode, why(first)).toBe(0);
    const cut = await driftSysctl('h2', KEY, long); // exits 0, keeps the first page only
    expect(cut.length).toBeLessThan(ONE_WRITE_LIMIT);
    expect(long.startsWith(cut)).toBe(true);
    const check = await fleet(['check', policy, '--json', '--limit', 'h2']);
    expect(check.exitCode, why(check)).toBe(1);
    expect(hostResult(check.report, 'h2').verdict).toBe('drift');
    const repaired = await fleet(['apply', policy, '--yes', '--json', '--limit', 'h2']);
    expect(repaired.exitCode, why(repaired)).toBe(0);
    expect(hostResult(repaired.report, 'h2')).toMatchObject({ verdict: 'compliant', changed: true });
    expect(await read('h2')).toBe(long);
    expect(machineValue()).toBe(machine);
  });
  it('rollback puts a recorded long value back whole, runtime and file (`sysctl -w` would cut it and exit 0)', async () => {
    const toLong = await fleet(['apply', writePolicy({ hosts: { h1: { reserved_ports: long } } }), '--yes', '--limit', 'h1']);
    expect(toLong.exitCode, why(toLong)).toBe(0);
    const fileBefore = await sshHost('h1', 'cat /etc/sysctl.d/90-fleet-reserved-ports.conf');
    const report = join(workDir(), 'long-then-short.json');
    const short = writePolicy({ hosts: { h1: { reserved_ports: '5000-6000' } } });
    const toShort = await fleet(['apply', short, '--yes', '--limit', 'h1', '--report', `json=${report}`]);
    expect(toShort.exitCode, why(toShort)).toBe(0);
    expect(await read('h1')).toBe('5000-6000');
    const back = await fleet(['rollback', report, '--yes', '--json']);
    expect(back.exitCode, why(back)).toBe(0);
    expect(hostResult(back.report, 'h1')).toMatchObject({ verdict: 'compliant', changed: true });
    expect(await read('h1')).toBe(long);
    expect(await sshHost('h1', 'cat /etc/sysctl.d/90-fleet-reserved-ports.conf')).toBe(fileBefore);
    expect(machineValue()).toBe(machine);
  });
});
