import type { Command } from 'commander';
import { ExitCode, isFleetError } from '../errors.js';
import { formatDiagnostic, loadPolicy } from '../policy/index.js';
import { examples, printJson } from './common.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check a policy file and list every problem with file:line:column and field')
    .argument('<policy>', 'policy YAML file')
    .option('--json', 'print one JSON document: {valid, errors, warnings}')
    .addHelpText('after', examples(['fleet validate examples/policy.yaml', 'fleet validate policy.yaml --json | jq .errors']))
    .action(async (file: string, opts: { json?: boolean }) => {
      try {
        const { policy, warnings } = await loadPolicy(file);
        if (opts.json) {
          printJson({ valid: true, policy: file, mode: policy.mode, errors: [], warnings: warnings.map(formatDiagnostic) });
        } else {
          for (const w of warnings) process.stderr.write(`${formatDiagnostic(w)}\n`);
          process.stdout.write(`${file}: valid (${warnings.length} warning${warnings.length === 1 ? '' : 's'})\n`);
        }
        process.exitCode = ExitCode.ok;
      } catch (e) {
        if (!opts.json || !isFleetError(e)) throw e;
        printJson({ valid: false, policy: file, errors: e.details.length ? e.details : [e.message], warnings: [] });
        process.exitCode = e.exitCode;
      }
    });
}
