import { readFile } from 'node:fs/promises';
import { ExitCode, FleetError } from '../errors.js';
import { mergeReports, type ReportSpec } from '../report/index.js';
import type { RunReport } from '../verify/types.js';
import { verdictExit } from './exit-codes.js';
import { emit } from './output.js';

export async function run(files: string[], opts: { json?: boolean; report?: ReportSpec[] }): Promise<number> {
  const reports: RunReport[] = [];
  for (const f of files) {
    let doc: unknown;
    try {
      doc = JSON.parse(await readFile(f, 'utf8'));
    } catch (e) {
      throw new FleetError(`${f}: not a readable JSON report (${(e as Error).message})`, ExitCode.invalid);
    }
    if (typeof doc !== 'object' || doc === null || (doc as RunReport).tool !== 'fleet' || !Array.isArray((doc as RunReport).hosts)) {
      throw new FleetError(`${f}: not a fleet report (expected "tool": "fleet" and a "hosts" array)`, ExitCode.invalid);
    }
    reports.push(doc as RunReport);
  }
  let merged: RunReport;
  try {
    merged = mergeReports(reports);
  } catch (e) {
    if (e instanceof FleetError) throw e;
    throw new FleetError(`cannot merge: ${(e as Error).message}`, ExitCode.invalid);
  }
  await emit(merged, opts);
  return verdictExit(merged);
}
