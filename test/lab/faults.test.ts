import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { parse } from 'yaml';
import { run } from '../../src/io/exec.js';
import { procAlive } from '../../src/io/proc.js';
import { describeLab, driftSysctl, execIn, lab, labHost, latency, reboot, resetAll, setReadOnly, sshHost, sshRun, startHost, stopHost } from './helpers.js';

const KEY = 'net.ipv4.ip_local_reserved_ports';

describeLab('lab faults', () => {
  afterEach(resetAll);
  afterAll(resetAll);

  it('stop makes a host unreachable over ssh and to ansible; start brings it back', async () => {
    await stopHost('h2');
    const r = await sshRun('h2', 'true');
    expect(r.exitCode).toBe(255);
    const ping = await run('ansible', ['-i', lab().inventory, 'h2', '-m', 'ping', '--one-line'], { env: { ANSIBLE_NOCOLOR: '1' }, timeoutMs: 60_000 });
    expect(ping.stdout).toMatch(/h2 \| UNREACHABLE/);
    expect((await sshHost('h1', 'hostname')).trim()).toBe('h1');
    await startHost('h2');
    expect((await sshHost('h2', 'hostname')).trim()).toBe('h2');
  });

  it('sysctl drift set by the lab is what an ssh session reads', async () => {
    expect(await driftSysctl('h3', KEY, '8000,8001,8002')).toBe('8000-8002');
    expect((await sshHost('h3', `sysctl -n ${KEY}`)).trim()).toBe('8000-8002');
  });

  it('exec runs inside the host namespaces', async () => {
    const r = await execIn('h5', ['sh', '-c', 'hostname; ls -A /etc/sysctl.d /root | wc -l']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('h5');
  });

  it('read-only /proc/sys makes sysctl -w fail in that host only, not on the machine', async () => {
    await setReadOnly('h4', true);
    const r = await sshRun('h4', `sysctl -w ${KEY}=5000`);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/permission denied|read-only/i);
    expect((await sshHost('h4', `sysctl -n ${KEY}`)).trim()).toBe('');
    // Other hosts and the machine keep a writable /proc/sys.
    await sshHost('h5', `sysctl -w ${KEY}=5000`);
    const rootMounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => l.split(' ')[4] === '/proc/sys');
    expect(rootMounts).toEqual([]);
    await setReadOnly('h4', false);
    await sshHost('h4', `sysctl -w ${KEY}=5000`);
    expect((await sshHost('h4', `sysctl -n ${KEY}`)).trim()).toBe('5000');
  });

  it('reboot brings back the persisted value from /etc/sysctl.d, not the runtime one', async () => {
    await sshHost('h1', `printf '%s\\n' '${KEY} = 5000-5001' > /etc/sysctl.d/90-fleet-reserved-ports.conf`);
    // A later file overrides an earlier one, as systemd-sysctl's name order says.
    writeFileSync(join(labHost('h1').sysctlDir, '10-early.conf'), `${KEY} = 4000\nnet.ipv4.ip_local_port_range = 40000 50000\n`);
    await sshHost('h1', `sysctl -w ${KEY}=7777`);
    const pidBefore = labHost('h1').sshdPid;
    const applied = await reboot('h1');
    expect(applied.map((a) => [a.file, a.ok])).toEqual([
      ['10-early.conf', true],
      ['90-fleet-reserved-ports.conf', true],
    ]);
    expect(labHost('h1').sshdPid).not.toBe(pidBefore);
    expect((await sshHost('h1', `sysctl -n ${KEY}`)).trim()).toBe('5000-5001');
    expect((await sshHost('h1', 'sysctl -n net.ipv4.ip_local_port_range')).trim()).toBe('40000\t50000');
  });

  it('reboot without persisted files returns kernel defaults', async () => {
    await sshHost('h6', `sysctl -w ${KEY}=7777`);
    await reboot('h6');
    expect((await sshHost('h6', `sysctl -n ${KEY}`)).trim()).toBe('');
  });

  it('latency of 100 ms makes an ssh round trip measurably slower, through the inventory endpoint', async () => {
    const time = async () => {
      const r = await sshRun('h3', 'true');
      expect(r.exitCode, r.stderr).toBe(0);
      return r.durationMs;
    };
    const fast = Math.min(await time(), await time());
    await latency('h3', 100);
    const inv = parse(readFileSync(lab().inventory, 'utf8')) as { all: { children: { web: { hosts: Record<string, Record<string, unknown>> } } } };
    expect(inv.all.children.web.hosts.h3).toEqual({ ansible_host: lab().gateway, ansible_port: labHost('h3').proxyPort });
    const slow = await time();
    // An ssh login is several round trips; each costs 200 ms more.
    expect(slow - fast).toBeGreaterThan(600);
    const ping = await run('ansible', ['-i', lab().inventory, 'h3', '-m', 'ping', '--one-line'], { env: { ANSIBLE_NOCOLOR: '1' }, timeoutMs: 60_000 });
    expect(ping.stdout).toMatch(/h3 \| SUCCESS/);
    const proxyPid = labHost('h3').proxyPid!;
    await latency('h3', 0);
    expect(labHost('h3').proxyPid).toBeNull();
    expect(procAlive(proxyPid)).toBe(false);
    const restored = parse(readFileSync(lab().inventory, 'utf8')) as typeof inv;
    expect(restored.all.children.web.hosts.h3).toEqual({ ansible_host: labHost('h3').address });
  });
});
