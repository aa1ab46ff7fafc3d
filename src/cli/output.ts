/** Everything the commands print: stdout data, stderr diagnostics, colour, and the run report with its files and history. */
import { formatDiagnostic, type Diagnostic } from '../policy/diagnostic.js';
import type { ReportSpec } from '../report/spec.js';
import { sanitize } from '../report/text.js';
import type { RunReport } from '../verify/types.js';
import type { HistoryOptions } from './options.js';

/** Colour only on a terminal, and never when NO_COLOR is set. */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

export function printJson(doc: unknown): void {
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
}

/** A diagnostic on stderr; sanitised, since it may quote a host, an inventory or Ansible. */
export function warn(message: string): void {
  process.stderr.write(`fleet: ${sanitize(message, true)}\n`);
}

/** Policy warnings (file:line:col field: message) on stderr. */
export function printDiagnostics(diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
}

/**
 * Print the result (table or the one JSON document), write every --report, and keep it in --history.
 * The renderers and the history load here, when a run has a report: `fleet validate` and `--help` never load them.
 */
export async function emit(report: RunReport, opts: { json?: boolean; report?: ReportSpec[] } & HistoryOptions): Promise<void> {
  const [{ loadHistory, saveHistory }, { writeReports }, { renderJson, renderTable }, { withHistory }] = await Promise.all([
    import('../engine/history.js'),
    import('../io/files.js'),
    import('../report/index.js'),
    import('../report/history.js'),
  ]);
  const keep = opts.keep ?? 100;
  if (opts.history) report = withHistory(report, await loadHistory(opts.history, warn), keep);
  if (opts.json) process.stdout.write(renderJson(report));
  else process.stdout.write(renderTable(report, { color: useColor() }).join('\n') + '\n');
  const written = await writeReports(opts.report ?? [], report);
  for (const p of written) process.stderr.write(`fleet: wrote ${p}\n`);
  if (opts.history) await saveHistory(opts.history, report, keep);
}
