/** The options table and the commands table are the only place options and exit-code help come from. */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, exitCodeHelp } from '../../src/cli/commands.js';
import { OPTIONS } from '../../src/cli/options.js';
import { runCli } from '../support/cli.js';

const longFlag = (flags: string) => /--[\w-]+/.exec(flags)![0];

describe.each(COMMANDS.map((c) => [c.name, c] as const))('fleet %s --help', (name, spec) => {
  it('lists exactly the table options for this command, and the generated exit codes', async () => {
    const r = await runCli([name, '--help']);
    expect(r.exitCode).toBe(0);
    const shown = new Set([...r.stdout.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]));
    shown.delete('--help');
    const want = new Set(OPTIONS.filter((o) => o.commands.includes(name)).map((o) => longFlag(o.flags)));
    expect([...shown].sort()).toEqual([...want].sort());
    expect(r.stdout).toContain(exitCodeHelp(spec));
  });
});

describe('exit-code help', () => {
  it('adds the codes options bring (4 for --detailed-exitcode) and 130/143 for runs that trap signals', () => {
    expect(exitCodeHelp(COMMANDS.find((c) => c.name === 'plan')!)).toBe(
      'Exit codes: 0 plan made (with --detailed-exitcode: nothing to change), 4 changes pending (--detailed-exitcode), 1 hosts unreachable/failed/refused, 2 invalid input, 3 environment.',
    );
    expect(exitCodeHelp(COMMANDS.find((c) => c.name === 'check')!)).toMatch(
      /1 any drift\/failure or an audit finding \(--strict-audit\), 2 invalid input, 3 environment, 130\/143 interrupted\.$/,
    );
  });

  it('every command says what 0, 2 and 3 mean', () => {
    for (const c of COMMANDS) expect(exitCodeHelp(c)).toMatch(/^Exit codes: 0 .*, 2 .*, 3 /);
  });
});

describe('the binary', () => {
  it("--version is package.json's version", async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const r = await runCli(['--version']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('a command returns its exit code; nothing but main.ts sets process.exitCode', async () => {
    const before = process.exitCode;
    const r = await runCli(['validate', 'no-such-policy.yaml']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('no-such-policy.yaml');
    expect(process.exitCode).toBe(before);
  });

  it('an unknown command or option is a usage error (2)', async () => {
    expect((await runCli(['bogus'])).exitCode).toBe(2);
    expect((await runCli(['check', 'p.yaml', '--no-such-option'])).exitCode).toBe(2);
  });
});

describe('cli/ boundaries (grep)', () => {
  const src = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? src(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

  it('only src/cli/main.ts sets process.exitCode', () => {
    const setters = src('src').filter((f) => /process\.exitCode\s*=[^=]/.test(readFileSync(f, 'utf8')));
    expect(setters).toEqual(['src/cli/main.ts']);
  });

  it('commands drive progress without playbook task names, and no command imports another', () => {
    const offenders = src('src/cli').flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) =>
          /from '\.\.\/render\/playbooks\.js'|from '\.\/(plan|apply|check|rollback|discover|diff|status|render|validate|merge-reports)\.js'/.test(l),
        )
        .map((l) => `${f}: ${l.trim()}`),
    );
    expect(offenders).toEqual([]);
  });
});

describe('the built binary (dist/)', () => {
  it('a reader that closes the pipe early (`fleet check --help | head -1`) is no crash: exit 0, no EPIPE trace', async () => {
    const child = spawn(process.execPath, ['dist/cli/main.js', 'check', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the read end is closed before fleet writes a byte
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((ok) => child.on('close', ok));
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  });
});
