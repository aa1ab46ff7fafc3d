import { inventoryListArgv, listHostsArgv, parseListHosts } from '../ansible/argv.js';
import { ExitCode, FleetError } from '../errors.js';
import { run } from '../io/exec.js';
import type { InventorySpec } from '../policy/types.js';
import { parseAnsibleInventory } from './ansible-json.js';
import { inlineInventory } from './inline.js';
import type { Inventory } from './types.js';

const INSTALL_HINT = 'install Ansible (Debian/Ubuntu: sudo apt-get install ansible) or run scripts/bootstrap';

/** Read hosts and groups: inline from the policy, or any source Ansible reads, through ansible-inventory. */
/** How Ansible runs: the same folder, environment (user's config + fleet's settings) and vault options as the playbook runs. */
export interface AnsibleRunEnv {
  env: Record<string, string>;
  cwd?: string;
  extra?: readonly string[];
}

export async function loadInventory(spec: InventorySpec, label: string, how: AnsibleRunEnv = { env: {} }): Promise<Inventory> {
  if (spec.kind === 'inline') return inlineInventory(spec, `${label} (inline inventory)`);
  const r = await run('ansible-inventory', inventoryListArgv(spec.source, how.extra), {
    env: { ANSIBLE_INVENTORY_UNPARSED_FAILED: '1', ANSIBLE_NOCOLOR: '1', ANSIBLE_DEPRECATION_WARNINGS: '0', ...how.env },
    ...(how.cwd ? { cwd: how.cwd } : {}),
  });
  if (r.spawnError) throw new FleetError(`cannot run ansible-inventory (${r.spawnError}); ${INSTALL_HINT}`, ExitCode.environment);
  if (r.exitCode !== 0) {
    throw new FleetError(`cannot read inventory ${spec.source}: ${firstError(r.stderr)}`, ExitCode.environment, [
      'check that the path exists and is readable, and that `ansible-inventory -i PATH --list` works',
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    throw new FleetError(`ansible-inventory printed something that is not JSON for ${spec.source}`, ExitCode.environment);
  }
  return parseAnsibleInventory(json, spec.source);
}

/** Hosts matching a host pattern (and a --limit), with Ansible's own pattern semantics. */
export async function hostsMatching(
  inventories: string[],
  pattern: string,
  limit: string | undefined,
  how: AnsibleRunEnv,
  extra: readonly string[],
  what: string,
): Promise<string[]> {
  const r = await run('ansible', listHostsArgv(inventories, pattern, limit, extra), { env: how.env, ...(how.cwd ? { cwd: how.cwd } : {}) });
  if (r.spawnError) throw new FleetError(`cannot run ansible (${r.spawnError}); ${INSTALL_HINT}`, ExitCode.environment);
  // A --limit that selects nothing is an error to ansible, an empty set to us (the caller says what matched nothing).
  if (r.exitCode !== 0 && /leaves us with no hosts to target/.test(r.stderr)) return [];
  if (r.exitCode !== 0) throw new FleetError(`${what} ${limit ?? pattern}: ${firstError(r.stderr)}`, ExitCode.invalid);
  return parseListHosts(r.stdout);
}

export function firstError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines.find((l) => /ERROR|error/.test(l)) ?? lines[0] ?? 'no error output').replace(/^\[(ERROR|WARNING)\]:\s*/, '');
}
