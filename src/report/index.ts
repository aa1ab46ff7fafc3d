/**
 * Report formats by name, for `--report FORMAT=PATH`. Pure: writing the
 * rendered text is io/files.ts's job.
 */
import { FleetError, ExitCode } from '../errors.js';
import type { RunReport } from '../verify/types.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderPrometheus } from './prometheus.js';

export { renderTable, renderPlanTable, summaryLine, type TableOptions } from './table.js';
export { renderJson, renderJunit, renderPrometheus, renderHtml };
export { mergeReports } from './merge.js';

/** File formats `--report` accepts. */
export const REPORT_FORMATS = ['json', 'junit', 'prometheus', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** A parsed `--report FORMAT=PATH`. */
export interface ReportSpec {
  format: ReportFormat;
  path: string;
}

const RENDERERS: Record<ReportFormat, (r: RunReport) => string> = {
  json: renderJson,
  junit: renderJunit,
  prometheus: renderPrometheus,
  html: renderHtml,
};

function isFormat(s: string): s is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(s);
}

/**
 * Parse `junit=out/x.xml` into `{format: 'junit', path: 'out/x.xml'}`.
 * Splits at the first `=`, so paths may contain `=`.
 * @throws FleetError (exit 2) naming the allowed formats when the spec is malformed.
 */
export function parseReportSpec(spec: string): ReportSpec {
  const allowed = REPORT_FORMATS.join(', ');
  const eq = spec.indexOf('=');
  if (eq < 0) {
    throw new FleetError(`--report "${spec}" must be FORMAT=PATH, e.g. junit=out/fleet.xml (formats: ${allowed})`, ExitCode.invalid);
  }
  const format = spec.slice(0, eq).trim().toLowerCase();
  const path = spec.slice(eq + 1);
  if (!isFormat(format)) {
    throw new FleetError(`--report "${spec}": unknown format "${format}" (formats: ${allowed})`, ExitCode.invalid);
  }
  if (path.trim() === '') {
    throw new FleetError(`--report "${spec}": missing file path after "=", e.g. ${format}=out/fleet.${format === 'junit' ? 'xml' : format === 'prometheus' ? 'prom' : format}`, ExitCode.invalid);
  }
  return { format, path };
}

/** Render `report` in `format`. */
export function renderReport(format: ReportFormat, report: RunReport): string {
  return RENDERERS[format](report);
}
