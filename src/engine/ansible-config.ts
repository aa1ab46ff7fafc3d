// engine/: adapters that run a session: the user's Ansible config, secrets, the one ansible-playbook run, lock and signals, state folders, history, rollback.
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { configCandidates, parseConfigDump, type UserAnsibleConfig } from '../ansible/config.js';
import { ExitCode, FleetError } from '../errors.js';
import { run, which } from '../io/exec.js';
import { writeFileAtomic } from '../io/files.js';
import { firstError } from '../inventory/load.js';
import { binaryKey } from './environment.js';

/** Name of the cache of the user's effective configuration in a policy's state dir. */
export const CONFIG_CACHE = 'ansible-config.json';

async function fileKey(path: string): Promise<string> {
  try {
    const st = await stat(path);
    return st.isDirectory() ? `${path}|dir` : `${path}|${st.mtimeMs}|${st.size}`;
  } catch {
    return `${path}|-`;
  }
}

async function worldWritable(dir: string): Promise<boolean> {
  try {
    return ((await stat(dir)).mode & 0o002) !== 0;
  } catch {
    return false;
  }
}

/**
 * The user's effective Ansible configuration, as Ansible itself resolves it
 * (`ansible-config dump --only-changed`, run in the same folder and
 * environment as the runs). ~0.5 s of Python start-up, so the result is
 * cached in the state dir, keyed by every input that can change it: the
 * candidate files (path, mtime, size), the ANSIBLE_* environment, the folder
 * and the ansible-config binary.
 */
export async function readUserConfig(opts: { cacheDir?: string; cwd?: string } = {}): Promise<UserAnsibleConfig> {
  const cwd = opts.cwd ?? process.cwd();
  const env = process.env.ANSIBLE_CONFIG ? { ANSIBLE_CONFIG: resolve(cwd, process.env.ANSIBLE_CONFIG) } : {};
  const candidates = configCandidates(env, cwd, process.env.HOME ?? homedir(), await worldWritable(cwd));
  const bin = await which('ansible-config');
  if (!bin) {
    throw new FleetError('ansible-config not found on PATH', ExitCode.environment, [
      'install Ansible: sudo apt-get install ansible (or pip install ansible-core)',
    ]);
  }
  const ansibleEnv = Object.entries(process.env)
    .filter(([k]) => k.startsWith('ANSIBLE_'))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const keyParts = [cwd, JSON.stringify(ansibleEnv), await binaryKey(bin).catch(() => bin), ...(await Promise.all(candidates.map(fileKey)))];
  const key = createHash('sha256').update(keyParts.join('\n')).digest('hex');
  const cacheFile = opts.cacheDir ? join(opts.cacheDir, CONFIG_CACHE) : undefined;
  if (cacheFile) {
    const hit = await readFile(cacheFile, 'utf8')
      .then((t) => JSON.parse(t) as { key?: string; config?: UserAnsibleConfig })
      .catch(() => undefined);
    if (hit?.key === key && hit.config) return hit.config;
  }
  const r = await run('ansible-config', ['dump', '--only-changed', '-t', 'all', '--format', 'json'], { cwd, env: { ...env, ANSIBLE_NOCOLOR: '1' } });
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    throw new FleetError(`cannot read your Ansible configuration (ansible-config dump exited ${r.exitCode}): ${firstError(r.stderr)}`, ExitCode.environment, [
      'check it with: ansible-config dump --only-changed',
    ]);
  }
  const config = parseConfigDump(json);
  if (cacheFile) {
    await mkdir(dirname(cacheFile), { recursive: true, mode: 0o755 })
      .then(() => writeFileAtomic(cacheFile, JSON.stringify({ key, config }) + '\n'))
      .catch(() => undefined);
  }
  return config;
}
