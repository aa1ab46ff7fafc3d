import type { AnsibleEvent } from '../ansible/events.js';
import { sanitize } from '../report/text.js';

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
    private readonly finalTask: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly tty = Boolean(process.stderr.isTTY) && process.env.CI === undefined,
  ) {}

  onEvent = (ev: AnsibleEvent): void => {
    if (!ev.host || this.done.has(ev.host)) return;
    const bad = ev.kind === 'failed' || ev.kind === 'unreachable';
    if (!bad && !(ev.kind === 'ok' && ev.task === this.finalTask)) return;
    this.done.add(ev.host);
    if (bad) {
      this.failed++;
      // host names and messages come from hosts and Ansible: no escape sequence reaches the terminal
      const msg = sanitize(String(ev.result?.msg ?? '').split('\n')[0]?.slice(0, 160) ?? '', true);
      this.write(`${this.label}: ${sanitize(ev.host, true)} ${ev.kind}${msg ? `: ${msg}` : ''}`, true);
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
