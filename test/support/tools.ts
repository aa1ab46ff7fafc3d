/** Whether a real tool is on PATH, so a test can run it or skip with a message saying why. */
import { execa } from 'execa';

export async function onPath(tool: string): Promise<boolean> {
  const r = await execa(tool, ['--version'], { reject: false, timeout: 60_000 });
  return r.exitCode === 0;
}

/** Environment for running Ansible in tests: no colour, no noise; run it with `cwd: tmpdir()` so no ./ansible.cfg applies. */
export const quietAnsible = {
  ANSIBLE_NOCOLOR: '1',
  ANSIBLE_DEPRECATION_WARNINGS: '0',
  ANSIBLE_LOCALHOST_WARNING: '0',
  ANSIBLE_INVENTORY_UNPARSED_FAILED: '1',
} as const;
