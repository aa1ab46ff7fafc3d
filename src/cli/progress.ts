import { hostProgress, type HostProgress, type Phase } from '../engine/progress.js';
import type { ReadOptions, Session } from '../engine/session.js';
import { sanitize } from '../report/text.js';
import { announce } from './targets.js';

/**
 * Live progress on stderr: a rewritten line on a terminal, plain lines in a
 * pipe or CI (failures as they happen, and a line every tenth of the fleet).
 */
export class Progress {
  private done = new Set<string>();
  private failed = 0;
  private lastStep = 0;

  constructor(
    private readonly label: string,
    private total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly tty = Boolean(process.stderr.isTTY) && process.env.CI === undefined,
  ) {}

  /** The engine's `onEvent` for a run of this phase, feeding this progress. */
  events(phase: Phase): ReturnType<typeof hostProgress> {
    return hostProgress(phase, this.onHost);
  }

  onHost = (ev: HostProgress): void => {
    if (this.done.has(ev.host)) return;
    this.done.add(ev.host);
    if (ev.outcome !== 'done') {
      this.failed++;
      // host names and messages come from hosts and Ansible: no escape sequence reaches the terminal
      const msg = sanitize((ev.message ?? '').split('\n')[0]?.slice(0, 160) ?? '', true);
      this.write(`${this.label}: ${sanitize(ev.host, true)} ${ev.outcome}${msg ? `: ${msg}` : ''}`, true);
    }
    const step = Math.floor((this.done.size * 10) / Math.max(1, this.total));
    if (this.tty || step > this.lastStep || this.done.size === this.total) {
      this.lastStep = step;
      this.write(`${this.label}: ${this.done.size}/${this.total} hosts done, ${this.failed} failed or unreachable`, false);
    }
  };

  /** The host count, once a deferred session's read has reported its targets. */
  setTotal(n: number): void {
    this.total = n;
  }

  finish(): void {
    if (this.tty) this.stream.write('\r\x1b[K');
  }

  private write(line: string, permanent: boolean): void {
    if (this.tty) this.stream.write(`\r\x1b[K${line}${permanent ? '\n' : ''}`);
    else this.stream.write(`${line}\n`);
  }
}

/** A read's progress line, and the session's announcements once its hosts are known (a deferred session learns them from the read). */
export function readProgress(label: string, s: Session, audit = false): { progress: Progress; read: ReadOptions } {
  const progress = new Progress(label, s.plans.filter((p) => !p.refused).length);
  const onPlanned = (x: Session): void => {
    if (!x.deferred) return;
    announce(x);
    // a deferred read reads every targeted host, refused ones too (harmless; they are reported refused)
    progress.setTotal(x.plans.length);
  };
  return { progress, read: { audit, onEvent: progress.events('read'), onPlanned } };
}
