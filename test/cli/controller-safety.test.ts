/**
 * Controller safety at the CLI (issue 15): state folders others could write,
 * policies that would run commands on the controller, empty shards, and
 * merging an incomplete set of shard reports. In process (runCli), with
 * Ansible on PATH, not the lab: hosts here are closed local ports.
 */
import { existsSync, lchownSync, mkdirSync, readFileSync, statSync, symlinkSync, chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { host, report } from '../fixtures/reports/build.js';
import { runCli } from '../support/cli.js';
import { sharedTempDir } from '../support/tmp.js';

const tmp = sharedTempDir('controller-safety');
let n = 0;

interface Outcome {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  spawned: string[];
}

/** `fleet ARGS` with its own trace of spawned processes; FLEET_STATE_DIR as given. */
async function fleet(args: string[], stateDir: string): Promise<Outcome> {
  const trace = join(tmp, `trace-${++n}`);
  const r = await runCli(args, { env: { FLEET_TRACE_EXEC: trace, FLEET_STATE_DIR: stateDir } });
  const spawned = existsSync(trace)
    ? readFileSync(trace, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const e = JSON.parse(l) as { cmd: string; args: string[] };
          return [e.cmd, ...e.args].join(' ');
        })
    : [];
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr), spawned };
}

/** A policy file with an inline inventory of hosts on a closed local port (unreachable at once). */
function policy(name: string, extra: Record<string, unknown> = {}, hostVars: Record<string, unknown> = {}): string {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(
    file,
    stringify({
      version: 1,
      reserved_ports: '40000-40100',
      ansible: { timeout: 3 },
      inventory: { hosts: { web1: { ansible_host: '127.0.0.1', ansible_port: 1, ...hostVars } } },
      ...extra,
    }),
  );
  return file;
}

const playbooks = (o: Outcome) => o.spawned.filter((c) => c.startsWith('ansible-playbook') && !c.includes('--version'));

describe('state folders (issue 15 case 3)', () => {
  it('a fresh state folder and every folder in it is 0700', async () => {
    const state = join(tmp, 'state-fresh');
    const r = await fleet(['check', policy('fresh')], state);
    expect(r.exitCode, r.stderr).toBe(1); // unreachable
    for (const d of ['fresh', 'fresh/check', 'fresh/check/inventories', 'fresh/check/playbooks']) {
      expect((statSync(join(state, d)).mode & 0o777).toString(8), d).toBe('700');
    }
  });

  it('a world-writable check folder is refused, exit 3 with the fix; no playbook runs and the lock is released', async () => {
    const state = join(tmp, 'state-0777');
    mkdirSync(join(state, 'open', 'check'), { recursive: true, mode: 0o700 });
    chmodSync(join(state, 'open', 'check'), 0o777);
    const r = await fleet(['check', policy('open')], state);
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toContain(`the state folder ${join(state, 'open', 'check')} is group- or world-writable (mode 0777)`);
    expect(r.stderr).toContain(`chmod go-w ${join(state, 'open', 'check')}`);
    expect(playbooks(r)).toEqual([]);
    expect(existsSync(join(state, 'open', 'lock'))).toBe(false);
    expect(statSync(join(state, 'open', 'check')).mode & 0o777).toBe(0o777); // not ours to chmod
  });

  it('a group-writable policy state folder is refused before anything runs', async () => {
    const state = join(tmp, 'state-0775');
    mkdirSync(join(state, 'grp'), { recursive: true, mode: 0o700 });
    chmodSync(join(state, 'grp'), 0o775);
    const r = await fleet(['apply', policy('grp'), '--yes'], state);
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toContain('is group- or world-writable (mode 0775)');
    expect(r.spawned).toEqual([]);
  });

  it.skipIf(process.getuid?.() !== 0)('a state folder that is a symlink owned by another user is refused', async () => {
    const state = join(tmp, 'state-link');
    const elsewhere = join(tmp, 'elsewhere');
    mkdirSync(elsewhere, { mode: 0o700 });
    mkdirSync(state, { mode: 0o700 });
    symlinkSync(elsewhere, join(state, 'linked'));
    lchownSync(join(state, 'linked'), 65534, 65534);
    const r = await fleet(['check', policy('linked')], state);
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toContain(`the state folder ${join(state, 'linked')} is a symbolic link owned by uid 65534`);
    expect(r.spawned).toEqual([]);
  });
});

