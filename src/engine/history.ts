/**
 * The --history folder: one JSON report per run, newest `keep` kept. Reports
 * that do not parse are skipped with a warning, never fatal: a scheduled
 * check must not go red because someone dropped a file in the folder.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/files.js';
import { historyFileName } from '../report/history.js';
import { renderJson } from '../report/json.js';
import type { RunReport } from '../verify/types.js';

const NAME = /^\d{4}-\d\d-\d\dT[\d-]+\.\d+Z-[a-z]+\.json$/;

/** Kept reports, oldest first (the `trend` of a kept report is dropped: the chart is rebuilt from the files). */
export async function loadHistory(dir: string, warn: (m: string) => void): Promise<RunReport[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => NAME.test(n)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: RunReport[] = [];
  for (const n of names) {
    try {
      const r = JSON.parse(await readFile(join(dir, n), 'utf8')) as RunReport;
      if (r.tool === 'fleet' && Array.isArray(r.hosts) && r.summary) out.push(r);
      else warn(`history: ${n} is not a fleet report; ignored`);
    } catch {
      warn(`history: ${n} does not parse; ignored`);
    }
  }
  return out;
}

/** Keep this run's report, then remove the oldest beyond `keep`. */
export async function saveHistory(dir: string, report: RunReport, keep: number): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const { trend: _, ...kept } = report;
  const file = join(dir, historyFileName(report));
  await writeFileAtomic(file, renderJson(kept), 0o644);
  const names = (await readdir(dir)).filter((n) => NAME.test(n)).sort();
  for (const old of names.slice(0, Math.max(0, names.length - keep))) await rm(join(dir, old), { force: true });
  return file;
}
