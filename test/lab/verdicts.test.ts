/**
 * Verdicts that cannot lie (issue 10): for each way a host used to be reported
 * `compliant` although it was not, build that state on a real lab host and
 * assert fleet's verdict. Every test here fails on the code before issue 10.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, expect, it } from 'vitest';
import { KEY_RANGE, KEY_RESERVED } from '../../src/ansible/scripts.js';
import { bootFile, describeLab, driftSysctl, inHostBoot, lab, labHost, reboot, resetHost, sshHost, startHost, stopHost } from './helpers.js';
import { fleet, hostResult, why, workDir, writePolicy } from './fleet.js';

const PERSIST = '/etc/sysctl.d/90-fleet-reserved-ports.conf';
const PORTS = '40000-40100';
let policy: string;

/** Fresh host, policy applied and checked compliant: the starting point of every case. */
async function compliantHost(host: string, file = policy): Promise<void> {
  await resetHost(host);
  const a = await fleet(['apply', file, '--yes', '--json', '-l', host]);
  expect(a.exitCode, why(a)).toBe(0);
  const c = await fleet(['check', file, '--json', '-l', host]);
  expect(c.exitCode, why(c)).toBe(0);
}

async function check(host: string, extra: string[] = [], file = policy) {
  const r = await fleet(['check', file, '--json', '-l', host, ...extra]);
  return { r, h: hostResult(r.report, host) };
}

/**
 * Bind a wrapper over `sysctl` in the host's mount namespace that blocks from the third `sysctl -n`
 * on: a run that reads (two calls), writes, then reads back hangs in its read-back, after the write
 * steps reported `changed`. Resolves once the read-back is reached, so the test can cut the host off.
 */
async function blockReadBack(host: string): Promise<{ reached: () => Promise<boolean>; undo: () => Promise<void> }> {
  const dir = join(lab().dir, 'hosts', host);
  const reached = join(dir, 'readback-reached');
  const wrapper = join(dir, 'sysctl-wrapper');
  const real = join(dir, 'sysctl-real');
  const count = `${reached}.count`;
  rmSync(reached, { force: true });
  rmSync(count, { force: true });
  writeFileSync(
    wrapper,
    `#!/bin/sh\nif [ "$1" = "-n" ]; then n=$(($(cat '${count}' 2>/dev/null || echo 0) + 1)); echo $n > '${count}'; if [ $n -ge 3 ]; then : > '${reached}'; sleep 60; fi; fi\nexec '${real}' "$@"\n`,
    { mode: 0o755 },
  );
  await inHostBoot(host, 'cp /usr/sbin/sysctl "$1"; mount --bind "$2" /usr/sbin/sysctl', [real, wrapper]);
  return {
    reached: async () => {
      for (let i = 0; i < 1500 && !existsSync(reached); i++) await sleep(20);
      return existsSync(reached);
    },
    // the host's sshd must run (inHostBoot enters its namespaces)
    undo: () => inHostBoot(host, 'umount /usr/sbin/sysctl || true').then(() => undefined),
  };
}

