/**
 * fleet discover on the lab (issue 18): real listeners in the hosts'
 * namespaces, the proposal they give, and that applying it makes the strict
 * audit pass.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DiscoveryDocument } from '../../src/report/discovery.js';
import { describeLab, driftSysctl, hostNames, lab, resetAll, sshHost, sshRun, startHost, stopHost } from './helpers.js';
import { fleet, why, workDir, writePolicy } from './fleet.js';

const WEB = ['h1', 'h2', 'h3'];
/** The listener process started on each host, to stop by PID afterwards. */
const listeners = new Map<string, string>();

/** One python process per host: TCP listeners on `tcp`, UDP sockets bound on `udp`. */
async function listen(host: string, tcp: number[], udp: number[]): Promise<void> {
  const script = [
    'import socket, time',
    'ss = []',
    `for p in ${JSON.stringify(tcp)}:`,
    '    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", p)); s.listen(); ss.append(s)',
    `for p in ${JSON.stringify(udp)}:`,
    '    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", p)); ss.append(s)',
    'time.sleep(900)',
  ].join('\n');
  const pid = (await sshHost(host, `nohup python3 -c '${script}' >/dev/null 2>&1 & echo $!`)).trim();
  expect(pid).toMatch(/^\d+$/);
  listeners.set(host, pid);
}

/** Wait until every port is bound (ss sees it), so the read cannot race the start-up. */
async function bound(host: string, ports: number[]): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const out = await sshHost(host, 'ss -H -ntul');
    if (ports.every((p) => new RegExp(`:${p}\\s`).test(out))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`listeners on ${host} did not come up: ${ports.join(',')}`);
}

const out = (name: string) => join(workDir(), name);

/** 80 and 7001 on every host (7001 on UDP too on h1), 7002 on web, 40123 on h4. */
async function startListeners(): Promise<void> {
  for (const h of hostNames()) {
    if (listeners.has(h)) continue;
    const tcp = [80, 7001, ...(WEB.includes(h) ? [7002] : []), ...(h === 'h4' ? [40123] : [])];
    const udp = h === 'h1' ? [7001] : [];
    await listen(h, tcp, udp);
    await bound(h, [...tcp, ...udp]);
  }
}

