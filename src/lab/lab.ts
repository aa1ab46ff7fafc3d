/** The lab as a whole: up (idempotent, repairing), down (undo everything), status. */
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, FleetError } from '../errors.js';
import { claimPrefix, releasePrefix } from './claim.js';
import { mapLimit } from './concurrency.js';
import { resolveConfig } from './config.js';
import { checkLabEnvironment } from './env.js';
import { createHost, destroyHost, hostHealthy, hostRecord, prepareHostFiles } from './host.js';
import { removeInventory, writeInventory } from './inventory.js';
import { ensureKey, publicKey, renderAuthorizedKeys, writeKnownHosts } from './keys.js';
import { deleteHostNet, deleteLink, ensureBridge, ensureUnreachableRoute, labAddresses, linkNames, netnsNames, removeUnreachableRoute } from './net.js';
import { killAndWait, netnsPids, netnsInode, pidInNetns } from './procs.js';
import { proxyAlive, startProxy, stopAllProxies, stopProxy, writeProxyScript } from './proxy.js';
import { ensureRunSshd } from './sshd.js';
import { defaultLabDir, loadState, saveState } from './state.js';
import type { HostStatus, LabConfig, LabOptions, LabState, LabStatus } from './types.js';

function freshState(cfg: LabConfig): LabState {
  const keys = join(cfg.dir, 'keys');
  const now = new Date().toISOString();
  return {
    version: 1,
    dir: cfg.dir,
    prefix: cfg.prefix,
    bridge: cfg.bridge,
    subnet: cfg.subnet,
    gateway: cfg.gateway,
    inventory: cfg.inventory,
    hostPrefix: cfg.hostPrefix,
    proxyPortBase: cfg.proxyPortBase,
    clientKey: join(keys, 'client_ed25519'),
    knownHosts: join(keys, 'known_hosts'),
    authorizedKeys: join(keys, 'authorized_keys'),
    proxyScript: join(cfg.dir, 'latency-proxy.mjs'),
    createdUnreachableRoute: false,
    createdRunSshd: false,
    createdAt: now,
    updatedAt: now,
    hosts: [],
  };
}

/** An existing lab in the same dir must have been built with the same network settings. */
function checkCompatible(old: LabState, cfg: LabConfig): void {
  const diffs = (['prefix', 'subnet', 'hostPrefix'] as const).filter((k) => old[k] !== cfg[k]);
  if (diffs.length > 0) {
    throw new FleetError(
      `the lab in ${cfg.dir} was built with a different ${diffs.join(', ')}: run \`fleet lab down --dir ${cfg.dir}\` first`,
      ExitCode.invalid,
    );
  }
}

/** Namespaces and veths named like this lab's but not in its plan: leftovers of a crashed or larger run. */
async function removeStrays(state: LabState, keep: Set<string>): Promise<void> {
  for (const ns of await netnsNames()) {
    if (!ns.startsWith(`${state.prefix}-`) || keep.has(ns)) continue;
    await killAndWait(await netnsPids(ns));
    await deleteHostNet(ns, '');
  }
  const vethRe = new RegExp(`^${state.prefix}v\\d+$`);
  const keepVeth = new Set(state.hosts.map((h) => h.veth));
  for (const link of await linkNames()) if (vethRe.test(link) && !keepVeth.has(link)) await deleteLink(link);
}

/**
 * Bring the lab to the requested shape. Idempotent: healthy hosts are left
 * alone (same PIDs); broken ones (namespace gone, sshd dead) are rebuilt;
 * hosts no longer wanted are removed.
 */
