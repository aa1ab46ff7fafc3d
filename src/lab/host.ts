/** Life-cycle of one lab host: build, check, repair, tear down, reboot. */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../io/exec.js';
import { ExitCode, FleetError } from '../errors.js';
import { ensureKey } from './keys.js';
import { createHostNet, deleteHostNet } from './net.js';
import { netnsInode, pidInNetns } from './procs.js';
import { bootDirOf, renderSshdConfig, startHostSshd, stopHostProcesses } from './sshd.js';
import type { LabHostSpec, LabHost, LabState } from './types.js';

/** The state record for a planned host: names and per-host paths. */
export function hostRecord(state: Pick<LabState, 'dir' | 'prefix' | 'proxyPortBase'>, plan: LabHostSpec): LabHost {
  const home = join(state.dir, 'hosts', plan.name);
  return {
    ...plan,
    netns: `${state.prefix}-${plan.name}`,
    veth: `${state.prefix}v${plan.index}`,
    sshdPid: null,
    sshdConfig: join(home, 'sshd_config'),
    hostKey: join(state.dir, 'keys', `${plan.name}_host_ed25519`),
    sysctlDir: join(home, 'sysctl.d'),
    rootDir: join(home, 'root'),
    logFile: join(home, 'sshd.log'),
    readOnlyProcSys: false,
    latencyMs: 0,
    proxyPid: null,
    proxyPort: state.proxyPortBase + plan.index,
  };
}

/** Folders, host key and sshd_config (kept across reruns: they hold what Ansible persisted). */
export async function prepareHostFiles(state: LabState, host: LabHost): Promise<void> {
  mkdirSync(host.sysctlDir, { recursive: true });
  mkdirSync(host.rootDir, { recursive: true });
  if (/[,:]/.test(bootDirOf(host)))
    throw new FleetError(`the lab folder ${bootDirOf(host)} contains "," or ":", which overlay mounts cannot take: use another --dir`, ExitCode.environment);
  await ensureKey(host.hostKey, `fleet-lab ${host.name}`);
  const pidFile = join(state.dir, 'hosts', host.name, 'sshd.pid');
  writeFileSync(host.sshdConfig, renderSshdConfig(host.address, { hostKey: host.hostKey, pidFile, authorizedKeys: state.authorizedKeys }));
}

/** Namespace present and sshd (the recorded PID) alive inside it. */
export function hostHealthy(host: LabHost): boolean {
  return netnsInode(host.netns) !== undefined && pidInNetns(host.sshdPid, host.netns);
}

/** Kill everything in the host's namespace and remove its network. */
export async function destroyHost(host: LabHost): Promise<void> {
  await stopHostProcesses(host);
  await deleteHostNet(host.netns, host.veth);
  host.sshdPid = null;
  host.readOnlyProcSys = false;
}

/** Build (or rebuild) the host from nothing: fresh namespace, so kernel defaults. */
export async function createHost(state: LabState, host: LabHost, sshdPath: string): Promise<void> {
  await destroyHost(host);
  await createHostNet(host, state.bridge);
  host.sshdPid = await startHostSshd(host, sshdPath);
}

export async function startSshdFor(host: LabHost, sshdPath: string): Promise<void> {
  if (pidInNetns(host.sshdPid, host.netns)) return;
  if (netnsInode(host.netns) === undefined)
    throw new FleetError(`host ${host.name} has no namespace: run \`fleet lab up\` to repair the lab`, ExitCode.environment);
  host.sshdPid = await startHostSshd(host, sshdPath);
  // A new sshd has a new mount namespace, without the read-only /proc/sys bind.
  host.readOnlyProcSys = false;
}

export async function stopSshdFor(host: LabHost): Promise<void> {
  await stopHostProcesses(host);
  host.sshdPid = null;
  host.readOnlyProcSys = false;
}

/** One boot-time sysctl file and how applying it went. */
export interface BootSysctl {
  file: string;
  ok: boolean;
  output: string;
}

/**
 * Only per-namespace keys may be applied: a `kernel.*` or `vm.*` line in a
 * host's file would change the real machine. Every `net.*` key visible inside
 * a child network namespace belongs to that namespace.
 */
export function filterNetKeys(text: string): { kept: string; dropped: string[] } {
  const dropped: string[] = [];
  const kept = text
    .split('\n')
    .filter((line) => {
      const t = line.trim();
      if (t === '' || t.startsWith('#') || t.startsWith(';')) return true;
      if (/^-?net\./.test(t)) return true;
      dropped.push(t);
      return false;
    })
    .join('\n');
  return { kept, dropped };
}

const SYSTEMD_SYSCTL = '/lib/systemd/systemd-sysctl';

/** Apply the host's /etc/sysctl.d/*.conf in name order inside its namespace, as systemd-sysctl does at boot. */
export async function applyBootSysctl(state: LabState, host: LabHost): Promise<BootSysctl[]> {
  const files = readdirSync(host.sysctlDir)
    .filter((f) => f.endsWith('.conf'))
    .sort();
  const scratch = join(state.dir, 'run');
  mkdirSync(scratch, { recursive: true });
  const results: BootSysctl[] = [];
  for (const file of files) {
    const { kept, dropped } = filterNetKeys(readFileSync(join(host.sysctlDir, file), 'utf8'));
    const copy = join(scratch, `${host.name}-${file}`);
    writeFileSync(copy, kept);
    // systemd-sysctl is what boots apply; unlike `sysctl -p` it writes a value longer than one page whole.
    const argv = existsSync(SYSTEMD_SYSCTL) ? [SYSTEMD_SYSCTL, copy] : ['sysctl', '-p', copy];
    const r = await run('ip', ['netns', 'exec', host.netns, ...argv], { write: true });
    rmSync(copy, { force: true });
    const notes = dropped.map((d) => `skipped (not a per-namespace key): ${d}`);
    results.push({ file, ok: r.exitCode === 0 && dropped.length === 0, output: [r.stdout.trim(), r.stderr.trim(), ...notes].filter(Boolean).join('\n') });
  }
  return results;
}

/** Power-cycle: processes gone, namespace recreated (kernel defaults), boot sysctl files applied, sshd back. */
export async function rebootHostRecord(state: LabState, host: LabHost, sshdPath: string): Promise<BootSysctl[]> {
  await destroyHost(host);
  // /run is a tmpfs on a real machine: empty after a boot
  rmSync(join(bootDirOf(host), 'run'), { recursive: true, force: true });
  await createHostNet(host, state.bridge);
  const applied = await applyBootSysctl(state, host);
  host.sshdPid = await startHostSshd(host, sshdPath);
  return applied;
}
