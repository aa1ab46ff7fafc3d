/** Run the real fleet CLI (dist/) against the lab, with policies written to a temp folder. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { run, type ExecResult } from '../../src/io/exec.js';
import type { RunReport } from '../../src/verify/types.js';
import { lab } from './helpers.js';

export const CLI = resolve('dist/cli/main.js');
const work = mkdtempSync(join(tmpdir(), 'fleet-labtest-'));
let n = 0;

/** Write a policy that targets the lab's inventory; returns its path. */
export function writePolicy(body: Record<string, unknown>): string {
  const file = join(work, `policy-${++n}.yaml`);
  writeFileSync(file, stringify({ version: 1, inventory: lab().inventory, min_ephemeral_ports: 1000, ...body }));
  return file;
}

export interface FleetRun extends ExecResult {
  report?: RunReport;
}

/** `fleet ARGS`; parses stdout as the JSON report when --json was passed. */
export async function fleet(args: string[], env: Record<string, string> = {}, opts: { cwd?: string } = {}): Promise<FleetRun> {
  const r = await run('node', [CLI, ...args], {
    env: { FLEET_STATE_DIR: join(work, 'state'), NO_COLOR: '1', ...env },
    timeoutMs: 170_000,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  const out: FleetRun = { ...r };
  if (args.includes('--json') && r.stdout.trim().startsWith('{')) out.report = JSON.parse(r.stdout) as RunReport;
  return out;
}

export function hostResult(report: RunReport | undefined, host: string) {
  const h = report?.hosts.find((x) => x.host === host);
  if (!h) throw new Error(`no result for ${host} in ${JSON.stringify(report?.summary)}`);
  return h;
}

export function workDir(): string {
  return work;
}

/** Human context for a failed expectation. */
export function why(r: ExecResult): string {
  return `exit ${r.exitCode}\nstderr:\n${r.stderr.slice(-3000)}\nstdout:\n${r.stdout.slice(0, 3000)}`;
}

/**
 * Run fleet on a pseudo-terminal (python's pty: fleet sees a real terminal on
 * stdin) and answer each prompt when it appears.
 */
export async function onTerminal(args: string[], answers: Record<string, string>, env: Record<string, string>, cwd: string) {
  const driver = `
import os, pty, sys, json
argv = json.loads(sys.argv[1]); answers = json.loads(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out = b''; done = set()
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    for prompt, answer in answers.items():
        if prompt not in done and prompt.encode() in out:
            os.write(fd, answer.encode() + b'\\r'); done.add(prompt)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace'))
sys.exit(os.waitstatus_to_exitcode(status))
`;
  return run('/usr/bin/python3', ['-c', driver, JSON.stringify(['node', CLI, ...args]), JSON.stringify(answers)], {
    cwd,
    env: { FLEET_STATE_DIR: join(workDir(), 'state'), NO_COLOR: '1', ...env },
    timeoutMs: 170_000,
  });
}