describe('shards never hide an empty run (issue 15 case 5)', () => {
  it('--limit that matches nothing is exit 2 with --shard 1/1 as without it', async () => {
    const state = join(tmp, 'state-shard-limit');
    const p = policy('shardlimit');
    for (const extra of [[], ['--shard', '1/1'], ['--shard', '2/3']]) {
      const r = await fleet(['check', p, '--limit', 'nomatch', ...extra], state);
      expect(r.exitCode, `${extra.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('--limit nomatch matches no host of');
      // the one playbook run is where Ansible finds no host: nothing listed before it, nothing read
      expect(r.spawned.filter((c) => /^ansible(-inventory)? /.test(c))).toEqual([]);
      expect(playbooks(r)).toHaveLength(1);
      expect(playbooks(r)[0]).toContain('playbooks/check.yml');
    }
  });

  it('an empty source inventory is exit 2 with --shard 1/4 as without it', async () => {
    const state = join(tmp, 'state-shard-empty');
    const inv = join(tmp, 'empty-inventory.yml');
    writeFileSync(inv, 'all:\n  hosts: {}\n');
    const p = join(tmp, 'emptyinv.yaml');
    writeFileSync(p, stringify({ version: 1, reserved_ports: '40000-40100', inventory: inv }));
    for (const extra of [[], ['--shard', '1/4']]) {
      const r = await fleet(['check', p, ...extra], state);
      expect(r.exitCode, `${extra.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('no hosts in the inventory');
    }
  });

  it('merge-reports refuses shard 1/4 with two copies of 2/3, naming the problem', async () => {
    const files = (['1/4', '2/3', '2/3'] as const).map((shard, i) => {
      const f = join(tmp, `shard-${i}.json`);
      writeFileSync(f, JSON.stringify(report([host(`h${i}`)], { shard })));
      return f;
    });
    const r = await fleet(['merge-reports', ...files], join(tmp, 'state-merge'));
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain('report 2 is shard 2/3 but report 1 is shard 1/4');
    const two = await fleet(['merge-reports', files[0]!], join(tmp, 'state-merge'));
    expect(two.exitCode).toBe(2);
    expect(two.stderr).toContain('missing shards 2/4, 3/4, 4/4');
  });
});

describe('host names from a source inventory (issue 15 case 8)', () => {
  it('a dynamic inventory naming a host "db1:2222" is exit 2 with the fix, before any write', async () => {
    const script = join(tmp, 'dynamic.sh');
    writeFileSync(script, `#!/bin/sh\necho '{"all": {"hosts": ["db1:2222", "web1"]}, "_meta": {"hostvars": {}}}'\n`, { mode: 0o755 });
    const p = join(tmp, 'dynamic.yaml');
    writeFileSync(p, stringify({ version: 1, reserved_ports: '40000-40100', inventory: script }));
    const r = await fleet(['check', p], join(tmp, 'state-dynamic'));
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain(`inventory ${script}: 1 host name Ansible would read differently`);
    expect(r.stderr).toContain('set its port with ansible_port: 2222');
    // no listing: the read's targets report names the host, fleet stops that read-only run
    expect(playbooks(r)).toHaveLength(1);
    expect(r.spawned.some((c) => c.startsWith('ansible-inventory'))).toBe(false);
    const applied = await fleet(['apply', p, '--yes'], join(tmp, 'state-dynamic'));
    expect(applied.exitCode, applied.stderr).toBe(2);
    expect(applied.stderr).toContain(`inventory ${script}: 1 host name Ansible would read differently`);
  });
});