export async function labUp(opts: LabOptions = {}): Promise<LabState> {
  const tools = await checkLabEnvironment();
  const cfg = resolveConfig(opts);
  const old = loadState(cfg.dir);
  if (old) checkCompatible(old, cfg);
  claimPrefix(cfg.prefix, cfg.dir);
  const state: LabState = old ? { ...old, inventory: cfg.inventory, proxyPortBase: old.proxyPortBase } : freshState(cfg);
  mkdirSync(join(cfg.dir, 'keys'), { recursive: true });
  // Safety first: nothing addressed to the lab range may leave the machine.
  state.createdUnreachableRoute = (await ensureUnreachableRoute()) || state.createdUnreachableRoute;
  state.createdRunSshd = ensureRunSshd() || state.createdRunSshd;
  await saveState(state);
  await ensureBridge(state.bridge, state.gateway);

  const wanted = new Map(cfg.hosts.map((p) => [p.name, p]));
  for (const gone of state.hosts.filter((h) => !wanted.has(h.name))) {
    await stopProxy(state, gone);
    await destroyHost(gone);
  }
  const previous = new Map(state.hosts.map((h) => [h.name, h]));
  state.hosts = cfg.hosts.map((p) => ({ ...(previous.get(p.name) ?? hostRecord(state, p)), groups: p.groups }));
  await saveState(state);
  await removeStrays(state, new Set(state.hosts.map((h) => h.netns)));

  await ensureKey(state.clientKey, 'fleet-lab client');
  writeFileSync(state.authorizedKeys, renderAuthorizedKeys(publicKey(state.clientKey)));
  writeProxyScript(state.proxyScript);
  try {
    await mapLimit(state.hosts, cfg.concurrency, async (host) => {
      await prepareHostFiles(state, host);
      if (!hostHealthy(host)) await createHost(state, host, tools.sshd!);
      if (host.latencyMs > 0 && !proxyAlive(state, host)) host.proxyPid = await startProxy(state, host, host.latencyMs);
    });
  } finally {
    // Record whatever did start, so `down` and the next `up` know about it.
    await saveState(state);
  }
  writeKnownHosts(state.knownHosts, state.hosts, state.gateway);
  await writeInventory(state);
  return state;
}

/** What `labDown` removed, for the CLI to report. */
export interface DownReport {
  dir: string;
  removed: string[];
}

/**
 * Remove every namespace, link, route, process and file of the lab in `dir`.
 * Works from the state file, and by name prefix when the state is lost.
 */
export async function labDown(dir = defaultLabDir(), opts: { prefix?: string } = {}): Promise<DownReport> {
  const state = loadState(dir);
  const prefix = state?.prefix ?? opts.prefix ?? 'fleet';
  // Cleaning up by prefix must never hit another live lab that uses it.
  claimPrefix(prefix, dir);
  const removed: string[] = [];
  const proxyScript = state?.proxyScript ?? join(dir, 'latency-proxy.mjs');
  if (state) for (const host of state.hosts) await stopProxy(state, host);
  await stopAllProxies(proxyScript);

  const namespaces = (await netnsNames()).filter((n) => n.startsWith(`${prefix}-`));
  await mapLimit(namespaces, 8, async (ns) => {
    const host = state?.hosts.find((h) => h.netns === ns);
    const pids = await netnsPids(ns);
    if (host && pidInNetns(host.sshdPid, ns)) pids.push(host.sshdPid);
    await killAndWait(pids);
    await deleteHostNet(ns, host?.veth ?? '');
    removed.push(`netns ${ns}`);
  });
  const vethRe = new RegExp(`^${prefix}v\\d+$`);
  for (const link of await linkNames()) {
    if (vethRe.test(link) || link === `${prefix}br0`) {
      await deleteLink(link);
      removed.push(`link ${link}`);
    }
  }
  // Shared by all labs: only the last lab down removes them.
  const othersUp = (await labAddresses()).length > 0;
  if (state?.createdUnreachableRoute && !othersUp) {
    await removeUnreachableRoute();
    removed.push('route unreachable 198.18.0.0/15');
  }
  if (state?.createdRunSshd && !othersUp && existsSync('/run/sshd') && readdirSync('/run/sshd').length === 0) {
    rmdirSync('/run/sshd');
    removed.push('/run/sshd');
  }
  if (state) removeInventory(state.inventory);
  removeLabFiles(dir);
  releasePrefix(prefix, dir);
  return { dir, removed };
}

/** Only the files the lab created: `dir` may be a user folder holding other things. */
function removeLabFiles(dir: string): void {
  for (const name of ['hosts', 'keys', 'run', 'latency-proxy.mjs', 'state.json', 'state.json.tmp']) {
    rmSync(join(dir, name), { recursive: true, force: true });
  }
  if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
}

export async function labStatus(dir = defaultLabDir()): Promise<LabStatus> {
  const state = loadState(dir);
  if (!state) return { running: false, dir };
  const hosts: HostStatus[] = state.hosts.map((h) => ({
    name: h.name,
    address: h.address,
    groups: h.groups,
    netns: netnsInode(h.netns) !== undefined,
    sshd: hostHealthy(h) ? 'up' : 'down',
    sshdPid: hostHealthy(h) ? h.sshdPid : null,
    readOnlyProcSys: h.readOnlyProcSys,
    latencyMs: h.latencyMs,
    proxy: h.latencyMs === 0 ? 'none' : proxyAlive(state, h) ? 'up' : 'down',
  }));
  const healthy = hosts.every((h) => h.netns && h.sshd === 'up' && h.proxy !== 'down');
  return { running: true, dir, healthy, state, hosts };
}
