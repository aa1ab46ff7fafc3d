import { ansibleEnv, playbookArgv } from '../ansible/argv.js';
import { OutcomeCollector, type AnsibleEvent } from '../ansible/events.js';
import { ExitCode, FleetError } from '../errors.js';
import { run } from '../io/exec.js';
import { firstError } from '../inventory/load.js';
import { missingCollection } from './environment.js';

export interface PlaybookRun {
  collector: OutcomeCollector;
  exitCode: number | undefined;
  signal: string | undefined;
  stderr: string;
  durationMs: number;
}

/**
 * Run one playbook of a rendered project and collect per-host outcomes from
 * the JSONL events. Failed and unreachable hosts are data, not exceptions;
 * only a run that produced no events at all (bad arguments, missing
 * collection, broken inventory) is an error.
 */
export async function runPlaybook(opts: {
  projectDir: string;
  playbook: string;
  write: boolean;
  limit?: string;
  onEvent?: (ev: AnsibleEvent) => void;
}): Promise<PlaybookRun> {
  const collector = new OutcomeCollector();
  const r = await run('ansible-playbook', playbookArgv({ playbook: opts.playbook, ...(opts.limit ? { limit: opts.limit } : {}) }), {
    write: opts.write,
    cwd: opts.projectDir,
    env: ansibleEnv(`${opts.projectDir}/ansible.cfg`),
    detached: true,
    onLine: (line) => {
      const ev = collector.line(line);
      if (ev) opts.onEvent?.(ev);
    },
  });
  if (r.spawnError) {
    throw new FleetError(`cannot run ansible-playbook (${r.spawnError})`, ExitCode.environment, ['install Ansible: sudo apt-get install ansible']);
  }
  const interrupted = r.signal !== undefined || r.exitCode === 99;
  if (!interrupted && collector.stats === undefined && r.exitCode !== 0) {
    throw missingCollection(r.stderr) ?? new FleetError(`ansible-playbook failed before running any host (exit ${r.exitCode}): ${firstError(r.stderr || collector.noise.join('\n'))}`, ExitCode.environment);
  }
  return { collector, exitCode: r.exitCode, signal: r.signal, stderr: r.stderr, durationMs: r.durationMs };
}
