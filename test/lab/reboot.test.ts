/**
 * What fleet sets survives a reboot (issue 6). A lab reboot ends the host's
 * processes, recreates its network namespace at kernel defaults and applies
 * its /etc/sysctl.d/*.conf in name order, as systemd-sysctl does at boot.
 */
import { beforeEach, expect, it } from 'vitest';
import { describeLab, driftSysctl, hostNames, reboot, resetAll, sshHost } from './helpers.js';
import { fleet, hostResult, why, writePolicy } from './fleet.js';

const read = async (h: string) => (await sshHost(h, 'sysctl -n net.ipv4.ip_local_reserved_ports')).trim();
const KEY = 'net.ipv4.ip_local_reserved_ports';

describeLab('reboot', () => {
  beforeEach(async () => {
    await resetAll();
  });

  it('after apply, every host rebooted is compliant again; a runtime-only change is gone, the policy value stays', async () => {
    const policy = writePolicy({ reserved_ports: '40000-40100', groups: { db: { reserved_ports: 42000 } } });
    const applied = await fleet(['apply', policy, '--yes', '--json']);
    expect(applied.exitCode, why(applied)).toBe(0);
    // set behind fleet's back, never persisted
    await driftSysctl('h2', KEY, '40000-40100,45000');
    expect(await read('h2')).toBe('40000-40100,45000');
    for (const h of hostNames()) await reboot(h);
    expect(await read('h2')).toBe('40000-40100');
    for (const h of ['h4', 'h5', 'h6']) expect(await read(h), h).toBe('40000-40100,42000');
    const check = await fleet(['check', policy, '--json']);
    expect(check.exitCode, why(check)).toBe(0);
    expect(check.report?.summary).toMatchObject({ hosts: 6, compliant: 6 });
  });

  it('additive mode: ports a package reserved and persisted itself survive the reboot beside the policy ports', async () => {
    await driftSysctl('h4', KEY, '30000-30010');
    await sshHost('h4', `echo '${KEY}=30000-30010' > /etc/sysctl.d/50-k8s.conf`);
    const policy = writePolicy({ mode: 'additive', reserved_ports: '40000-40100' });
    const applied = await fleet(['apply', policy, '--yes', '--json', '--limit', 'h4']);
    expect(applied.exitCode, why(applied)).toBe(0);
    expect(await read('h4')).toBe('30000-30010,40000-40100');
    await reboot('h4');
    expect(await read('h4')).toBe('30000-30010,40000-40100');
    // the package's own file is untouched
    expect((await sshHost('h4', 'cat /etc/sysctl.d/50-k8s.conf')).trim()).toBe(`${KEY}=30000-30010`);
    const check = await fleet(['check', policy, '--json', '--limit', 'h4']);
    expect(check.exitCode, why(check)).toBe(0);
    expect(hostResult(check.report, 'h4')).toMatchObject({ verdict: 'compliant', current: '30000-30010,40000-40100' });
  });
});
