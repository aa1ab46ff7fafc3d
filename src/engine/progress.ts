/** Ansible's per-task events -> one neutral event per host as it finishes a phase, for whoever shows progress. */
import type { AnsibleEvent } from '../ansible/events.js';
import { TASK } from '../render/playbooks.js';

/** A host finished a phase: its last task came back ok, or it failed or became unreachable. */
export interface HostProgress {
  host: string;
  outcome: 'done' | 'failed' | 'unreachable';
  /** Ansible's message for a failure, as the host or Ansible gave it (not sanitised). */
  message?: string;
}

/** `read`: the read playbook (check, plan, discover); `write`: apply, remediate, rollback (ends with the read-back). */
export type Phase = 'read' | 'write';

/** The task that ends a host's phase: apply and remediate end with the apply plugin's task, rollback with its raw read-back. */
const LAST_TASKS: Record<Phase, readonly string[]> = { read: [TASK.readState], write: [TASK.apply, TASK.readBack] };

/** An `onEvent` for readHosts/applyHosts/restoreHosts that calls `on` with host progress only. */
export function hostProgress(phase: Phase, on: (e: HostProgress) => void): (ev: AnsibleEvent) => void {
  return (ev) => {
    if (!ev.host) return;
    if (ev.kind === 'failed' || ev.kind === 'unreachable') {
      const msg = ev.result?.msg;
      on({ host: ev.host, outcome: ev.kind, ...(msg !== undefined ? { message: String(msg) } : {}) });
    } else if (ev.kind === 'ok' && ev.task !== undefined && LAST_TASKS[phase].includes(ev.task)) {
      on({ host: ev.host, outcome: 'done' });
    }
  };
}
