/**
 * Secrets and safety (issue 6): one process chokepoint and no shell, no SSH
 * key material in anything fleet writes or prints, and no group- or
 * world-writable file or folder in what it generates, even under umask 000.
 * Needs dist/ (`npm run build`), not the lab.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { sharedTempDir } from '../support/tmp.js';

const CLI = resolve('dist/cli/main.js');
const SRC = resolve('src');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? [p, ...walk(p)] : [p];
  });
}

describe('static: processes only through src/io/exec.ts, never through a shell', () => {
  const sources = walk(SRC).filter((p) => p.endsWith('.ts'));

  it('finds the sources', () => expect(sources.length).toBeGreaterThan(20));

  it('no file but src/io/exec.ts imports execa or child_process', () => {
    const IMPORT = /(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"](?:execa|(?:node:)?child_process)['"]/;
    const offenders = sources.filter((p) => relative(SRC, p) !== join('io', 'exec.ts') && IMPORT.test(readFileSync(p, 'utf8')));
    expect(offenders).toEqual([]);
    expect(readFileSync(join(SRC, 'io', 'exec.ts'), 'utf8')).toMatch(IMPORT); // the pattern does match a real import
  });

  it('no `shell: true` (nor the execaCommand shell-string API) anywhere in src/', () => {
    const SHELL = /\bshell\s*:\s*(?!false\b)|execaCommand/;
    const offenders = sources.filter((p) => SHELL.test(readFileSync(p, 'utf8'))).map((p) => relative(SRC, p));
    expect(offenders).toEqual([]);
  });
});

describe('generated files: no key material, safe permissions', () => {
  const tmp = sharedTempDir('safety');
  const stateRoot = join(tmp, 'state');
  const keyFile = join(tmp, 'keys', 'id_ed25519');
  let keyLines: string[] = [];
  let server: Server;
  const sockets = new Set<Socket>();
  let policy = '';

  /** `fleet ARGS` under umask 000, so only fleet's own modes keep files private (a subprocess: the umask is per process). */
  function fleet(args: string[]) {
    return execa('sh', ['-c', 'umask 000 && exec "$@"', 'sh', process.execPath, CLI, ...args], {
      reject: false,
      env: { FLEET_STATE_DIR: stateRoot, NO_COLOR: '1' },
      timeout: 60_000,
    });
  }

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before these tests`);
    await execa('mkdir', ['-p', join(tmp, 'keys')]);
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'fleet-safety-test', '-f', keyFile]);
    const pem = readFileSync(keyFile, 'utf8');
    keyLines = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
    expect(keyLines.length).toBeGreaterThan(2);
    // a TCP port that accepts and never speaks: ssh waits for a banner until the connect timeout, so the run lasts long enough to see its lock
    server = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    policy = join(tmp, 'keyed.yaml');
    writeFileSync(
      policy,
      stringify({
        version: 1,
        reserved_ports: '40000-40100',
        ansible: { timeout: 3 },
        inventory: { hosts: { web1: { ansible_host: '127.0.0.1', ansible_port: port, ansible_user: 'root', ansible_ssh_private_key_file: keyFile } } },
      }),
    );
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server?.close(r));
  });

  function assertNoKey(label: string, text: string): void {
    expect(text, label).not.toMatch(/PRIVATE KEY/);
    for (const line of keyLines) expect(text.includes(line), `${label} contains a line of the private key`).toBe(false);
  }

  function assertNotWritableByOthers(paths: string[]): void {
    const bad = paths
      .map((p) => ({ p, st: lstatSync(p) }))
      .filter(({ st }) => !st.isSymbolicLink() && !st.isSocket() && (st.mode & 0o022) !== 0)
      .map(({ p, st }) => `${(st.mode & 0o777).toString(8)} ${p}`);
    expect(bad).toEqual([]);
  }

  it('fleet render: the project names the key file but never contains the key; nothing group/world-writable', async () => {
    const out = join(tmp, 'rendered');
    const r = await fleet(['render', policy, '--out', out]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    assertNoKey('stdout', String(r.stdout));
    assertNoKey('stderr', String(r.stderr));
    const files = walk(out);
    expect(files.filter((f) => statSync(f).isFile()).length).toBeGreaterThan(2);
    // the project does point ssh at the key file (so the test would see its content if it were copied)
    expect(
      files
        .filter((f) => statSync(f).isFile())
        .map((f) => readFileSync(f, 'utf8'))
        .join('\n'),
    ).toContain(keyFile);
    for (const f of files) if (statSync(f).isFile()) assertNoKey(f, readFileSync(f, 'utf8'));
    assertNotWritableByOthers([out, ...files]);
  });

  it('fleet check: state dir, lock, reports, stdout and stderr hold no key; nothing group/world-writable', async () => {
    const reports = join(tmp, 'reports');
    const run = fleet(['check', policy, '--report', `json=${reports}/r.json`, '--report', `html=${reports}/r.html`, '--report', `junit=${reports}/r.xml`]);
    const lock = join(stateRoot, 'keyed', 'lock');
    let lockMode: number | undefined;
    let lockText = '';
    while (run.exitCode === null && lockMode === undefined) {
      try {
        lockMode = statSync(lock).mode;
        lockText = readFileSync(lock, 'utf8');
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const r = await run;
    expect(r.exitCode, String(r.stderr)).toBe(1); // the host never answers: unreachable
    expect(String(r.stdout)).toMatch(/web1\s+unreachable/);
    expect(lockMode, 'the lock file was never seen while the run was going').toBeDefined();
    expect(lockMode! & 0o022).toBe(0);
    expect(JSON.parse(lockText)).toMatchObject({ command: 'check' });
    assertNoKey('stdout', String(r.stdout));
    assertNoKey('stderr', String(r.stderr));
    const written = [...walk(stateRoot), ...walk(reports)];
    expect(written.some((f) => f.endsWith('ansible.cfg'))).toBe(true);
    for (const f of written) if (statSync(f).isFile()) assertNoKey(f, readFileSync(f, 'utf8'));
    // report folders are created by src/io/files.ts (writeFileAtomic), outside this test's scope: only the report files themselves here
    assertNotWritableByOthers([stateRoot, ...written.filter((f) => !f.startsWith(reports) || statSync(f).isFile())]);
  });
});
