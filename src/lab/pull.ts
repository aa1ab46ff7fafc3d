/**
 * Pull mode in the lab: each host runs its own node_exporter (listening on
 * its lab address only, reading a textfile folder private to the host's
 * mount namespace) and runs ansible-pull inside its namespaces; one
 * Prometheus on the controller scrapes lab addresses only, on 127.0.0.1.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run, spawnDetached, type ExecResult } from '../io/exec.js';
import { ExitCode, FleetError } from '../errors.js';
import { labExec } from './faults.js';
import { cmdline, procAlive } from '../io/proc.js';
import { killAndWait, pidInNetns } from './procs.js';
import { waitForLog } from './sshd.js';
import { defaultLabDir, findHost, requireState } from './state.js';

/** Debian's prometheus-node-exporter textfile folder, and fleet's default textfile's folder. */
export const TEXTFILE_DIR = '/var/lib/prometheus/node-exporter';
export const EXPORTER_PORT = 9100;

/** 198.18.0.0/15 (the lab's range) only: nothing the lab starts may reach anything else. */
export function isLabAddress(address: string): boolean {
  return /^198\.(18|19)\.\d{1,3}\.\d{1,3}$/.test(address) && address.split('.').every((o) => Number(o) <= 255);
}

function mountedIn(pid: number, path: string): boolean {
  return readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[4] === path);
}

export interface HostExporter {
  pid: number;
  /** `address:9100` */
  target: string;
  /** The host's textfile folder as seen from the machine. */
  textfileDir: string;
}

/**
 * Bind a per-host folder on the host's TEXTFILE_DIR (in its sshd's mount
 * namespace, so ansible-pull run inside sees it and the machine does not),
 * then start node_exporter in the host's namespaces with only the textfile
 * collector. It dies with the host (lab down kills every process of its netns).
 */
export async function startHostExporter(name: string, dir = defaultLabDir(), binary = 'prometheus-node-exporter'): Promise<HostExporter> {
  const state = requireState(dir);
  const host = findHost(state, name);
  if (!pidInNetns(host.sshdPid, host.netns)) throw new FleetError(`host ${name} is stopped`, ExitCode.environment);
  if (!existsSync(TEXTFILE_DIR))
    throw new FleetError(`${TEXTFILE_DIR} is missing: install Debian's prometheus-node-exporter (scripts/bootstrap does)`, ExitCode.environment);
  const textfileDir = join(state.dir, 'hosts', name, 'textfile');
  mkdirSync(textfileDir, { recursive: true, mode: 0o755 });
  const pid = String(host.sshdPid);
  if (!mountedIn(host.sshdPid, TEXTFILE_DIR)) {
    const r = await run('nsenter', ['-t', pid, '-m', '--', 'mount', '--bind', textfileDir, TEXTFILE_DIR], { write: true });
    if (r.exitCode !== 0) throw new FleetError(`bind ${TEXTFILE_DIR} in ${name}: ${r.stderr.trim()}`, ExitCode.environment);
  }
  // A lab kept up between runs (FLEET_LAB_KEEP=1) still has the last one: stop it, by its recorded PID.
  await stopHostExporter(name, dir, binary);
  const pidFile = exporterPidFile(state.dir, name);
  const logFile = join(state.dir, 'hosts', name, 'node_exporter.log');
  const from = existsSync(logFile) ? statSync(logFile).size : 0;
  const target = `${host.address}:${EXPORTER_PORT}`;
  const args = [
    '-t',
    pid,
    '-n',
    '-m',
    '-u',
    '--',
    binary,
    `--web.listen-address=${target}`,
    '--collector.disable-defaults',
    '--collector.textfile',
    `--collector.textfile.directory=${TEXTFILE_DIR}`,
  ];
  const child = spawnDetached('nsenter', args, { write: true, logFile });
  await waitForLog(logFile, from, 'Listening on', child.pid, `node_exporter on ${name}`);
  writeFileSync(pidFile, `${child.pid}\n`);
  return { pid: child.pid, target, textfileDir };
}

const exporterPidFile = (labDir: string, name: string) => join(labDir, 'hosts', name, 'node_exporter.pid');

/** Stop the node_exporter startHostExporter started in a host, by its recorded PID (nothing else). */
export async function stopHostExporter(name: string, dir = defaultLabDir(), binary = 'prometheus-node-exporter'): Promise<void> {
  const state = requireState(dir);
  const host = findHost(state, name);
  const pidFile = exporterPidFile(state.dir, name);
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
  if (pidInNetns(pid, host.netns) && cmdline(pid).includes(binary)) await killAndWait([pid]);
  rmSync(pidFile, { force: true });
}

/** `ansible-pull -U URL ARGS` inside the host (its network, mount and UTS namespaces: its hostname, /root, /etc/sysctl.d). */
export async function labPull(name: string, url: string, args: readonly string[] = [], dir = defaultLabDir()): Promise<ExecResult> {
  return labExec(name, ['ansible-pull', '-U', url, ...args], dir);
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

export interface LabPrometheus {
  pid: number;
  url: string;
  stop: () => Promise<void>;
}

/**
 * Prometheus on the controller: listens on 127.0.0.1 (a free port), keeps its
 * data under `workDir`, scrapes only the given lab targets every `interval`.
 */
export async function startLabPrometheus(workDir: string, targets: readonly string[], interval = '1s', binary = 'prometheus'): Promise<LabPrometheus> {
  for (const t of targets) {
    const [addr] = t.split(':');
    if (!isLabAddress(addr ?? '')) throw new FleetError(`refusing to scrape ${t}: only lab addresses (198.18.0.0/15)`, ExitCode.invalid);
  }
  mkdirSync(join(workDir, 'data'), { recursive: true });
  const config = join(workDir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      `global: { scrape_interval: ${interval}, scrape_timeout: ${interval}, evaluation_interval: 1m }`,
      'scrape_configs:',
      '  - job_name: fleet-lab',
      `    static_configs: [{ targets: [${targets.map((t) => `"${t}"`).join(', ')}] }]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(workDir, 'prometheus.log');
  const args = [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(workDir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--storage.tsdb.retention.time=1h',
  ];
  const { pid } = spawnDetached(binary, args, { logFile, cwd: workDir });
  const stop = () => killAndWait([pid]);
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return { pid, url, stop };
    } catch {
      // not listening yet
    }
    if (!procAlive(pid) || Date.now() > deadline) {
      await stop();
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ') : '';
      throw new FleetError(`prometheus did not become ready: ${log} (log: ${logFile})`, ExitCode.environment);
    }
    await sleep(100);
  }
}
