/**
 * Hostile and broken policies at the real CLI (issue 6): `fleet apply --yes`
 * and `fleet check` on each file of test/fixtures/bad-policies/ (and a few
 * generated here) exit 2 with file:LINE:COL and a field path, start no
 * Ansible process (FLEET_TRACE_EXEC records every spawn), render nothing and
 * run no injected command. In process (runCli), not the lab.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { sharedTempDir } from '../support/tmp.js';

const fixtures = fileURLToPath(new URL('../fixtures/bad-policies/', import.meta.url));
const tmp = sharedTempDir('bad-input');
const pwned = join(tmp, 'pwned');

// `file:LINE:COL path: message`, as test/policy/bad-policies.test.ts requires of loadPolicy.
const POSITION = /:\d+:\d+ (\(document\)|[A-Za-z_][\w-]*(\.[\w-]+|\[\d+\]|\[".*?"\])*): \S/;

/** Policies with template and shell syntax where data goes; each would run `touch pwned` if it reached a shell or Jinja. */
const generated: Record<string, string> = {
  'huge-file.yaml': `version: 1\n${'# padding padding padding padding padding padding padding\n'.repeat(20_000)}`,
  'jinja-in-reserved-ports.yaml': `version: 1\ninventory: x.yml\nreserved_ports: "{{ lookup('pipe', 'touch ${pwned}') }}"\n`,
  'command-substitution-in-host-name.yaml': `version: 1\ninventory: x.yml\nreserved_ports: 5000\nhosts:\n  "web1$(touch ${pwned})":\n    reserved_ports: 8080\n`,
  'semicolon-in-group-name.yaml': `version: 1\ninventory: x.yml\nreserved_ports: 5000\ngroups:\n  "web;touch ${pwned}":\n    reserved_ports: 8080\n`,
  'backticks-in-persist-file.yaml': `version: 1\ninventory: x.yml\nreserved_ports: 5000\npersist_file: "/etc/sysctl.d/\`touch ${pwned}\`.conf"\n`,
  'jinja-in-inline-ansible-host.yaml': `version: 1\nreserved_ports: 5000\ninventory:\n  hosts:\n    web1:\n      ansible_host: "{{ lookup('pipe', 'touch ${pwned}') }}"\n`,
  'backticks-in-inline-ssh-args.yaml': `version: 1\nreserved_ports: 5000\ninventory:\n  hosts:\n    web1:\n      ansible_ssh_common_args: "-o ProxyCommand=\`touch ${pwned}\`"\n`,
  // issue 15: no shell metacharacter at all, yet ssh itself would run the command on the controller
  'proxycommand-in-inline-ssh-args.yaml': `version: 1\nreserved_ports: 5000\ninventory:\n  hosts:\n    web1:\n      ansible_host: 127.0.0.1\n      ansible_ssh_common_args: "-o 'ProxyCommand=touch ${pwned}'"\n`,
  'localcommand-in-inline-ssh-args.yaml': `version: 1\nreserved_ports: 5000\ninventory:\n  hosts:\n    web1:\n      ansible_host: 127.0.0.1\n      ansible_ssh_common_args: "-o PermitLocalCommand=yes -o 'LocalCommand=touch ${pwned}'"\n`,
  'newline-in-ports-value.yaml': `version: 1\ninventory: x.yml\nreserved_ports: "5000\\n6000"\n`,
};

interface Outcome {
  exitCode: number | undefined;
  stderr: string;
  spawned: string[];
  stateDirCreated: boolean;
}

/** Run fleet ARGS with its own trace file and state dir. */
async function fleet(tag: string, args: string[]): Promise<Outcome> {
  const trace = join(tmp, `${tag}.trace`);
  const state = join(tmp, `${tag}.state`);
  const r = await runCli(args, { env: { FLEET_TRACE_EXEC: trace, FLEET_STATE_DIR: state } });
  const spawned = existsSync(trace)
    ? readFileSync(trace, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { cmd: string }).cmd)
    : [];
  return { exitCode: r.exitCode, stderr: String(r.stderr), spawned, stateDirCreated: existsSync(state) };
}

/** Run `tasks` with at most `limit` at a time (2 cores: a node start each). */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

const files = [
  ...readdirSync(fixtures)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(fixtures, f)),
  ...Object.keys(generated).map((f) => join(tmp, f)),
];
const commands = [['apply', '--yes'], ['check']] as const;
const outcomes = new Map<string, Outcome>();

describe('hostile and broken policies at the CLI: exit 2, a position and a field, no Ansible', () => {
  beforeAll(async () => {
    for (const [name, body] of Object.entries(generated)) writeFileSync(join(tmp, name), body);
    const runs = files.flatMap((file) =>
      commands.map(([cmd, ...rest]) => async () => {
        const key = `${cmd} ${file}`;
        outcomes.set(key, await fleet(`${cmd}-${file.replace(/\W/g, '_')}`, [cmd, file, ...rest]));
      }),
    );
    await pool(runs, 4);
  }, 400_000);

  it('covers the fixture corpus (at least 30 files) and the generated files', () => {
    expect(files.length).toBeGreaterThanOrEqual(30 + Object.keys(generated).length);
  });

  describe.each(commands.map((c) => c.join(' ')))('fleet %s', (command) => {
    it.each(files.map((f) => [f.slice(f.lastIndexOf('/') + 1), f]))('%s', (_name, file) => {
      const o = outcomes.get(`${command.split(' ')[0]} ${file}`);
      expect(o).toBeDefined();
      expect(o!.exitCode, o!.stderr).toBe(2);
      expect(o!.stderr).toContain(file);
      expect(o!.stderr).toMatch(POSITION);
      expect(o!.stderr).not.toMatch(/internal error/);
      // no process at all: not ansible-playbook, not ansible-inventory, not ssh
      expect(o!.spawned).toEqual([]);
      expect(o!.stateDirCreated).toBe(false);
    });
  });

  it('no injected command ran', () => {
    expect(existsSync(pwned)).toBe(false);
  });
});
