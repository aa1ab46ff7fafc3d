import { Option, type Command } from 'commander';
import { describeSettings } from '../ansible/config.js';
import { ExitCode, FleetError } from '../errors.js';
import { parseShard, type Shard } from '../plan/shard.js';
import { openSession, type Session } from '../engine/session.js';
import { formatDiagnostic, loadPolicy, type Policy } from '../policy/index.js';
import { sanitize } from '../report/text.js';

/** Options shared by plan, apply and check. */
export interface TargetOptions {
  inventory?: string;
  limit?: string;
  shard?: string;
  json?: boolean;
  verbose?: boolean;
  vaultId?: string[];
  askVaultPass?: boolean;
  askBecomePass?: boolean;
  becomePasswordFile?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function addTargetOptions(cmd: Command): Command {
  return cmd
    .option('-i, --inventory <source>', "inventory to use instead of the policy's (file, directory or plugin config)")
    .option('-l, --limit <pattern>', 'only hosts matching this Ansible pattern (passed to Ansible)')
    .option('--shard <K/N>', 'take slice K of N of the hosts (stable hash), for several controllers')
    .option('--vault-id <id>', 'vault identity, e.g. prod@~/.vault-pass (repeatable; passed to ansible-inventory and ansible-playbook)', collect)
    .option('--ask-vault-pass', 'ask for the vault password on the terminal')
    .option('-K, --ask-become-pass', 'ask for the become (sudo) password on the terminal')
    .option('--become-password-file <file>', 'read the become (sudo) password from this file')
    .option('-v, --verbose', 'also print which Ansible configuration is in force and every setting fleet puts on top of it')
    .addOption(new Option('--json', 'print one JSON document on stdout, nothing else'));
}

export function shardOption(text: string | undefined): Shard | undefined {
  if (text === undefined) return undefined;
  const s = parseShard(text);
  if (typeof s === 'string') throw new FleetError(s, ExitCode.invalid);
  return s;
}

/** How plan and diff print: a terminal table, markdown for a pull-request comment, or one JSON document. */
export type OutputFormat = 'text' | 'markdown' | 'json';

export function formatOption(): Option {
  return new Option('--format <format>', 'output: text, markdown (for a pull-request comment) or json (same as --json)').choices(['text', 'markdown', 'json']);
}

/** --json wins as a shorthand for --format json. */
export function outputFormat(opts: { json?: boolean; format?: OutputFormat }): OutputFormat {
  return opts.json ? 'json' : (opts.format ?? 'text');
}

/** Load and validate the policy; warnings go to stderr, errors throw (exit 2). */
export async function loadPolicyForRun(file: string, quiet = false): Promise<Policy> {
  const { policy, warnings } = await loadPolicy(file);
  if (!quiet) for (const w of warnings) process.stderr.write(`${formatDiagnostic(w)}\n`);
  return policy;
}

/** Colour only on a terminal, and never when NO_COLOR is set. */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

export function printJson(doc: unknown): void {
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
}

export function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

/** A diagnostic on stderr; sanitised, since it may quote a host, an inventory or Ansible. */
export function warn(message: string): void {
  process.stderr.write(`fleet: ${sanitize(message, true)}\n`);
}

/** Plan warnings and the hosts outside targets, once the session's hosts are known (a deferred session: when its read reports them). */
export function announce(s: Session): void {
  for (const w of s.warnings) warn(w);
  if (s.outsideTargets.length > 0) warn(`${s.outsideTargets.length} host${s.outsideTargets.length === 1 ? '' : 's'} outside targets ${s.policy.targets} left out`);
}

/**
 * Load the policy and open a session on the hosts the options target; plan
 * warnings go to stderr. `deferred` (check, plan, apply): no Ansible process
 * before the read; call announce() when the read has planned the hosts.
 */
export async function sessionFor(file: string, opts: TargetOptions, how: { deferred?: boolean } = {}): Promise<Session> {
  const policy = await loadPolicyForRun(file, opts.json);
  const shard = shardOption(opts.shard);
  const secrets = {
    ...(opts.vaultId ? { vaultIds: opts.vaultId } : {}),
    ...(opts.askVaultPass ? { askVaultPass: true } : {}),
    ...(opts.askBecomePass ? { askBecomePass: true } : {}),
    ...(opts.becomePasswordFile ? { becomePasswordFile: opts.becomePasswordFile } : {}),
  };
  const s = await openSession(
    policy,
    file,
    { ...(opts.inventory ? { inventory: opts.inventory } : {}), ...(opts.limit ? { limit: opts.limit } : {}), ...(shard ? { shard } : {}), secrets },
    { listed: !how.deferred },
  );
  if (!s.deferred) announce(s);
  if (opts.verbose) process.stderr.write(describeSettings(s.ansible.settings, s.ansible.user.file).join('\n') + '\n');
  return s;
}
