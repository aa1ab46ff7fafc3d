import { mkdir } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../io/files.js';
import type { RenderedFile } from '../render/project.js';

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

/** Write a rendered project; owner-writable, not world-writable. */
export async function writeProject(dir: string, files: readonly RenderedFile[]): Promise<string[]> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const written: string[] = [];
  for (const f of files) {
    const path = join(dir, f.path);
    // sub-folders (playbooks/, inventories/) too: writeFileAtomic would create them with the umask's default
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    await writeFileAtomic(path, f.content, 0o644);
    written.push(path);
  }
  return written;
}
