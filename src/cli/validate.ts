import { ExitCode, isFleetError } from '../errors.js';
import { formatDiagnostic, loadPolicy } from '../policy/index.js';
import { printDiagnostics, printJson } from './output.js';

export async function run(file: string, opts: { json?: boolean }): Promise<number> {
  try {
    const { policy, warnings } = await loadPolicy(file);
    if (opts.json) {
      printJson({ valid: true, policy: file, mode: policy.mode, errors: [], warnings: warnings.map(formatDiagnostic) });
    } else {
      printDiagnostics(warnings);
      process.stdout.write(`${file}: valid (${warnings.length} warning${warnings.length === 1 ? '' : 's'})\n`);
    }
    return ExitCode.ok;
  } catch (e) {
    if (!opts.json || !isFleetError(e)) throw e;
    printJson({ valid: false, policy: file, errors: e.details.length ? e.details : [e.message], warnings: [] });
    return e.exitCode;
  }
}
