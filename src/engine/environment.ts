import { mkdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseAnsibleVersion } from '../ansible/argv.js';
import { ExitCode, FleetError } from '../errors.js';
import { run, which } from '../io/exec.js';
import { writeFileAtomic } from '../io/files.js';

export const MIN_ANSIBLE: [number, number] = [2, 14];

/** Name of the version cache in a policy's state dir. */
export const VERSION_CACHE = 'ansible-version.json';

/**
 * Identity of the ansible-playbook that would run: PATH entry, resolved file,
 * its mtime and size. An upgrade (apt, pip) rewrites the file, so the key changes.
 */
export async function binaryKey(path: string): Promise<string> {
  const real = await realpath(path);
  const st = await stat(real);
  return `${path}|${real}|${st.mtimeMs}|${st.size}`;
}

async function cachedVersion(file: string, key: string): Promise<string | undefined> {
  try {
    const doc = JSON.parse(await readFile(file, 'utf8')) as { key?: unknown; version?: unknown };
    return doc.key === key && typeof doc.version === 'string' ? doc.version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Fail early, with the fix, when the controller lacks what fleet needs.
 * `ansible-playbook --version` costs ~0.5 s of Python start-up; with a
 * `cacheDir` a passed check is remembered for the same binary (see binaryKey).
 */
export async function checkEnvironment(opts: { cacheDir?: string } = {}): Promise<{ ansibleVersion: string; cached: boolean }> {
  const missing: string[] = [];
  const found = new Map<string, string>();
  for (const cmd of ['ansible-playbook', 'ansible-inventory', 'ansible-config', 'ssh']) {
    const p = await which(cmd);
    if (p) found.set(cmd, p);
    else missing.push(cmd);
  }
  if (missing.length) {
    throw new FleetError(`${missing.join(', ')} not found on PATH`, ExitCode.environment, [
      'install them: sudo apt-get install ansible openssh-client (or pip install ansible-core, then ansible-galaxy collection install ansible.posix)',
    ]);
  }
  const cacheFile = opts.cacheDir ? join(opts.cacheDir, VERSION_CACHE) : undefined;
  const key = cacheFile ? await binaryKey(found.get('ansible-playbook')!).catch(() => undefined) : undefined;
  if (cacheFile && key) {
    const hit = await cachedVersion(cacheFile, key);
    if (hit) return { ansibleVersion: hit, cached: true };
  }
  const r = await run('ansible-playbook', ['--version'], { env: { ANSIBLE_NOCOLOR: '1' } });
  const v = parseAnsibleVersion(r.stdout);
  if (!v)
    throw new FleetError(
      `cannot tell the Ansible version from \`ansible-playbook --version\`: ${r.stdout.split('\n')[0] ?? ''}${r.stderr}`,
      ExitCode.environment,
    );
  if (v[0] < MIN_ANSIBLE[0] || (v[0] === MIN_ANSIBLE[0] && v[1] < MIN_ANSIBLE[1])) {
    throw new FleetError(`ansible-core ${v.join('.')} is too old; fleet needs ${MIN_ANSIBLE.join('.')} or newer`, ExitCode.environment, [
      'upgrade: sudo apt-get install ansible (Debian 12+) or pip install -U ansible-core',
    ]);
  }
  const ansibleVersion = v.join('.');
  if (cacheFile && key) {
    // Only a passed check is cached; a cache that cannot be written just means no cache.
    await mkdir(dirname(cacheFile), { recursive: true, mode: 0o755 })
      .then(() => writeFileAtomic(cacheFile, JSON.stringify({ key, version: ansibleVersion }) + '\n'))
      .catch(() => undefined);
  }
  return { ansibleVersion, cached: false };
}

/** Messages Ansible prints when ansible.posix is missing; turned into an exit-3 error with the fix. */
export function missingCollection(stderr: string): FleetError | undefined {
  if (/ansible\.posix|couldn't resolve module\/action 'ansible\.posix|Invalid callback for stdout specified/i.test(stderr)) {
    return new FleetError('the ansible.posix collection is missing', ExitCode.environment, [
      'install it: sudo apt-get install ansible (includes it) or ansible-galaxy collection install ansible.posix',
    ]);
  }
  return undefined;
}