describeLab('verdicts that cannot lie (issue 10)', () => {
  beforeAll(() => {
    policy = writePolicy({ reserved_ports: PORTS, ephemeral_range: '20000-60999' });
  });

  it('case 1: a later file setting ip_local_port_range reverts the managed range at boot: drift, naming the file and the boot value', async () => {
    await compliantHost('h1');
    await bootFile('h1', '/etc/sysctl.d/99-tuning.conf', { text: `${KEY_RANGE} = 32768 60999\n` });
    const { r, h } = await check('h1');
    expect(r.exitCode, why(r)).toBe(1);
    expect(h.verdict).toBe('drift');
    expect(h.overriddenBy).toEqual(['/etc/sysctl.d/99-tuning.conf']);
    expect(h.boot).toEqual({
      reserved: { value: PORTS, file: PERSIST, line: expect.any(Number), written: PORTS },
      range: { value: '32768 60999', file: '/etc/sysctl.d/99-tuning.conf', line: 1, written: '32768 60999' },
    });
    expect(h.message).toContain(`at boot ${KEY_RANGE} becomes "32768 60999": set by /etc/sysctl.d/99-tuning.conf:1`);
  });

  it('case 2: a persisted file holding marker lines cannot replace the runtime section: runtime drift is seen', async () => {
    await compliantHost('h2');
    await driftSysctl('h2', KEY_RESERVED, '7000');
    const persisted = (await sshHost('h2', `cat ${PERSIST}`)).trimEnd();
    // systemd-sysctl ignores these lines; the old read-back took them for its own sections
    await bootFile('h2', PERSIST, { text: `${persisted}\n@@fleet reserved\n${PORTS}\n@@fleet range\n20000\t60999\n@@fleet end\n` });
    const { r, h } = await check('h2');
    expect(r.exitCode, why(r)).toBe(1);
    expect(h.verdict).toBe('drift');
    expect(h.current).toBe('7000');
    expect(h.runtime).toEqual({ missing: PORTS, extra: '7000' });
  });

  it('case 3: a later file named 99-app:v2.conf that sets another value is an override like any other', async () => {
    await compliantHost('h3');
    await bootFile('h3', '/etc/sysctl.d/99-app:v2.conf', { text: `${KEY_RESERVED} = 7000\n` });
    const { r, h } = await check('h3');
    expect(r.exitCode, why(r)).toBe(1);
    expect(h.verdict).toBe('drift');
    expect(h.overriddenBy).toEqual(['/etc/sysctl.d/99-app:v2.conf']);
    expect(h.boot?.reserved).toMatchObject({ value: '7000', file: '/etc/sysctl.d/99-app:v2.conf' });
  });

  it('case 4: a vendor file masked by a /dev/null symlink sets nothing at boot, and the override it hid decides', async () => {
    await compliantHost('h4');
    await bootFile('h4', '/usr/lib/sysctl.d/99-vendor.conf', { text: `${KEY_RESERVED} = ${PORTS}\n` });
    await bootFile('h4', '/etc/sysctl.d/99-vendor.conf', { link: '/dev/null' });
    await bootFile('h4', '/run/sysctl.d/95-between.conf', { text: `${KEY_RESERVED} = 7000\n` });
    const { r, h } = await check('h4');
    expect(r.exitCode, why(r)).toBe(1);
    expect(h.verdict).toBe('drift');
    expect(h.boot?.reserved).toEqual({ value: '7000', file: '/run/sysctl.d/95-between.conf', line: 1, written: '7000' });
    // what systemd-sysctl really does on this host
    await inHostBoot('h4', `/lib/systemd/systemd-sysctl --prefix=/net/ipv4/ip_local_reserved_ports`);
    expect((await sshHost('h4', `sysctl -n ${KEY_RESERVED}`)).trim()).toBe('7000');
  });

  it('case 5: a persisted value padded with U+00A0 is refused by the kernel at boot: drift', async () => {
    await compliantHost('h5');
    await bootFile('h5', PERSIST, { text: `${KEY_RESERVED} = \u00a0${PORTS}\u00a0\n${KEY_RANGE} = 20000 60999\n` });
    const { r, h } = await check('h5');
    expect(r.exitCode, why(r)).toBe(1);
    expect(h.verdict).toBe('drift');
    expect(h.message).toContain(`${PERSIST} holds an invalid value "\u00a0${PORTS}\u00a0"`);
    expect(h.boot?.reserved).toMatchObject({ value: '', file: PERSIST, rejected: true });
  });

  it('case 6: an override file the reading user cannot open: failed, naming the file, boot value unknown', async () => {
    await compliantHost('h6');
    await bootFile('h6', '/etc/sysctl.d/99-secret.conf', { text: `${KEY_RESERVED} = 7000\n`, mode: '600' });
    // a non-root user of this host only (its own /etc/passwd, in its mount namespace), with the lab's key
    const home = join(lab().dir, 'hosts', 'h6', 'reader');
    const setup =
      'grep -q "^fleetreader:" /etc/passwd && exit 0; mkdir -p "$2"; chmod 755 "$2"; { cat /etc/passwd; echo "fleetreader:x:4242:4242::$2:/bin/sh"; } > "$1"; mount --bind "$1" /etc/passwd';
    await inHostBoot('h6', setup, [join(lab().dir, 'hosts', 'h6', 'passwd'), home]);
    const inventory = join(workDir(), 'reader-inventory.yml');
    const labInventory = readFileSync(lab().inventory, 'utf8');
    writeFileSync(inventory, labInventory.replace('ansible_user: root', 'ansible_user: fleetreader'));
    const { r, h } = await check('h6', ['-i', inventory]);
    expect(r.exitCode, why(r)).toBe(1);
    expect(h.verdict).toBe('failed');
    expect(h.message).toContain(`cannot read /etc/sysctl.d/99-secret.conf: the boot value of ${KEY_RESERVED} is unknown`);
    expect(h.boot?.reserved).toMatchObject({ value: null, unreadable: ['/etc/sysctl.d/99-secret.conf'] });
    // root reads it: the override is then seen for what it is
    const asRoot = await check('h6');
    expect(asRoot.h.verdict).toBe('drift');
    expect(asRoot.h.overriddenBy).toEqual(['/etc/sysctl.d/99-secret.conf']);
    await stopHost('h6');
    await startHost('h6');
  });

  it('case 7: persist_file under /run warns that the value is lost at reboot, and it is', async () => {
    await resetHost('h1');
    const runPolicy = writePolicy({ reserved_ports: PORTS, persist_file: '/run/sysctl.d/90-fleet.conf' });
    const v = await fleet(['validate', runPolicy]);
    expect(v.exitCode, why(v)).toBe(0);
    expect(v.stderr).toContain('persist_file: warning: /run/sysctl.d/90-fleet.conf is under /run, a tmpfs emptied at every boot');
    const a = await fleet(['apply', runPolicy, '--yes', '--json', '-l', 'h1']);
    expect(a.exitCode, why(a)).toBe(0);
    expect(hostResult(a.report, 'h1').boot?.reserved).toMatchObject({ value: PORTS, file: '/run/sysctl.d/90-fleet.conf' });
    await reboot('h1');
    const { r, h } = await check('h1', [], runPolicy);
    expect(r.exitCode, why(r)).toBe(1);
    expect(h.verdict).toBe('drift');
    expect(h.message).toContain('/run/sysctl.d/90-fleet.conf is missing');
    for (const p of ['/usr/lib/sysctl.d/90-fleet.conf', '/lib/sysctl.d/90-fleet.conf']) {
      const w = await fleet(['validate', writePolicy({ reserved_ports: PORTS, persist_file: p })]);
      expect(w.stderr).toContain(`persist_file: warning: ${p} is in`);
      expect(w.stderr).toContain('belongs to packages');
    }
  });

  it('case 8: a host apply changed and that then became unreachable keeps changed: true and says so', async () => {
    await resetHost('h2');
    // apply reads h2 (plan), sets, then reads back: the read-back hangs, so the host can be cut off after the set
    const block = await blockReadBack('h2');
    const applying = fleet(['apply', policy, '--yes', '--json', '-l', 'h2']);
    expect(await block.reached()).toBe(true);
    await stopHost('h2');
    try {
      const r = await applying;
      expect(r.exitCode, why(r)).toBe(1);
      const h = hostResult(r.report, 'h2');
      expect(h.verdict).toBe('unreachable');
      expect(h.changed).toBe(true);
      expect(h.message).toMatch(/changed by "fleet set sysctl keys"(, "[^"]+")* before it became unreachable at "fleet read back"/);
      expect(r.report?.summary.changed).toBe(1);
    } finally {
      // later tests (and files) need h2 up, whatever happened here
      await startHost('h2');
      await block.undo();
    }
  });
  it('case 9: a stamp that fails after the sysctl write (mktemp fails on the host): failed at the stamp, changed: true, the value written, no temporary file left', async () => {
    await resetHost('h3');
    const wrapper = join(lab().dir, 'hosts', 'h3', 'mktemp-fails');
    writeFileSync(wrapper, '#!/bin/sh\necho "mktemp: No space left on device" >&2\nexit 1\n', { mode: 0o755 });
    // the sysctl module writes through Python's tempfile; only the stamp's shell uses mktemp
    await inHostBoot('h3', 'mount --bind "$1" /usr/bin/mktemp', [wrapper]);
    try {
      const r = await fleet(['apply', policy, '--yes', '--json', '-l', 'h3']);
      expect(r.exitCode, why(r)).toBe(1);
      const h = hostResult(r.report, 'h3');
      expect(h.verdict).toBe('failed');
      expect(h.changed).toBe(true);
      expect(h.message).toContain('fleet stamp persisted file');
      expect(h.message).toContain('cannot create a temporary file next to');
      expect((await sshHost('h3', `sysctl -n ${KEY_RESERVED}`)).trim()).toBe(PORTS);
      expect(readdirSync(labHost('h3').sysctlDir)).toEqual(['90-fleet-reserved-ports.conf']);
    } finally {
      await inHostBoot('h3', 'umount /usr/bin/mktemp');
    }
    // the value and its persisted line were written: the next apply finds the host compliant (the header is not part of the verdict)
    const again = await fleet(['apply', policy, '--yes', '--json', '-l', 'h3']);
    expect(again.exitCode, why(again)).toBe(0);
    expect(hostResult(again.report, 'h3')).toMatchObject({ verdict: 'compliant', changed: false });
  });
  it('case 10: a host rollback changed and that then became unreachable keeps changed: true and says so, as apply does', async () => {
    await resetHost('h4');
    const report = join(workDir(), 'case10-apply.json');
    const applied = await fleet(['apply', policy, '--yes', '--json', '-l', 'h4', '--report', `json=${report}`]);
    expect(applied.exitCode, why(applied)).toBe(0);
    // rollback reads h4 (is it as the report left it?), restores, then reads back: the read-back hangs
    const block = await blockReadBack('h4');
    const rolling = fleet(['rollback', report, '--yes', '--json']);
    expect(await block.reached()).toBe(true);
    await stopHost('h4');
    try {
      const r = await rolling;
      expect(r.exitCode, why(r)).toBe(1);
      const h = hostResult(r.report, 'h4');
      expect(h.verdict).toBe('unreachable');
      // before issue 14's leftover was mended, rollback said changed: false here, with the bare reason
      expect(h.changed).toBe(true);
      expect(h.message).toMatch(/changed by "[^"]+"(, "[^"]+")* before it became unreachable at "fleet read back"; nothing was read back/);
    } finally {
      await startHost('h4');
      await block.undo();
    }
  });
});
