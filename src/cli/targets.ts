/** From a policy file and the target options to an open session: the hosts a run works on. */
import { describeSettings } from '../ansible/config.js';
import { openSession, type Session } from '../engine/session.js';
import { loadPolicy, type Policy } from '../policy/index.js';
import { shardOption, type TargetOptions } from './options.js';
import { printDiagnostics, warn } from './output.js';

/** Load and validate the policy; warnings go to stderr, errors throw (exit 2). */
export async function loadPolicyForRun(file: string, quiet = false): Promise<Policy> {
  const { policy, warnings } = await loadPolicy(file);
  if (!quiet) printDiagnostics(warnings);
  return policy;
}

/** Plan warnings and the hosts outside targets, once the session's hosts are known (a deferred session: when its read reports them). */
export function announce(s: Session): void {
  for (const w of s.warnings) warn(w);
  if (s.outsideTargets.length > 0)
    warn(`${s.outsideTargets.length} host${s.outsideTargets.length === 1 ? '' : 's'} outside targets ${s.policy.targets} left out`);
}

/**
 * Load the policy and open a session on the hosts the options target; plan
 * warnings go to stderr. `deferred` (check, plan, apply): no Ansible process
 * before the read; announce() runs when the read has planned the hosts.
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
