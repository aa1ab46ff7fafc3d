/**
 * The shapes of a real estate, grown inside lab hosts' own namespaces (the
 * machine itself never changes): a non-root login user with sudo (without or
 * with a password), and hosts reachable only through a jump host, on a second
 * network that exists only inside the jump host's namespace and theirs.
 */
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, FleetError } from '../errors.js';
import { run, type ExecResult } from '../io/exec.js';
import { hostRecord, prepareHostFiles } from './host.js';
import { stopHostProcesses, startHostSshd } from './sshd.js';
import { netnsInode, pidInNetns } from './procs.js';
import { publicKey } from './keys.js';
import type { LabHost, LabState } from './types.js';

function check(r: ExecResult, what: string): ExecResult {
  if (r.exitCode !== 0) throw new FleetError(`${what} failed: ${(r.stderr || r.spawnError || '').trim()}`, ExitCode.environment);
  return r;
}

/** argv run inside the mount namespace of the host's sshd (where every ssh session lives). */
async function inHostMounts(host: LabHost, argv: readonly string[], what: string): Promise<ExecResult> {
  if (!pidInNetns(host.sshdPid, host.netns)) throw new FleetError(`${host.name} is not running`, ExitCode.environment);
  return check(await run('nsenter', ['-t', String(host.sshdPid), '-m', '--', ...argv], { write: true }), what);
}

export interface LoginUser {
  name: string;
  uid: number;
  /** sudo rule: no password, or this password (checked by PAM against the host's own /etc/shadow). */
  sudo: { nopasswd: true } | { password: string };
}

/**
 * Add a login user with sudo to one lab host: the host gets its own
 * /etc/passwd, /etc/group, /etc/shadow (the machine's plus this user),
 * /etc/sudoers.d and /home, bind-mounted in its mount namespace only.
 * The user logs in with the lab's client key (one authorized_keys file).
 */
export async function addLoginUser(state: LabState, host: LabHost, user: LoginUser): Promise<void> {
  const etc = join(state.dir, 'hosts', host.name, 'etc');
  const sudoers = join(etc, 'sudoers.d');
  const home = join(state.dir, 'hosts', host.name, 'home');
  mkdirSync(sudoers, { recursive: true });
  mkdirSync(join(home, user.name), { recursive: true });
  chownSync(join(home, user.name), user.uid, user.uid);
  const hash =
    'password' in user.sudo ? check(await run('openssl', ['passwd', '-6', '-stdin'], { input: user.sudo.password }), 'openssl passwd').stdout.trim() : '*';
  const add = (file: string, line: string) => {
    const base = readFileSync(`/etc/${file}`, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith(`${user.name}:`));
    writeFileSync(join(etc, file), [...base, line, ''].join('\n'), { mode: file === 'shadow' ? 0o640 : 0o644 });
  };
  add('passwd', `${user.name}:x:${user.uid}:${user.uid}:fleet lab operator:/home/${user.name}:/bin/sh`);
  add('group', `${user.name}:x:${user.uid}:`);
  add('shadow', `${user.name}:${hash}:19000:0:99999:7:::`);
  const rule = 'password' in user.sudo ? `${user.name} ALL=(ALL:ALL) ALL` : `${user.name} ALL=(ALL:ALL) NOPASSWD: ALL`;
  writeFileSync(join(sudoers, 'fleet-lab'), `${rule}\n`, { mode: 0o440 });
  // The host's name must resolve, or sudo prints a warning on every call.
  writeFileSync(join(etc, 'hosts'), `127.0.0.1 localhost\n127.0.1.1 ${host.name}\n`);
  for (const f of ['passwd', 'group', 'shadow', 'hosts'])
    await inHostMounts(host, ['mount', '--bind', join(etc, f), `/etc/${f}`], `bind /etc/${f} on ${host.name}`);
  await inHostMounts(host, ['mount', '--bind', sudoers, '/etc/sudoers.d'], `bind /etc/sudoers.d on ${host.name}`);
  await inHostMounts(host, ['mount', '--bind', home, '/home'], `bind /home on ${host.name}`);
}

/** Undo addLoginUser (the host's mount namespace is back to the machine's files). */
export async function removeLoginUsers(host: LabHost): Promise<void> {
  for (const p of ['/etc/passwd', '/etc/group', '/etc/shadow', '/etc/hosts', '/etc/sudoers.d', '/home']) {
    await run('nsenter', ['-t', String(host.sshdPid), '-m', '--', 'umount', p], { write: true });
  }
}