describeLab('fleet discover', () => {
  beforeAll(async () => {
    await resetAll();
    for (const h of hostNames()) await driftSysctl(h, 'net.ipv4.ip_local_port_range', '1024 65000');
  });

  afterAll(async () => {
    for (const [host, pid] of listeners) await sshRun(host, `kill ${pid}`);
    await resetAll();
  });

  it('nothing listens at or above 1024 (only sshd on 22): exit 1, says so, writes no policy', async () => {
    const file = out('empty.yaml');
    const r = await fleet(['discover', '-i', lab().inventory, '--out', file]);
    expect(r.exitCode, why(r)).toBe(1);
    expect(r.stderr).toContain('no host read listens on a port at or above 1024: nothing to reserve');
    expect(existsSync(file)).toBe(false);
  });

  it('proposes 7001 company-wide, 7002 for web, 40123 for h4, leaves 80 out with a comment; validate accepts it; apply then makes --strict-audit pass', async () => {
    await startListeners();
    const file = out('discovered.yaml');
    const r = await fleet(['discover', '-i', lab().inventory, '--out', file]);
    expect(r.exitCode, why(r)).toBe(0);
    expect(r.stderr).toContain('discover: 6/6 hosts read');
    const text = readFileSync(file, 'utf8');
    const doc = parse(text) as Record<string, unknown>;
    expect(doc).toMatchObject({
      version: 1,
      min_ephemeral_ports: 10000,
      reserved_ports: [7001],
      groups: { web: { reserved_ports: [7002] } },
      hosts: { h4: { reserved_ports: [40123] } },
    });
    expect(Object.keys(doc.groups as object)).toEqual(['web']);
    expect(Object.keys(doc.hosts as object)).toEqual(['h4']);
    expect(text).toContain('  - 7001 # tcp+udp python3 on 6/6 hosts\n');
    expect(text).toContain('      - 7002 # tcp python3 on 3/3 hosts of web\n');
    expect(text).toContain('      - 40123 # tcp python3\n');
    expect(text).toMatch(/# Left out, below 1024 .*\n(# {3}.*\n)*# {3}80 tcp python3 on 6\/6 hosts\n/);
    expect(text).toContain('1024-65000 on 6 hosts');
    expect(text).not.toContain('PARTIAL');

    const v = await fleet(['validate', file]);
    expect(v.exitCode, why(v)).toBe(0);

    // --json: the raw observations, and the same proposal byte for byte (same fleet, same file)
    const j = await fleet(['discover', '-i', lab().inventory, '--out', file, '--json']);
    expect(j.exitCode, why(j)).toBe(0);
    const json = JSON.parse(j.stdout) as DiscoveryDocument;
    const schema = JSON.parse(readFileSync(new URL('../../schema/discover.schema.json', import.meta.url), 'utf8')) as object;
    const valid = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
    expect(valid(json) ? [] : valid.errors).toEqual([]);
    expect(json.partial).toBe(false);
    expect(json.proposal).toBe(text);
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(json.observations).toContainEqual(
      expect.objectContaining({ host: 'h4', port: 40123, proto: 'tcp', process: 'python3', pid: Number(listeners.get('h4')) }),
    );
    expect(json.observations).toContainEqual(expect.objectContaining({ host: 'h1', port: 7001, proto: 'udp', process: 'python3' }));
    expect(json.observations).toContainEqual(expect.objectContaining({ host: 'h6', port: 22, proto: 'tcp', process: 'sshd' }));
    expect(json.hosts.map((h) => [h.host, h.read, h.ephemeralRange])).toEqual(hostNames().map((h) => [h, true, '1024-65000']));

    const a = await fleet(['apply', file, '--yes']);
    expect(a.exitCode, why(a)).toBe(0);
    expect((await sshHost('h1', 'sysctl -n net.ipv4.ip_local_reserved_ports')).trim()).toBe('7001-7002');
    expect((await sshHost('h4', 'sysctl -n net.ipv4.ip_local_reserved_ports')).trim()).toBe('7001,40123');
    const c = await fleet(['check', file, '--strict-audit']);
    expect(c.exitCode, why(c)).toBe(0);
  });

  it('with a POLICY: reads its inventory and keeps its settings', async () => {
    await startListeners();
    const policy = writePolicy({ reserved_ports: 5000, persist_file: '/etc/sysctl.d/80-ports.conf' });
    const r = await fleet(['discover', policy, '--merge-gap', '0', '--min-share', '100%', '--json']);
    expect(r.exitCode, why(r)).toBe(0);
    const doc = parse((JSON.parse(r.stdout) as DiscoveryDocument).proposal!) as Record<string, unknown>;
    expect(doc).toMatchObject({
      min_ephemeral_ports: 1000,
      persist_file: '/etc/sysctl.d/80-ports.conf',
      reserved_ports: [7001],
      groups: { web: { reserved_ports: [7002] } },
    });
  });

  it('an unreachable host: exit 1, the proposal says it is partial and names the host', async () => {
    await startListeners();
    await stopHost('h6');
    listeners.delete('h6'); // stopping a lab host ends every process in its namespace, the listener too
    try {
      const file = out('partial.yaml');
      const r = await fleet(['discover', '-i', lab().inventory, '--out', file]);
      expect(r.exitCode, why(r)).toBe(1);
      expect(r.stderr).toMatch(/partial: 1 of 6 hosts could not be read: h6 \(unreachable/);
      const text = readFileSync(file, 'utf8');
      expect(text).toContain('5 of 6 read');
      expect(text).toMatch(/# PARTIAL: 1 host could not be read.*\n# {3}h6: unreachable/);
      expect(parse(text)).toMatchObject({ reserved_ports: [7001], groups: { web: { reserved_ports: [7002] } }, hosts: { h4: { reserved_ports: [40123] } } });
      expect((await fleet(['validate', file])).exitCode).toBe(0);
    } finally {
      await startHost('h6');
    }
  });
});
