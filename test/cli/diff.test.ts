/**
 * `fleet diff OLD NEW` (issue 12): per-host changes between two revisions of
 * a policy, offline. FLEET_TRACE_EXEC proves no process is started, except
 * ansible-inventory when the hosts come from a source inventory. In process
 * (runCli), except the `<(...)` case: a real shell gives the binary a pipe. Needs dist/.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { sharedTempDir } from '../support/tmp.js';
import { onPath } from '../support/tools.js';

const CLI = resolve('dist/cli/main.js');
const tmp = sharedTempDir('diff');
let n = 0;
const hasInventoryTool = await onPath('ansible-inventory');

const inline = {
  hosts: { c1: { ansible_host: '198.18.99.1' }, c2: { ansible_host: '198.18.99.2' }, c10: { ansible_host: '198.18.99.10' } },
  groups: { web: { hosts: ['c1', 'c2'] }, db: { hosts: ['c10'] } },
};

function policy(body: string): string {
  const f = join(tmp, `p${++n}.yaml`);
  writeFileSync(f, `version: 1\nmin_ephemeral_ports: 1000\n${body}`);
  return f;
}

const inlineInv = `inventory:\n  hosts:\n${Object.entries(inline.hosts)
  .map(([h, v]) => `    ${h}: {ansible_host: ${v.ansible_host}}`)
  .join('\n')}\n  groups:\n    web: {hosts: [c1, c2]}\n    db: {hosts: [c10]}\n`;

async function diff(args: string[], shell = false) {
  const trace = join(tmp, `t${++n}.trace`);
  const env = { FLEET_TRACE_EXEC: trace, FLEET_STATE_DIR: join(tmp, 'state'), NO_COLOR: '1' };
  const r = shell
    ? await execa('bash', ['-c', `"${process.execPath}" "${CLI}" diff ${args.join(' ')}`], { reject: false, env })
    : await runCli(['diff', ...args], { env });
  const spawned = existsSync(trace)
    ? readFileSync(trace, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { cmd: string }).cmd)
    : [];
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr), spawned };
}

describe('fleet diff', () => {
  const oldP = policy(`reserved_ports: 5000-10000\ngroups:\n  web: {reserved_ports: 11211}\n${inlineInv}`);
  const newP = policy(
    `reserved_ports: 5000-8999\ngroups:\n  web: {reserved_ports: 11211}\n  db: {reserved_ports: [15432, 15433]}\nhosts:\n  c2: {ephemeral_range: 1024-65000}\n${inlineInv}`,
  );

  it('exact per-host changes with an inline inventory, no process started, --detailed-exitcode 4', async () => {
    const r = await diff([oldP, newP, '--json', '--detailed-exitcode']);
    expect(r.exitCode, r.stderr).toBe(4);
    expect(r.spawned).toEqual([]);
    const doc = JSON.parse(r.stdout) as { hosts: unknown[]; unchanged: number; settings: unknown[] };
    expect(doc.settings).toEqual([]);
    expect(doc.unchanged).toBe(0);
    expect(doc.hosts).toEqual([
      {
        host: 'c1',
        change: 'changed',
        before: '5000-10000,11211',
        after: '5000-8999,11211',
        add: '',
        remove: '9000-10000',
        addCount: 0,
        removeCount: 1001,
        freeBefore: 28232,
        freeAfter: 28232,
      },
      {
        host: 'c2',
        change: 'changed',
        before: '5000-10000,11211',
        after: '5000-8999,11211',
        add: '',
        remove: '9000-10000',
        addCount: 0,
        removeCount: 1001,
        freeBefore: 28232,
        freeAfter: 59976,
        rangeAfter: '1024-65000',
      },
      {
        host: 'c10',
        change: 'changed',
        before: '5000-10000',
        after: '5000-8999,15432-15433',
        add: '15432-15433',
        remove: '9000-10000',
        addCount: 2,
        removeCount: 1001,
        freeBefore: 28232,
        freeAfter: 28232,
      },
    ]);
  });

  it('a table and markdown for a pull request; identical revisions exit 0', async () => {
    const text = await diff([oldP, newP]);
    expect(text.exitCode).toBe(0);
    expect(text.stdout.trimEnd()).toMatchInlineSnapshot(`
      "HOST  BEFORE               AFTER                  ADD          REMOVE      EPHEMERAL FREE  NOTE
      c1    5000-10000,11211  →  5000-8999,11211        -            9000-10000  28232 → 28232   -1001 ports
      c2    5000-10000,11211  →  5000-8999,11211        -            9000-10000  28232 → 59976   -1001 ports, port range unmanaged → 1024-65000
      c10   5000-10000        →  5000-8999,15432-15433  15432-15433  9000-10000  28232 → 28232   +2 ports, -1001 ports
      3 hosts: 3 change, 0 unchanged"
    `);
    const md = await diff([oldP, newP, '--format', 'markdown']);
    expect(md.stdout).toContain('| c10 | `5000-10000` | `5000-8999,15432-15433` | `15432-15433` | `9000-10000` |');
    const same = await diff([newP, newP, '--detailed-exitcode']);
    expect(same.exitCode).toBe(0);
    expect(same.stdout).toContain('3 hosts: 0 change, 3 unchanged');
  });

  it('reads the old revision from a pipe: fleet diff <(cat old) new', async () => {
    const r = await diff([`<(cat "${oldP}")`, `"${newP}"`, '--json'], true);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { hosts: unknown[] }).hosts).toHaveLength(3);
  });

  it.skipIf(!hasInventoryTool)('with -i a source inventory: only ansible-inventory runs, both revisions planned on its hosts', async () => {
    const inv = join(tmp, 'inv.yml');
    writeFileSync(inv, 'all:\n  children:\n    web:\n      hosts:\n        c1: {}\n        c3: {}\n');
    const a = policy('reserved_ports: 5000-6000\ninventory: inv.yml\n');
    const b = policy('reserved_ports: 5000-6001\ninventory: inv.yml\ngroups:\n  web: {reserved_ports: 7000}\n');
    const r = await diff([a, b, '-i', inv, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.spawned).toEqual(['ansible-inventory']);
    const doc = JSON.parse(r.stdout) as { hosts: { host: string; add: string }[] };
    expect(doc.hosts.map((h) => [h.host, h.add])).toEqual([
      ['c1', '6001,7000'],
      ['c3', '6001,7000'],
    ]);
  });
});
