/**
 * One inventory parse per run (issue 19): check, plan and apply start ONE
 * ansible-playbook process and no ansible-inventory or `ansible
 * --list-hosts`, even on a 10,000-host static inventory with --limit. The
 * process list comes from FLEET_TRACE_EXEC. Needs dist/ and Ansible on PATH,
 * not the lab: the hosts are a closed local port (unreachable at once). No
 * timing is asserted (the bench measures it).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RunReport } from '../../src/verify/types.js';
import { onPath } from '../support/tools.js';

const CLI = resolve('dist/cli/main.js');
const HAS_ANSIBLE = await onPath('ansible-playbook');
const tmp = mkdtempSync(join(tmpdir(), 'fleet-one-parse-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** A static YAML inventory of `count` hosts in groups of 100, every one on 127.0.0.1:1. */
function inventory(count: number): string {
  const file = join(tmp, `hosts-${count}.yml`);
  const groups: Record<string, { hosts: Record<string, null> }> = {};
  for (let i = 0; i < count; i++) {
    const g = `rack${String(Math.floor(i / 100)).padStart(3, '0')}`;
    groups[g] ??= { hosts: {} };
    groups[g].hosts[`node-${String(i).padStart(5, '0')}`] = null;
  }
  writeFileSync(file, stringify({ all: { vars: { ansible_host: '127.0.0.1', ansible_port: 1 }, children: groups } }));
  return file;
}

async function fleet(
  args: string[],
  inv: string,
): Promise<{ exitCode: number | undefined; stderr: string; report?: RunReport; spawned: { cmd: string; args: string[] }[] }> {
  const trace = join(tmp, `trace-${++n}.jsonl`);
  const policy = join(tmp, `policy-${n}.yaml`);
  writeFileSync(
    policy,
    stringify({ version: 1, reserved_ports: '40000-40100', groups: { rack042: { reserved_ports: '41000' } }, ansible: { timeout: 3 }, inventory: inv }),
  );
  const r = await execa(process.execPath, [CLI, args[0]!, policy, ...args.slice(1), '--json'], {
    reject: false,
    env: { FLEET_TRACE_EXEC: trace, FLEET_STATE_DIR: join(tmp, 'state'), NO_COLOR: '1' },
    timeout: 170_000,
  });
  const spawned = existsSync(trace)
    ? readFileSync(trace, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { cmd: string; args: string[] })
    : [];
  const out = String(r.stdout).trim();
  return { exitCode: r.exitCode, stderr: String(r.stderr), spawned, ...(out.startsWith('{') ? { report: JSON.parse(out) as RunReport } : {}) };
}

/** The Ansible processes that parse an inventory: every ansible-playbook run (not --version), ansible-inventory, ansible. */
const parses = (spawned: { cmd: string; args: string[] }[]) =>
  spawned.filter((e) => e.cmd === 'ansible-inventory' || e.cmd === 'ansible' || (e.cmd === 'ansible-playbook' && !e.args.includes('--version')));

describe.skipIf(!HAS_ANSIBLE)('one inventory parse per run', () => {
  it('fleet check --limit ONEHOST on a 10,000-host static inventory: one ansible-playbook, no ansible-inventory, groups from the read', async () => {
    const inv = inventory(10_000);
    const r = await fleet(['check', '--limit', 'node-04242'], inv);
    expect(r.exitCode, r.stderr).toBe(1); // the host is a closed port: unreachable
    expect(parses(r.spawned).map((e) => e.cmd)).toEqual(['ansible-playbook']);
    const [pb] = parses(r.spawned);
    expect(pb!.args).toContain('--limit');
    expect(pb!.args.filter((a) => a === '-i')).toHaveLength(1);
    expect(pb!.args[pb!.args.indexOf('-i') + 1]).toBe(inv);
    expect(r.report?.hosts).toHaveLength(1);
    // its group came from the read's targets report (rack042 adds 41000)
    expect(r.report?.hosts[0]).toMatchObject({ host: 'node-04242', groups: ['rack042'], verdict: 'unreachable', desired: '40000-40100,41000' });
  }, 180_000);

  it('plan and apply: one ansible-playbook each (apply reads, plans and applies in the same run)', async () => {
    const inv = inventory(300);
    const plan = await fleet(['plan', '--limit', 'rack001[0:4]'], inv);
    expect(plan.exitCode, plan.stderr).toBe(1);
    expect(parses(plan.spawned).map((e) => e.args[0]!.split('/').slice(-2).join('/'))).toEqual(['playbooks/check.yml']);
    expect(plan.report?.hosts).toHaveLength(5);
    const apply = await fleet(['apply', '--limit', 'rack001[0:4]', '--yes'], inv);
    expect(apply.exitCode, apply.stderr).toBe(1);
    expect(parses(apply.spawned).map((e) => e.args[0]!.split('/').slice(-2).join('/'))).toEqual(['playbooks/run.yml']);
    expect(apply.report?.summary).toMatchObject({ hosts: 5, unreachable: 5, changed: 0 });
  }, 180_000);
});
