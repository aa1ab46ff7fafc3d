/** Access to the recorded ansible.posix.jsonl runs in test/fixtures/ansible/. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const APPLY_MIXED = 'apply-mixed.jsonl';
/** apply.yml with one ansible.posix.sysctl loop task (issue 13); h3 has a read-only /proc/sys. */
export const APPLY_LOOP_MIXED = 'apply-loop-mixed.jsonl';
export const CHECK_MIXED = 'check-mixed.jsonl';

export function recordedLines(name: string): string[] {
  const text = readFileSync(fileURLToPath(new URL(`../fixtures/ansible/${name}`, import.meta.url)), 'utf8');
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** The `stdout` one host's result carried for one task, straight from the JSON (not through the code under test). */
export function recordedStdout(name: string, host: string, task: string): string {
  for (const line of recordedLines(name)) {
    const doc = JSON.parse(line) as { task?: { name?: string }; hosts?: Record<string, { stdout?: unknown }> };
    const r = doc.hosts?.[host];
    if (doc.task?.name === task && r && typeof r.stdout === 'string') return r.stdout;
  }
  throw new Error(`no stdout for ${host} / ${task} in ${name}`);
}
