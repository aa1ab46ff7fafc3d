import { mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { vaultProblem } from '../../src/engine/playbook.js';
import { IDLE_MS, pruneIdle, runtimeBase, runtimeDirFor, shortName } from '../../src/engine/runtime-dir.js';
import { becomeArgv, resolveSecrets, secretArgv } from '../../src/engine/secrets.js';
import { ExitCode } from '../../src/errors.js';
import { sharedTempDir } from '../support/tmp.js';

const tmp = sharedTempDir('secrets');

describe('secret options reach Ansible as file paths only', () => {
  it('vault ids are passed through in order; become password file only to ansible-playbook', async () => {
    const pw = join(tmp, 'sudo-pass');
    writeFileSync(pw, 's3cret', { mode: 0o600 });
    const s = await resolveSecrets({ vaultIds: ['dev@a', 'prod@b'], becomePasswordFile: pw }, tmp);
    expect(secretArgv(s)).toEqual(['--vault-id', 'dev@a', '--vault-id', 'prod@b']);
    expect(becomeArgv(s)).toEqual(['--become-password-file', pw]);
    expect([...secretArgv(s), ...becomeArgv(s)].join(' ')).not.toContain('s3cret');
  });

  it('an unreadable password file is bad input (exit 2), and asking without a terminal too', async () => {
    await expect(resolveSecrets({ becomePasswordFile: join(tmp, 'nope') }, tmp)).rejects.toMatchObject({ exitCode: ExitCode.invalid });
    await expect(resolveSecrets({ askBecomePass: true, becomePasswordFile: join(tmp, 'nope') }, tmp)).rejects.toMatchObject({ exitCode: ExitCode.invalid });
    if (!process.stdin.isTTY) await expect(resolveSecrets({ askVaultPass: true }, tmp)).rejects.toThrow(/no terminal/);
    expect(readdirSync(tmp).filter((n) => n.startsWith('secret-'))).toEqual([]);
  });
});

describe('private runtime folder', () => {
  it('is short whatever the policy path, per user, and 0700', async () => {
    expect(runtimeBase({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000)).toBe('/run/user/1000/fleet');
    expect(runtimeBase({}, 1000)).toBe('/tmp/fleet-1000');
    const deep = `/${'x'.repeat(300)}/.fleet/policy`;
    expect(shortName(deep)).toMatch(/^[0-9a-f]{12}$/);
    expect(shortName(deep)).not.toBe(shortName('/other/.fleet/policy'));
    const dir = await runtimeDirFor(join(tmp, 'state', 'p'));
    expect(dir.length).toBeLessThan(60);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    rmSync(dir, { recursive: true, force: true });
  });

  it("other policies' folders left empty for a day are removed; busy, fresh and foreign ones stay", async () => {
    const base = join(tmp, 'runtime-base');
    const at = (name: string, ageMs: number, file?: string) => {
      const d = join(base, name);
      mkdirSync(d, { recursive: true });
      if (file) writeFileSync(join(d, file), '');
      const t = (Date.now() - ageMs) / 1000;
      utimesSync(d, t, t);
      return d;
    };
    const idle = at('0123456789ab', 2 * IDLE_MS);
    const busy = at('123456789abc', 2 * IDLE_MS, 'ssh-socket');
    const fresh = at('23456789abcd', IDLE_MS / 2);
    const mine = at('3456789abcde', 2 * IDLE_MS);
    const foreign = at('not-fleets', 2 * IDLE_MS);
    expect(await pruneIdle(base, mine)).toEqual([idle]);
    expect(readdirSync(base).sort()).toEqual([busy, fresh, mine, foreign].map((d) => d.slice(base.length + 1)).sort());
    expect(await pruneIdle(join(tmp, 'no-such-base'), mine)).toEqual([]);
  });
});

describe('vaultProblem', () => {
  it('turns an undecryptable vaulted variable into exit 3 with the fix', () => {
    const e = vaultProblem(['', 'Attempting to decrypt but no vault secrets found']);
    expect(e?.exitCode).toBe(ExitCode.environment);
    expect(e?.message).toContain('no vault secrets found');
    expect(e?.details.join(' ')).toContain('--vault-id');
    expect(vaultProblem(['ERROR! Decryption failed (no vault secrets were found that could decrypt) on /p/inv.yml'])).toBeDefined();
    expect(vaultProblem(['Missing sudo password', 'unreachable'])).toBeUndefined();
  });
});
