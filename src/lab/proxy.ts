/** Latency faults: a delaying TCP proxy per host on the bridge address (these kernels lack tc netem). */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { spawnDetached } from '../io/exec.js';
import { cmdline, procAlive } from '../io/proc.js';
import { killAndWait, pidsWithCmdline } from './procs.js';
import { PROXY_SCRIPT } from './proxy-script.js';
import { waitForLog } from './sshd.js';
import type { LabHost, LabState } from './types.js';

export function writeProxyScript(path: string): void {
  writeFileSync(path, PROXY_SCRIPT);
}

/** Is the recorded proxy PID still our proxy for this host? */
export function proxyAlive(state: LabState, host: LabHost): host is LabHost & { proxyPid: number } {
  return procAlive(host.proxyPid) && cmdline(host.proxyPid!).includes(`${state.proxyScript} ${state.gateway} ${host.proxyPort} `);
}

export async function startProxy(state: LabState, host: LabHost, delayMs: number): Promise<number> {
  const logFile = host.logFile.replace(/\.log$/, '.proxy.log');
  const from = existsSync(logFile) ? statSync(logFile).size : 0;
  const args = [state.proxyScript, state.gateway, String(host.proxyPort), host.address, '22', String(delayMs)];
  const { pid } = spawnDetached(process.execPath, args, { write: true, logFile });
  await waitForLog(logFile, from, 'fleet-lab-proxy listening', pid, `latency proxy for ${host.name}`);
  return pid;
}

export async function stopProxy(state: LabState, host: LabHost): Promise<void> {
  if (proxyAlive(state, host)) await killAndWait([host.proxyPid]);
}

/** Proxies of this lab found by their script path, for when the state file is gone. */
export async function stopAllProxies(proxyScript: string): Promise<void> {
  await killAndWait(pidsWithCmdline(proxyScript));
}
