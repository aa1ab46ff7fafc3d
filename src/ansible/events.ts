/**
 * Read ansible.posix.jsonl callback output (one JSON event per line) into
 * per-host outcomes. Ansible's exit codes are overloaded; the events are not.
 */

/**
 * fleet's callback plugin (render/callback-plugin.ts), the other side of this
 * protocol: the environment variable that switches its hooks on (set in
 * fleet's own runs only), the line that opens the start gate, and the name of
 * the targets report event.
 */
export const CONTROLLER = {
  env: 'FLEET_RUN',
  go: 'go\n',
  /** How a run whose gate was not opened ends (not one of Ansible's own exit codes). */
  gateClosedExit: 86,
  targetsEvent: 'fleet_report_targets',
} as const;

/** The environment of a run fleet starts: its callback's hooks on. */
export const CONTROLLER_ENV: Record<string, string> = { [CONTROLLER.env]: '1' };

export type HostStatus = 'ok' | 'failed' | 'unreachable';

export interface HostOutcome {
  host: string;
  status: HostStatus;
  changed: boolean;
  /** Name of the task (or the apply plugin's step) that failed or found the host unreachable. */
  failedTask?: string;
  message?: string;
  /** stdout of registered read tasks, by task name. */
  reads: Record<string, string>;
  /** Tasks (or the apply plugin's steps) that reported changed, also those before a failure. */
  changedTasks: string[];
}

export interface AnsibleEvent {
  /** `targets`: fleet's callback reports the play's hosts and groups (render/callback-plugin.ts); `result` holds them. */
  kind: 'ok' | 'failed' | 'unreachable' | 'skipped' | 'task_start' | 'play_start' | 'stats' | 'targets' | 'other';
  task?: string;
  host?: string;
  result?: Record<string, unknown>;
  stats?: Record<string, HostStats>;
}

export interface HostStats {
  ok: number;
  changed: number;
  failures: number;
  unreachable: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

const KIND: Record<string, AnsibleEvent['kind']> = {
  v2_runner_on_ok: 'ok',
  v2_runner_on_failed: 'failed',
  v2_runner_on_unreachable: 'unreachable',
  v2_runner_on_skipped: 'skipped',
  v2_playbook_on_task_start: 'task_start',
  v2_runner_on_start: 'task_start',
  v2_playbook_on_play_start: 'play_start',
  v2_playbook_on_stats: 'stats',
  [CONTROLLER.targetsEvent]: 'targets',
};

/** Parse one stdout line; undefined for lines that are not callback events (warnings, noise). */
export function parseEventLine(line: string): AnsibleEvent | undefined {
  const t = line.trim();
  if (!t.startsWith('{')) return undefined;
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(t) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const kind = KIND[String(doc._event)] ?? 'other';
  if (kind === 'stats') return { kind, stats: (doc.stats ?? {}) as Record<string, HostStats> };
  if (kind === 'targets') return { kind, result: doc };
  const task = (doc.task as { name?: string } | undefined)?.name;
  const hosts = (doc.hosts ?? {}) as Record<string, Record<string, unknown>>;
  const [host, result] = Object.entries(hosts)[0] ?? [];
  return { kind, ...(task !== undefined ? { task } : {}), ...(host ? { host, result } : {}) };
}

/** Human message for a failed or unreachable result. */
export function resultMessage(result: Record<string, unknown> | undefined): string {
  if (!result) return 'no result';
  // A loop task fails with "One or more items failed"; the reason is in the failed items.
  if (Array.isArray(result.results)) {
    const failed = (result.results as unknown[]).filter(
      (r): r is Record<string, unknown> => typeof r === 'object' && r !== null && (r as Record<string, unknown>).failed === true,
    );
    if (failed.length > 0) return failed.map((r) => resultMessage({ ...r, results: undefined })).join('; ');
  }
  const parts: string[] = [];
  const msg = typeof result.msg === 'string' ? result.msg : undefined;
  if (msg) parts.push(msg);
  for (const k of ['stderr', 'module_stderr', 'stdout'] as const) {
    const v = result[k];
    if (typeof v === 'string' && v.trim() && !msg?.includes(v.trim())) {
      parts.push(v.trim());
      break;
    }
  }
  if (typeof result.rc === 'number' && result.rc !== 0 && parts.length === 0) parts.push(`exit code ${result.rc}`);
  return parts.join(': ').replace(/\s+/g, ' ').trim() || 'failed without a message';
}

/** Fold events into one outcome per host. */
export class OutcomeCollector {
  readonly hosts = new Map<string, HostOutcome>();
  stats: Record<string, HostStats> | undefined;
  readonly noise: string[] = [];

  line(line: string): AnsibleEvent | undefined {
    const ev = parseEventLine(line);
    if (!ev) {
      if (line.trim()) this.noise.push(line);
      return undefined;
    }
    this.add(ev);
    return ev;
  }

  add(ev: AnsibleEvent): void {
    if (ev.kind === 'stats') {
      this.stats = ev.stats;
      // The jsonl callback does not say a failure was ignored (ignore_errors, rescue); the stats do.
      for (const o of this.hosts.values()) {
        if (o.status === 'failed' && this.stats?.[o.host]?.failures === 0) {
          o.status = 'ok';
          delete o.failedTask;
          delete o.message;
        }
      }
      return;
    }
    if (!ev.host || !['ok', 'failed', 'unreachable'].includes(ev.kind)) return;
    const o = this.hosts.get(ev.host) ?? { host: ev.host, status: 'ok' as HostStatus, changed: false, reads: {}, changedTasks: [] };
    const r = ev.result ?? {};
    const ignored = r.failed === true && r.ignore_errors === true;
    // fleet's apply plugin runs several steps in one task: it names the step that stopped it and the steps that changed the host
    const step = typeof r.fleet_step === 'string' ? r.fleet_step : ev.task;
    const steps = Array.isArray(r.fleet_changed) ? r.fleet_changed.filter((x): x is string => typeof x === 'string') : undefined;
    if (ev.kind === 'unreachable') {
      o.status = 'unreachable';
      o.failedTask = step;
      o.message = resultMessage(r);
    } else if (ev.kind === 'failed' && !ignored) {
      if (o.status !== 'unreachable') o.status = 'failed';
      o.failedTask = step;
      o.message = resultMessage(r);
    }
    if (steps && steps.length > 0) {
      o.changed = true;
      o.changedTasks.push(...steps);
    } else if (!steps && r.changed === true && ev.kind === 'ok') {
      o.changed = true;
      if (ev.task) o.changedTasks.push(ev.task);
    }
    if (ev.task && typeof r.stdout === 'string' && (ev.kind === 'ok' || ev.kind === 'failed')) o.reads[ev.task] = r.stdout;
    this.hosts.set(ev.host, o);
  }
}
