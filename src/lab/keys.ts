/** Lab SSH keys: one client key, one host key per host, and the files that trust them. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { run } from '../io/exec.js';
import { ExitCode, FleetError } from '../errors.js';
import { LAB_RANGE } from './net.js';
import type { LabHost } from './types.js';

/** Generate an ed25519 key pair unless it exists (keys survive `up` reruns so known_hosts stays valid). */
export async function ensureKey(path: string, comment: string): Promise<void> {
  if (existsSync(path) && existsSync(`${path}.pub`)) return;
  const r = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path], { write: true, input: 'y\n' });
  if (r.exitCode !== 0) throw new FleetError(`ssh-keygen for ${path} failed: ${r.stderr.trim() || r.spawnError}`, ExitCode.environment);
}

/** `ssh-ed25519 AAAA...` without the comment. */
export function publicKey(path: string): string {
  return readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

/** Each host is known by its own address and by its latency-proxy address, so the entry never changes. */
export function renderKnownHosts(hosts: readonly LabHost[], gateway: string, keyOf: (h: LabHost) => string): string {
  return hosts.map((h) => `${h.address},[${gateway}]:${h.proxyPort} ${keyOf(h)}\n`).join('');
}

/** The client key may only log in from lab addresses. */
export function renderAuthorizedKeys(clientPublicKey: string): string {
  return `from="${LAB_RANGE}" ${clientPublicKey} fleet-lab\n`;
}

export function writeKnownHosts(path: string, hosts: readonly LabHost[], gateway: string): void {
  writeFileSync(
    path,
    renderKnownHosts(hosts, gateway, (h) => publicKey(h.hostKey)),
  );
}
