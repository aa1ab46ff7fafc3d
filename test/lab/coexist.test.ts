/**
 * Living with other writers of the key (issue 12): kubespray writes only the
 * NodePort range into /etc/sysctl.d/99-sysctl.conf (and applies it) on every
 * run. In additive mode, with a persist_file read after that file, fleet's
 * boot value is the union; a port dropped from the policy leaves the host
 * while kubespray's stay. `/lib/systemd/systemd-sysctl` run inside the host
 * is the boot oracle. The machine's own value of the key is asserted unchanged.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KEY_RESERVED } from '../../src/ansible/scripts.js';
import { run } from '../../src/io/exec.js';
import { bootFile, describeLab, driftSysctl, inHostBoot, resetHost, sshHost } from './helpers.js';
import { fleet, hostResult, why, writePolicy } from './fleet.js';

const KUBESPRAY = '/etc/sysctl.d/99-sysctl.conf';
const NODEPORTS = '30000-32767';
const LAST = '/etc/sysctl.d/99-zz-fleet-reserved-ports.conf';

const runtime = async (h: string) => (await sshHost(h, `sysctl -n ${KEY_RESERVED}`)).trim();
const machineValue = async () => (await run('sysctl', ['-n', KEY_RESERVED])).stdout;

/** What systemd-sysctl writes at boot on the host: the runtime value is set to a sentinel first, then the real program runs inside the host. */
async function bootValue(h: string): Promise<string> {
  await driftSysctl(h, KEY_RESERVED, '1');
  await inHostBoot(h, '/lib/systemd/systemd-sysctl --prefix=/net/ipv4/ip_local_reserved_ports');
  return runtime(h);
}

/** A host as kubespray leaves it: the NodePort range in 99-sysctl.conf and at runtime. */
async function kubesprayHost(h: string): Promise<void> {
  await resetHost(h);
  await bootFile(h, KUBESPRAY, { text: `${KEY_RESERVED}=${NODEPORTS}\n` });
  await driftSysctl(h, KEY_RESERVED, NODEPORTS);
}

describeLab('coexistence with other writers of the key (issue 12)', () => {
  let machineBefore = '';
  beforeAll(async () => {
    machineBefore = await machineValue();
  });
  afterAll(async () => {
    for (const h of ['h1', 'h2']) await resetHost(h);
    expect(await machineValue()).toBe(machineBefore);
  });

  it('kubespray shape, additive: the boot value is the union, and a port dropped from the policy leaves while the NodePorts stay', async () => {
    await kubesprayHost('h1');
    const wide = writePolicy({ mode: 'additive', reserved_ports: '5000-10000', persist_file: LAST });
    const a = await fleet(['apply', wide, '--yes', '--json', '-l', 'h1']);
    expect(a.exitCode, why(a)).toBe(0);
    expect(hostResult(a.report, 'h1')).toMatchObject({ verdict: 'compliant', changed: true });
    expect(await runtime('h1')).toBe(`5000-10000,${NODEPORTS}`);
    expect((await sshHost('h1', `grep '^# fleet owns:' ${LAST}`)).trim()).toBe('# fleet owns: 5000-10000');
    const c = await fleet(['check', wide, '--json', '-l', 'h1']);
    expect(c.exitCode, why(c)).toBe(0);
    expect(hostResult(c.report, 'h1')).toMatchObject({ verdict: 'compliant', boot: { reserved: { value: `5000-10000,${NODEPORTS}`, file: LAST } } });
    expect(await bootValue('h1')).toBe(`5000-10000,${NODEPORTS}`);

    const narrow = writePolicy({ mode: 'additive', reserved_ports: '5000-8999', persist_file: LAST });
    const before = await fleet(['check', narrow, '--json', '-l', 'h1']);
    expect(before.exitCode, why(before)).toBe(1);
    expect(hostResult(before.report, 'h1')).toMatchObject({ verdict: 'drift', runtime: { missing: '', extra: '9000-10000' } });
    expect(hostResult(before.report, 'h1').message).toContain('runtime: still reserves 9000-10000, which fleet added and the policy no longer wants');

    const b = await fleet(['apply', narrow, '--yes', '--json', '-l', 'h1']);
    expect(b.exitCode, why(b)).toBe(0);
    expect(hostResult(b.report, 'h1')).toMatchObject({ verdict: 'compliant', changed: true });
    expect(await runtime('h1')).toBe(`5000-8999,${NODEPORTS}`);
    expect((await sshHost('h1', `grep '^# fleet owns:' ${LAST}`)).trim()).toBe('# fleet owns: 5000-8999');
    expect((await sshHost('h1', `cat ${KUBESPRAY}`)).trim()).toBe(`${KEY_RESERVED}=${NODEPORTS}`);
    const after = await fleet(['check', narrow, '--json', '-l', 'h1']);
    expect(after.exitCode, why(after)).toBe(0);
    expect(await bootValue('h1')).toBe(`5000-8999,${NODEPORTS}`);

    // nothing left to do: a rerun changes nothing
    const again = await fleet(['apply', narrow, '--yes', '--json', '-l', 'h1']);
    expect(again.exitCode, why(again)).toBe(0);
    expect(hostResult(again.report, 'h1')).toMatchObject({ verdict: 'compliant', changed: false });
  });

  it("kubespray shape, additive with the default persist_file (read before 99-sysctl.conf): drift naming kubespray's file and the fix, never compliant", async () => {
    await kubesprayHost('h2');
    const policy = writePolicy({ mode: 'additive', reserved_ports: '5000-10000' });
    const a = await fleet(['apply', policy, '--yes', '--json', '-l', 'h2']);
    expect(a.exitCode, why(a)).toBe(1);
    const h = hostResult(a.report, 'h2');
    expect(h).toMatchObject({ verdict: 'drift', overriddenBy: [KUBESPRAY], boot: { reserved: { value: NODEPORTS, file: KUBESPRAY } } });
    expect(h.message).toContain(`set persist_file to a name that sorts after it (e.g. ${LAST})`);
    expect(await bootValue('h2')).toBe(NODEPORTS);
  });
});
