import { rmSync } from 'node:fs';
import { access, constants, mkdtemp, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ExitCode, FleetError } from '../errors.js';

/** Secrets and vault options for every Ansible run of a session (never put in argv as values, never printed). */
export interface SecretOptions {
  /** --vault-id, repeatable, passed through as given. */
  vaultIds?: string[];
  askVaultPass?: boolean;
  askBecomePass?: boolean;
  becomePasswordFile?: string;
}

/** Resolved: files Ansible reads the secrets from. */
export interface Secrets {
  vaultIds: string[];
  vaultPasswordFile?: string;
  becomePasswordFile?: string;
}

/**
 * Read a line from the terminal without echo. Raw mode, so nothing typed is
 * ever shown; Ctrl-C aborts with exit 130.
 */
export async function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY)
    throw new FleetError(`cannot ask for a password: no terminal (${question.trim()})`, ExitCode.invalid, [
      'pass it in a file instead (--become-password-file FILE, --vault-id LABEL@FILE)',
    ]);
  // raw mode (no echo) before the prompt shows: nothing typed after it can be echoed
  stdin.setRawMode(true);
  process.stderr.write(question);
  stdin.resume();
  stdin.setEncoding('utf8');
  try {
    return await new Promise<string>((done, fail) => {
      let text = '';
      const onData = (chunk: string) => {
        for (const ch of chunk) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') {
            stdin.off('data', onData);
            return done(text);
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            return fail(new FleetError('interrupted at the password prompt', ExitCode.sigint));
          }
          if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
          else text += ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

async function readable(file: string, what: string): Promise<string> {
  const path = resolve(file);
  try {
    await access(path, constants.R_OK);
  } catch {
    throw new FleetError(`${what} ${file} cannot be read`, ExitCode.invalid, ['give a readable file (mode 0600, yours)']);
  }
  return path;
}

/**
 * Prompt for what was asked on the terminal and keep it in 0600 files in a
 * 0700 folder under the private runtime dir, removed when fleet exits; Ansible
 * reads them with --vault-password-file / --become-password-file.
 */
export async function resolveSecrets(opts: SecretOptions, runtimeDir: string): Promise<Secrets> {
  const out: Secrets = { vaultIds: [...(opts.vaultIds ?? [])] };
  if (opts.becomePasswordFile && opts.askBecomePass) throw new FleetError('--ask-become-pass and --become-password-file exclude each other', ExitCode.invalid);
  if (opts.becomePasswordFile) out.becomePasswordFile = await readable(opts.becomePasswordFile, '--become-password-file');
  if (!opts.askVaultPass && !opts.askBecomePass) return out;
  // ask first: nothing is written unless every answer was given
  const become = opts.askBecomePass ? await promptHidden('BECOME password: ') : undefined;
  const vault = opts.askVaultPass ? await promptHidden('Vault password: ') : undefined;
  const dir = await mkdtemp(join(runtimeDir, 'secret-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const keep = async (name: string, value: string) => {
    const file = join(dir, name);
    await writeFile(file, value, { mode: 0o600, flag: 'wx' });
    return file;
  };
  if (become !== undefined) out.becomePasswordFile = await keep('become', become);
  if (vault !== undefined) out.vaultPasswordFile = await keep('vault', vault);
  return out;
}

/** Ansible options that point at the secrets (file paths only, never the secrets). */
export function secretArgv(s: Secrets): string[] {
  return [...s.vaultIds.flatMap((v) => ['--vault-id', v]), ...(s.vaultPasswordFile ? ['--vault-password-file', s.vaultPasswordFile] : [])];
}

/** ansible-playbook only: ansible-inventory has no become options. */
export function becomeArgv(s: Secrets): string[] {
  return s.becomePasswordFile ? ['--become-password-file', s.becomePasswordFile] : [];
}
