import { makePlan } from '../engine/plan-run.js';
import { ExitCode } from '../errors.js';
import { setReadOnly } from '../io/exec.js';
import { renderJson, renderPlanTable } from '../report/index.js';
import { renderPlanMarkdown } from '../report/markdown.js';
import type { RunReport } from '../verify/types.js';
import { outputFormat, type OutputFormat, type TargetOptions } from './options.js';
import { useColor } from './output.js';
import { readProgress } from './progress.js';
import { sessionFor } from './targets.js';

interface PlanOptions extends TargetOptions {
  all?: boolean;
  detailedExitcode?: boolean;
  format?: OutputFormat;
}

export async function run(file: string, opts: PlanOptions): Promise<number> {
  setReadOnly(true);
  const format = outputFormat(opts);
  const s = await sessionFor(file, { ...opts, json: format === 'json' }, { deferred: true });
  const { progress, read } = readProgress('plan', s);
  const { report } = await makePlan(s, read);
  progress.finish();
  if (format === 'json') process.stdout.write(renderJson(report));
  else if (format === 'markdown') process.stdout.write(renderPlanMarkdown(report, { all: Boolean(opts.all) }));
  else process.stdout.write(renderPlanTable(report, { color: useColor(), all: Boolean(opts.all) }).join('\n') + '\n');
  return planExit(report, Boolean(opts.detailedExitcode));
}

/** 1 when a host could not be planned; else (with --detailed-exitcode) 4 when a host would change, 0 when none. */
export function planExit(report: RunReport, detailed: boolean): number {
  const sum = report.summary;
  if (sum.compliant + sum.drift !== sum.hosts) return ExitCode.drift;
  return detailed && sum.drift > 0 ? ExitCode.changes : ExitCode.ok;
}
