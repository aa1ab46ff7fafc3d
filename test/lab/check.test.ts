/**
 * fleet check on the lab (issue: scheduled compliance runs): verdicts, every
 * report format, persisted drift, remediation of only the drifted hosts, and
 * the listen-port audit against real sockets.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { beforeAll, beforeEach, expect, it } from 'vitest';
import { checkExposition } from '../report/prom-format.js';
import { inShard } from '../../src/plan/shard.js';
import { describeLab, driftSysctl, hostNames, labHost, resetAll, sshHost, startHost, stopHost } from './helpers.js';
import { fleet, hostResult, why, workDir, writePolicy } from './fleet.js';

const schema = JSON.parse(readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8')) as object;
const validateReport = new Ajv({ allErrors: true, strict: true }).compile(schema);

const policyBody = { reserved_ports: '40000-40100', groups: { web: { reserved_ports: 41000 } } };
let policy: string;

function reports(tag: string) {
  const p = (ext: string) => join(workDir(), `${tag}.${ext}`);
  return {
    args: ['--report', `json=${p('json')}`, '--report', `junit=${p('xml')}`, '--report', `prometheus=${p('prom')}`, '--report', `html=${p('html')}`],
    json: () => JSON.parse(readFileSync(p('json'), 'utf8')) as unknown,
    junit: () => readFileSync(p('xml'), 'utf8'),
    prom: () => readFileSync(p('prom'), 'utf8'),
    html: () => readFileSync(p('html'), 'utf8'),
  };
}

function junitCases(xml: string): { name: string; failure?: unknown; error?: unknown }[] {
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml) as {
    testsuites: { testsuite: { testcase: { name: string }[] | { name: string } } };
  };
  const cases = doc.testsuites.testsuite.testcase;
  return Array.isArray(cases) ? cases : [cases];
}

describeLab('fleet check', () => {
  beforeAll(async () => {
    await resetAll();
    policy = writePolicy(policyBody);
  });
  beforeEach(async () => {
    // every test starts from a compliant fleet
    const r = await fleet(['apply', policy, '--yes', '--json']);
    expect(r.exitCode, why(r)).toBe(0);
  });

  it('all compliant: exit 0, and every report says so', async () => {
    const rep = reports('ok');
    const r = await fleet(['check', policy, ...rep.args]);
    expect(r.exitCode, why(r)).toBe(0);
    expect(r.stdout).toMatch(/6 hosts compliant/);
    const json = rep.json();
    expect(validateReport(json), JSON.stringify(validateReport.errors)).toBe(true);
    expect(json).toMatchObject({ command: 'check', summary: { hosts: 6, compliant: 6 } });
    const cases = junitCases(rep.junit());
    expect(cases).toHaveLength(6);
    expect(cases.filter((c) => c.failure || c.error)).toHaveLength(0);
    const prom = checkExposition(rep.prom());
    expect(prom.problems).toEqual([]);
    expect(prom.samples.filter((s) => s.name === 'fleet_host_compliant' && s.value === 1)).toHaveLength(6);
    expect(prom.samples.find((s) => s.name === 'fleet_last_run_success')?.value).toBe(1);
    expect(rep.html()).toMatch(/compliant/i);
  });

  it('sysctl -w drift on one host: exit 1, and JSON, JUnit, Prometheus and HTML name the host and the missing ports', async () => {
    await driftSysctl('h2', 'net.ipv4.ip_local_reserved_ports', '40000-40049,41000');
    const rep = reports('drift');
    const r = await fleet(['check', policy, '--json', ...rep.args]);
    expect(r.exitCode, why(r)).toBe(1);
    const h2 = hostResult(r.report, 'h2');
    expect(h2).toMatchObject({ verdict: 'drift', runtime: { missing: '40050-40100', extra: '' } });
    expect(r.report?.summary).toMatchObject({ compliant: 5, drift: 1 });
    expect(validateReport(rep.json())).toBe(true);
    const failing = junitCases(rep.junit()).filter((c) => c.failure);
    expect(failing.map((c) => c.name)).toEqual(['h2']);
    expect(JSON.stringify(failing[0]!.failure)).toContain('40050-40100');
    const prom = checkExposition(rep.prom());
    expect(prom.problems).toEqual([]);
    expect(prom.samples.find((s) => s.name === 'fleet_host_compliant' && s.labels.host === 'h2')?.value).toBe(0);
    expect(prom.samples.find((s) => s.name === 'fleet_host_missing_ports' && s.labels.host === 'h2')?.value).toBe(51);
    const html = rep.html();
    expect(html).toContain('h2');
    expect(html).toContain('40050-40100');
  });

  it('a host whose persisted file was deleted is drift even though its runtime value is right', async () => {
    rmSync(join(labHost('h3').sysctlDir, '90-fleet-reserved-ports.conf'));
    const r = await fleet(['check', policy, '--json']);
    expect(r.exitCode, why(r)).toBe(1);
    const h3 = hostResult(r.report, 'h3');
    expect(h3.verdict).toBe('drift');
    expect(h3.runtime).toEqual({ missing: '', extra: '' });
    expect(h3.persisted).toBeNull();
    expect(h3.message).toMatch(/reboot/);
  });

  it('a file sorting after ours that sets another value is drift (it wins at boot)', async () => {
    await sshHost('h4', "echo 'net.ipv4.ip_local_reserved_ports = 7000' > /etc/sysctl.d/99-other.conf");
    const r = await fleet(['check', policy, '--json']);
    expect(r.exitCode, why(r)).toBe(1);
    expect(hostResult(r.report, 'h4').overriddenBy).toEqual(['/etc/sysctl.d/99-other.conf']);
    await sshHost('h4', 'rm -f /etc/sysctl.d/99-other.conf');
  });

  it('--remediate fixes only the drifted host; the others report 0 changed', async () => {
    await driftSysctl('h5', 'net.ipv4.ip_local_reserved_ports', '7000');
    const r = await fleet(['check', policy, '--remediate', '--json']);
    expect(r.exitCode, why(r)).toBe(0);
    expect(r.report?.command).toBe('remediate');
    expect(r.report?.before?.summary).toMatchObject({ drift: 1, compliant: 5 });
    expect(r.report?.summary).toMatchObject({ compliant: 6, changed: 1 });
    expect(hostResult(r.report, 'h5')).toMatchObject({ verdict: 'compliant', changed: true });
    for (const h of ['h1', 'h2', 'h3', 'h4', 'h6']) expect(hostResult(r.report, h).changed, h).toBe(false);
    expect((await sshHost('h5', 'sysctl -n net.ipv4.ip_local_reserved_ports')).trim()).toBe('40000-40100');
  });

  it('audit reports a listener outside the listen ranges and a connection holding a reserved port, with host, port and process', async () => {
    // a listener on 23456 (outside 40000-40100), and an outgoing connection whose local port 40005 is reserved
    const addr = labHost('h1').address; // the lab's sshd listens on the host address only
    const script = [
      'import socket, time',
      'l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind(("0.0.0.0", 23456)); l.listen()',
      `c = socket.socket(); c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); c.bind(("${addr}", 40005)); c.connect(("${addr}", 22))`,
      'time.sleep(120)',
    ].join('\n');
    const pid = (await sshHost('h1', `nohup python3 -c '${script}' >/dev/null 2>&1 & echo $!`)).trim();
    try {
      await new Promise((r) => setTimeout(r, 500));
      const r = await fleet(['check', policy, '--audit', '--json', '--limit', 'h1']);
      expect(r.exitCode, why(r)).toBe(0); // findings are warnings without --strict-audit
      const audit = hostResult(r.report, 'h1').audit ?? [];
      const listener = audit.find((f) => f.kind === 'listener_outside_policy' && f.port === 23456);
      expect(listener?.process).toMatch(/^python3\[\d+\]$/);
      const holder = audit.find((f) => f.kind === 'reserved_port_in_use' && f.port === 40005);
      expect(holder?.process).toMatch(/^python3/);
      expect(holder?.peer).toBe(`${addr}:22`);
      // sshd on 22 is a system port: not a finding
      expect(audit.find((f) => f.port === 22)).toBeUndefined();
      const strict = await fleet(['check', policy, '--strict-audit', '--limit', 'h1']);
      expect(strict.exitCode).toBe(1);
      expect(strict.stdout).toContain('23456');
    } finally {
      await sshHost('h1', `kill ${pid} || true`);
    }
  });

  it("--shard K/3 splits the targeted hosts, each in one shard; the other shards' hosts are never contacted; one ansible-playbook, no listing", async () => {
    const names = hostNames();
    const shardOf = (h: string) => [1, 2, 3].find((k) => inShard(h, { index: k, count: 3 }))!;
    const seen: string[] = [];
    for (const k of [1, 2, 3]) {
      const mine = names.filter((h) => shardOf(h) === k);
      const others = names.filter((h) => shardOf(h) !== k);
      // a contacted host whose sshd is down would be unreachable: stop every host outside the shard
      for (const h of others) await stopHost(h);
      const trace = join(workDir(), `trace-shard-${k}.jsonl`);
      try {
        const r = await fleet(['check', policy, '--json', '--shard', `${k}/3`], { FLEET_TRACE_EXEC: trace });
        expect(r.exitCode, why(r)).toBe(0);
        expect(r.report?.hosts.map((h) => h.host).sort()).toEqual(mine);
        expect(r.report?.summary).toMatchObject({ hosts: mine.length, compliant: mine.length, unreachable: 0 });
        seen.push(...(r.report?.hosts.map((h) => h.host) ?? []));
      } finally {
        for (const h of others) await startHost(h);
      }
      const runs = readFileSync(trace, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { cmd: string; args: string[] });
      expect(runs.filter((e) => e.cmd === 'ansible-playbook' && !e.args.includes('--version')).length).toBe(1);
      expect(runs.filter((e) => e.cmd === 'ansible-inventory' || e.cmd === 'ansible')).toEqual([]);
    }
    expect(seen.sort()).toEqual(names);
  });

  it("--limit and targets narrow the play: groups and desired sets come from the read's own report", async () => {
    const web = await fleet(['check', policy, '--json', '--limit', 'web']);
    expect(web.exitCode, why(web)).toBe(0);
    expect(web.report?.hosts.map((h) => h.host).sort()).toEqual(['h1', 'h2', 'h3']);
    expect(hostResult(web.report, 'h1')).toMatchObject({ groups: ['web'], desired: '40000-40100,41000' });
    const targeted = writePolicy({ ...policyBody, targets: 'all:!web' });
    const db = await fleet(['check', targeted, '--json']);
    expect(db.exitCode, why(db)).toBe(0);
    expect(db.report?.hosts.map((h) => h.host).sort()).toEqual(['h4', 'h5', 'h6']);
    expect(hostResult(db.report, 'h4')).toMatchObject({ groups: ['db'], desired: '40000-40100' });
    expect(db.report?.outsideTargets).toEqual({ pattern: 'all:!web', hosts: ['h1', 'h2', 'h3'] });
    const none = await fleet(['check', targeted, '--limit', 'web']);
    expect(none.exitCode, why(none)).toBe(2);
    expect(none.stderr).toContain('--limit web matches no host of');
  });
});
