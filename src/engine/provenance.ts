/**
 * The audit trail every report carries: who ran fleet on which controller,
 * the policy's sha256 and, when the policy lives in a git work tree, the
 * commit and whether the tree under the policy's folder had uncommitted
 * changes (a dirty tree means the commit alone does not say what ran).
 */
import { hostname, userInfo } from 'node:os';
import { dirname } from 'node:path';
import { run } from '../io/exec.js';
import type { Policy } from '../policy/types.js';
import type { Provenance } from '../verify/types.js';

function operator(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry for this uid (containers): keep $USER
  }
  return `${user}@${hostname()}`;
}

/** Commit and dirtiness of the work tree holding `file`; undefined outside git or without git. */
async function gitState(file: string): Promise<Provenance['git']> {
  const dir = dirname(file);
  const head = await run('git', ['-C', dir, 'rev-parse', '--verify', '-q', 'HEAD'], { timeoutMs: 10_000 });
  if (head.spawnError || head.exitCode !== 0) return undefined;
  const status = await run('git', ['-C', dir, 'status', '--porcelain', '--', '.'], { timeoutMs: 10_000 });
  if (status.exitCode !== 0) return undefined;
  return { commit: head.stdout.trim(), dirty: status.stdout.trim() !== '' };
}

export async function provenanceOf(policy: Policy): Promise<Provenance> {
  const git = await gitState(policy.file);
  return { operator: operator(), ...(policy.sha256 ? { policySha256: policy.sha256 } : {}), ...(git ? { git } : {}) };
}