/** Hidden hosts behind `jump`, and how to reach them. */
export interface HiddenNet {
  jump: LabHost;
  hosts: LabHost[];
  /** The jump host's address on the hidden network. */
  jumpAddress: string;
  /** known_hosts lines for the hidden hosts (their own addresses). */
  knownHosts: string;
}

const HIDDEN_BRIDGE = 'hbr0';

async function ipIn(netns: string, args: readonly string[]): Promise<void> {
  check(await run('ip', ['-n', netns, ...args], { write: true }), `ip -n ${netns} ${args.join(' ')}`);
}

/**
 * Hosts on a second /24 that exists only inside the jump host's network
 * namespace (a bridge there) and the hidden hosts' own: the controller has no
 * link and no route to it, so only ssh through the jump host reaches them.
 * `subnet` is `a.b.c.0/24`; the jump host takes .1, hidden host i takes .(10+i).
 */
export async function addHiddenHosts(state: LabState, jump: LabHost, names: readonly string[], subnet: string, sshdPath: string): Promise<HiddenNet> {
  const m = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(subnet);
  if (!m || !/^198\.1[89]\./.test(subnet)) throw new FleetError(`${subnet} is not a /24 inside 198.18.0.0/15`, ExitCode.invalid);
  const net = m[1]!;
  const jumpAddress = `${net}.1`;
  const hosts: LabHost[] = [];
  // leftovers of an earlier run (a crashed test): links in the jump host's namespace outlive nothing else
  for (const [i] of names.entries()) await run('ip', ['-n', jump.netns, 'link', 'del', `hv${i}`], { write: true });
  await run('ip', ['-n', jump.netns, 'link', 'del', HIDDEN_BRIDGE], { write: true });
  await ipIn(jump.netns, ['link', 'add', HIDDEN_BRIDGE, 'type', 'bridge']);
  await ipIn(jump.netns, ['addr', 'add', `${jumpAddress}/24`, 'dev', HIDDEN_BRIDGE]);
  await ipIn(jump.netns, ['link', 'set', HIDDEN_BRIDGE, 'up']);
  for (const [i, name] of names.entries()) {
    const host = hostRecord(state, { name, index: 200 + i, address: `${net}.${10 + i}`, groups: ['hidden'] });
    await prepareHostFiles(state, host);
    if (netnsInode(host.netns) !== undefined) {
      // left by an earlier run that did not finish: start from nothing
      await stopHostProcesses(host);
      check(await run('ip', ['netns', 'del', host.netns], { write: true }), `ip netns del ${host.netns}`);
    }
    check(await run('ip', ['netns', 'add', host.netns], { write: true }), `ip netns add ${host.netns}`);
    // Created inside the hidden host's namespace with its peer in the jump host's: never in the machine's.
    const peer = `hv${i}`;
    await ipIn(host.netns, ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', peer, 'netns', jump.netns]);
    await ipIn(jump.netns, ['link', 'set', peer, 'master', HIDDEN_BRIDGE, 'up']);
    await ipIn(host.netns, ['addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
    await ipIn(host.netns, ['link', 'set', 'eth0', 'up']);
    await ipIn(host.netns, ['link', 'set', 'lo', 'up']);
    host.sshdPid = await startHostSshd(host, sshdPath);
    hosts.push(host);
  }
  const knownHosts = hosts.map((h) => `${h.address} ${publicKey(h.hostKey)}\n`).join('');
  return { jump, hosts, jumpAddress, knownHosts };
}

/** Stop the hidden hosts, remove their namespaces and the bridge inside the jump host. */
export async function removeHiddenHosts(net: HiddenNet): Promise<void> {
  for (const [i, h] of net.hosts.entries()) {
    await stopHostProcesses(h);
    // synchronous, unlike the peer's removal with the namespace (kernel cleanup work, later)
    await run('ip', ['-n', net.jump.netns, 'link', 'del', `hv${i}`], { write: true });
    if (netnsInode(h.netns) !== undefined) await run('ip', ['netns', 'del', h.netns], { write: true });
  }
  if (netnsInode(net.jump.netns) !== undefined) await run('ip', ['-n', net.jump.netns, 'link', 'del', HIDDEN_BRIDGE], { write: true });
}
