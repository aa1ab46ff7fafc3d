import { playbookArgv } from '../ansible/argv.js';
import { CONTROLLER, CONTROLLER_ENV, OutcomeCollector, type AnsibleEvent } from '../ansible/events.js';
import { ExitCode, FleetError } from '../errors.js';
import { run } from '../io/exec.js';
import { firstError } from '../inventory/load.js';
import { missingCollection } from './environment.js';
import { confirmProject, recordLaunch } from './prelaunch.js';

export interface PlaybookRun {
  collector: OutcomeCollector;
  exitCode: number | undefined;
  signal: string | undefined;
  /** Stopped by a signal, or by Ansible's own interrupt exit (99): hosts not reached were never tried. */
  interrupted: boolean;
  /** Ansible's stderr: what a run that ended before any event said. */
  stderr: string;
}

/**
 * Run one playbook of a rendered project and collect per-host outcomes from
 * the JSONL events. Failed and unreachable hosts are data, not exceptions;
 * only a run that produced no events at all (bad arguments, missing
 * collection, broken inventory) is an error.
 */
export async function runPlaybook(opts: {
  /** Absolute path of the playbook. */
  playbook: string;
  /** The rendered project the playbook is in (absolute): a speculative process is adopted only if it is unchanged. */
  project: string;
  /** The policy (path and sha256 of its bytes): an eligible run records the process it started (engine/prelaunch.ts). */
  policy?: { file: string; sha256: string };
  inventories: readonly string[];
  /** The user's folder: their ./ansible.cfg and relative paths stay as Ansible would see them. */
  cwd: string;
  env: Record<string, string>;
  /** Vault and become password options (file paths). */
  extra?: readonly string[];
  write: boolean;
  limit?: string;
  /** The hosts' inventory source, named when Ansible cannot read it (no listing ran before this run). */
  hostsSource?: string;
  onEvent?: (ev: AnsibleEvent) => void;
}): Promise<PlaybookRun> {
  const collector = new OutcomeCollector();
  const argv = playbookArgv({
    playbook: opts.playbook,
    inventories: opts.inventories,
    ...(opts.limit ? { limit: opts.limit } : {}),
    ...(opts.extra ? { extra: opts.extra } : {}),
  });
  // fleet's callback: the start gate (opened by the input) and the targets report
  const env = { ...opts.env, ...CONTROLLER_ENV };
  await confirmProject(opts.project);
  const r = await run('ansible-playbook', argv, {
    write: opts.write,
    cwd: opts.cwd,
    env,
    input: CONTROLLER.go,
    detached: true,
    adopt: true,
    onLine: (line) => {
      const ev = collector.line(line);
      if (ev) opts.onEvent?.(ev);
    },
  });
  if (opts.policy && collector.stats !== undefined) {
    await recordLaunch(
      {
        cwd: opts.cwd,
        policy: opts.policy.file,
        policySha256: opts.policy.sha256,
        cmd: 'ansible-playbook',
        args: argv,
        env,
        project: opts.project,
      },
      r.adopted,
    );
  }
  if (r.spawnError) {
    throw new FleetError(`cannot run ansible-playbook (${r.spawnError})`, ExitCode.environment, ['install Ansible: sudo apt-get install ansible']);
  }
  const interrupted = r.signal !== undefined || r.exitCode === 99;
  const vault = vaultProblem([r.stderr, ...[...collector.hosts.values()].map((o) => o.message ?? '')]);
  if (vault) throw vault;
  // a --limit that leaves no host is the caller's to explain (it knows the pattern): not a broken run
  if (!interrupted && collector.stats === undefined && r.exitCode !== 0 && !NO_HOSTS.test(r.stderr)) {
    if (opts.hostsSource && UNREADABLE_INVENTORY.test(r.stderr)) {
      throw new FleetError(`cannot read inventory ${opts.hostsSource}: ${firstError(r.stderr).replace(/^ERROR! /, '')}`, ExitCode.environment, [
        'check that the path exists and is readable, and that `ansible-inventory -i PATH --list` works',
      ]);
    }
    throw (
      missingCollection(r.stderr) ??
      new FleetError(
        `ansible-playbook failed before running any host (exit ${r.exitCode}): ${firstError(r.stderr || collector.noise.join('\n'))}`,
        ExitCode.environment,
      )
    );
  }
  return { collector, exitCode: r.exitCode, signal: r.signal, interrupted, stderr: r.stderr };
}

/** Ansible could not read the inventory source (ANSIBLE_INVENTORY_UNPARSED_FAILED makes that an error). */
const UNREADABLE_INVENTORY = /Unable to parse .* as an inventory source|Failed to parse .* with .* plugin|No inventory was parsed/s;

/** Ansible's "no hosts to target" (a --limit or pattern that matches nothing): it exits before any event. */
export const NO_HOSTS = /leaves us with no hosts to target/;

/**
 * A vaulted variable Ansible could not decrypt fails every host that uses it:
 * that is the controller's setup (exit 3, with the fix), not a host verdict.
 */
export function vaultProblem(messages: readonly string[]): FleetError | undefined {
  const hit = messages.find((m) => /no vault secrets (were )?found|Decryption failed|vault secrets? (.*)not found|could not find a vault secret/i.test(m));
  if (!hit) return undefined;
  const line =
    hit
      .split('\n')
      .find((l) => /vault|decrypt/i.test(l))
      ?.trim() ?? hit.trim();
  return new FleetError(`a vaulted variable could not be decrypted: ${line.replace(/^\[?ERROR\]?:?\s*/, '')}`, ExitCode.environment, [
    'pass the vault secret: --vault-id LABEL@FILE (repeatable) or --ask-vault-pass, or set vault_password_file / vault_identity_list in your ansible.cfg',
  ]);
}
