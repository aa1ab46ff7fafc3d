import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../io/exec.js';

/**
 * Close the SSH ControlMaster connections fleet opened (they outlive
 * ansible-playbook by ControlPersist). Used after an interruption so no
 * process of ours is left behind.
 */
export async function closeConnections(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let closed = 0;
  await Promise.all(
    // the folder also holds fleet's 0700 secret folders (secret-*): only sockets are connections
    names
      .filter((n) => !n.startsWith('secret-'))
      .map(async (n) => {
        const r = await run('ssh', ['-o', `ControlPath=${join(dir, n)}`, '-O', 'exit', 'fleet-control'], { timeoutMs: 5000 });
        if (r.exitCode === 0) closed++;
      }),
  );
  return closed;
}
