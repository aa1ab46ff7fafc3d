/**
 * Report formats by name, for `--report FORMAT=PATH`. Pure: writing the
 * rendered text is io/files.ts's job.
 */
import type { RunReport } from '../verify/types.js';
import type { ReportFormat } from './spec.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderPrometheus } from './prometheus.js';

export { renderTable, renderPlanTable, summaryLine, type TableOptions } from './table.js';
export { renderJson, renderJunit, renderPrometheus, renderHtml };
export { mergeReports } from './merge.js';

export { REPORT_FORMATS, parseReportSpec, type ReportFormat, type ReportSpec } from './spec.js';

const RENDERERS: Record<ReportFormat, (r: RunReport) => string> = {
  json: renderJson,
  junit: renderJunit,
  prometheus: renderPrometheus,
  html: renderHtml,
};

/** Render `report` in `format`. */
export function renderReport(format: ReportFormat, report: RunReport): string {
  return RENDERERS[format](report);
}
