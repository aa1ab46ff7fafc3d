import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ExitCode, FleetError } from '../errors.js';
import { mergeReports, type ReportSpec } from '../report/index.js';
import type { RunReport } from '../verify/types.js';
import { examples } from './common.js';
import { collectReport, emit, verdictExit } from './run-support.js';

export function registerMergeReports(program: Command): void {
  program
    .command('merge-reports')
    .description('merge the JSON reports of sharded runs (--shard K/N) into one')
    .argument('<reports...>', 'JSON reports written with --json or --report json=PATH')
    .option('--json', 'print the merged JSON document')
    .option('--report <format=path>', 'write the merged report: json, junit, prometheus or html (repeatable)', collectReport)
    .addHelpText('after', examples(['fleet merge-reports shard-1.json shard-2.json --report junit=fleet.xml']))
    .action(async (files: string[], opts: { json?: boolean; report?: ReportSpec[] }) => {
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
      process.exitCode = verdictExit(merged);
    });
}
