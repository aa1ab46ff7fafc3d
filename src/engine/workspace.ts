import { lstat, mkdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { ExitCode, FleetError } from '../errors.js';
import { writeFileAtomic } from '../io/files.js';
import type { RenderedFile } from '../render/project.js';
import { writableByOthers } from './trust.js';

/**
 * Where fleet keeps a policy's working state: the rendered project of the
 * last run, the lock. `FLEET_STATE_DIR` overrides; by default `.fleet/<policy
 * name>/` next to the policy, so one policy has one lock wherever it runs from.
 */
export function stateDirFor(policyFile: string): string {
  const stem = basename(policyFile, extname(policyFile));
  const root = process.env.FLEET_STATE_DIR ? resolve(process.env.FLEET_STATE_DIR) : join(dirname(resolve(policyFile)), '.fleet');
  return join(root, stem);
}

/**
 * Why a state folder must not be used, or undefined. Ansible loads plugins
 * and variables from next to the playbooks and inventories it runs, so a
 * folder someone else can write to (or swap through a symlink) would run
 * their code as this user. `sticky` allows a sticky world-writable folder
 * (like /tmp) as the root, where others cannot replace our entries.
 */
export async function stateDirProblem(path: string, sticky = false): Promise<string | undefined> {
  const me = process.getuid?.();
  const link = await lstat(path);
  if (link.isSymbolicLink() && me !== undefined && link.uid !== me) return `is a symbolic link owned by uid ${link.uid}, not by you (uid ${me})`;
  const st = await stat(path);
  if (!st.isDirectory()) return 'is not a folder';
  return writableByOthers(st, me, sticky);
}

/**
 * Create `path` (mode 0700) if missing, then refuse it, exit 3 with the fix,
 * when others could write to it. Parents up to `root` are checked the same way.
 */
export async function ensureStateDir(path: string, root = path): Promise<void> {
  const chain: string[] = [];
  for (let p = resolve(path); ; p = dirname(p)) {
    chain.unshift(p);
    if (p === resolve(root) || p === dirname(p)) break;
  }
  for (const [i, p] of chain.entries()) {
    await mkdir(p, { recursive: i === 0, mode: 0o700 }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST')
        throw new FleetError(`cannot create the state folder ${p}: ${e.message}`, ExitCode.environment, ['set FLEET_STATE_DIR to a folder you own']);
    });
    const why = await stateDirProblem(p, i === 0);
    if (why) {
      throw new FleetError(
        `the state folder ${p} ${why}: anyone who can write there could run code as you through the Ansible files fleet keeps in it`,
        ExitCode.environment,
        [`fix it: chmod go-w ${p} (or remove it: fleet creates it again, mode 0700), or set FLEET_STATE_DIR to a folder only you can write`],
      );
    }
  }
}

/**
 * Write a rendered project; owner-writable, not world-writable. A `stateRoot`
 * makes it a private state folder (0700, checked by ensureStateDir); without
 * one (`fleet render --out`) folders are 0755 so others may read it.
 */
export async function writeProject(dir: string, files: readonly RenderedFile[], stateRoot?: string): Promise<string[]> {
  const folder = async (p: string) => (stateRoot ? ensureStateDir(p, stateRoot) : mkdir(p, { recursive: true, mode: 0o755 }).then(() => undefined));
  await folder(dir);
  const written: string[] = [];
  for (const f of files) {
    const path = join(dir, f.path);
    // sub-folders (playbooks/, inventories/) too: writeFileAtomic would create them with the umask's default
    await folder(dirname(path));
    if (!(await sameFile(path, f.content))) await writeFileAtomic(path, f.content, 0o644);
    written.push(path);
  }
  return written;
}

/** A regular file (not a link) with this exact content and mode 0644: a rerun leaves it alone (no write, no fsync, mtime kept). */
async function sameFile(path: string, content: string): Promise<boolean> {
  try {
    const st = await lstat(path);
    if (!st.isFile() || (st.mode & 0o777) !== 0o644 || st.size !== Buffer.byteLength(content)) return false;
    return (await readFile(path, 'utf8')) === content;
  } catch {
    return false;
  }
}
