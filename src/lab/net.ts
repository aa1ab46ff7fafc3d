/**
 * Lab networking in the root namespace: an unreachable route over all of
 * 198.18.0.0/15 (so nothing addressed there can leave the machine), one bridge
 * per lab, and one veth pair per host. No forwarding, no NAT, no default
 * route inside hosts: lab traffic only ever crosses the bridge.
 */
import { existsSync } from 'node:fs';
import { run } from '../io/exec.js';
import { ExitCode, FleetError } from '../errors.js';
import { netnsInode } from './procs.js';
import type { LabHost } from './types.js';

/** The whole benchmarking range; every lab subnet is a /24 inside it. */
export const LAB_RANGE = '198.18.0.0/15';

/** Run `ip`, throwing a FleetError with its stderr when it fails. */
export async function ip(args: readonly string[]): Promise<string> {
  const r = await run('ip', args, { write: args[0] !== '-j' });
  if (r.exitCode !== 0) {
    throw new FleetError(`ip ${args.join(' ')} failed: ${(r.stderr || r.spawnError || '').trim()}`, ExitCode.environment);
  }
  return r.stdout;
}

async function ipJson<T>(args: readonly string[]): Promise<T[]> {
  const r = await run('ip', ['-j', ...args]);
  if (r.exitCode !== 0 || !r.stdout.trim()) return [];
  return JSON.parse(r.stdout) as T[];
}

/** Add the safety route if absent; true when this call added it. */
export async function ensureUnreachableRoute(): Promise<boolean> {
  const routes = await ipJson<{ dst: string; type?: string }>(['route', 'show', 'exact', LAB_RANGE]);
  if (routes.some((r) => r.type === 'unreachable')) return false;
  await ip(['route', 'add', 'unreachable', LAB_RANGE]);
  return true;
}

export async function removeUnreachableRoute(): Promise<void> {
  const routes = await ipJson<{ type?: string }>(['route', 'show', 'exact', LAB_RANGE]);
  if (routes.some((r) => r.type === 'unreachable')) await ip(['route', 'del', 'unreachable', LAB_RANGE]);
}

export async function linkNames(): Promise<string[]> {
  return (await ipJson<{ ifname: string }>(['link', 'show'])).map((l) => l.ifname);
}

export async function netnsNames(): Promise<string[]> {
  return (await ipJson<{ name: string }>(['netns', 'list'])).map((n) => n.name);
}

/** Root-namespace IPv4 addresses inside 198.18.0.0/15, with the link holding each. */
export async function labAddresses(): Promise<Array<{ ifname: string; local: string }>> {
  const links = await ipJson<{ ifname: string; addr_info?: Array<{ family: string; local: string }> }>(['addr', 'show']);
  return links.flatMap((l) =>
    (l.addr_info ?? []).filter((a) => a.family === 'inet' && /^198\.(18|19)\./.test(a.local)).map((a) => ({ ifname: l.ifname, local: a.local })),
  );
}

/** Create the lab bridge with the gateway address, refusing if another link already owns that address. */
export async function ensureBridge(bridge: string, gateway: string): Promise<void> {
  const owner = (await labAddresses()).find((a) => a.local === gateway);
  if (owner && owner.ifname !== bridge) {
    throw new FleetError(
      `${gateway} is already on ${owner.ifname} (another lab?): choose another --subnet or run its \`fleet lab down\``,
      ExitCode.environment,
    );
  }
  if (!(await linkNames()).includes(bridge)) await ip(['link', 'add', bridge, 'type', 'bridge']);
  if (!owner) await ip(['addr', 'add', `${gateway}/24`, 'dev', bridge]);
  await ip(['link', 'set', bridge, 'up']);
}

/** A root-namespace link exists (checked in sysfs: no process spawned). */
export function linkExists(name: string): boolean {
  return name !== '' && !name.includes('/') && existsSync(`/sys/class/net/${name}`);
}

export async function deleteLink(name: string): Promise<void> {
  if (linkExists(name)) await ip(['link', 'del', name]);
}

/** Run several `ip` commands in one process (spawns dominate lab start-up time). */
async function ipBatch(lines: readonly string[], netns?: string): Promise<void> {
  const args = [...(netns ? ['-n', netns] : []), '-batch', '-'];
  const r = await run('ip', args, { write: true, input: lines.join('\n') + '\n' });
  if (r.exitCode !== 0) throw new FleetError(`ip ${args.join(' ')} failed: ${(r.stderr || r.spawnError || '').trim()}`, ExitCode.environment);
}

/** Namespace, veth pair (host end named eth0), address, links up. Names come from our own config, never user text with spaces. */
export async function createHostNet(host: LabHost, bridge: string): Promise<void> {
  await ipBatch([
    `netns add ${host.netns}`,
    `link add ${host.veth} type veth peer name eth0 netns ${host.netns}`,
    `link set ${host.veth} master ${bridge} up`,
    // A rebuilt host has a new MAC: drop the bridge's cached one, or packets go nowhere until it expires.
    `neigh flush to ${host.address} dev ${bridge}`,
  ]);
  await ipBatch([`addr add ${host.address}/24 dev eth0`, 'link set eth0 up', 'link set lo up'], host.netns);
}

/** Remove a host's veth and namespace; the caller must have stopped its processes. */
export async function deleteHostNet(netns: string, veth: string): Promise<void> {
  // The veth first: deleting it is synchronous, while a namespace's devices go away later, in the
  // kernel's cleanup work, and a quick re-create of the same veth name would collide.
  await deleteLink(veth);
  if (netnsInode(netns) !== undefined) await ip(['netns', 'del', netns]);
}
