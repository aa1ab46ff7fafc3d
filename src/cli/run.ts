/** One fleet invocation: parse argv, run the command, map what it threw to an exit code. Sets nothing global. */
import { CommanderError } from 'commander';
import { isFleetError, ExitCode } from '../errors.js';
import { sanitize } from '../report/text.js';
import { buildProgram } from './program.js';

/** `argv` as process.argv gives it (node, script, arguments...); resolves to the exit code. */
export async function runFleet(argv: readonly string[]): Promise<number> {
  const exit = { code: ExitCode.ok as number };
  const program = buildProgram(exit);
  try {
    await program.parseAsync([...argv]);
    return exit.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; usage errors are 2
      return e.exitCode === 0 ? 0 : ExitCode.invalid;
    }
    if (isFleetError(e)) {
      // messages may quote Ansible's stderr, an inventory or a host: no escape sequence reaches the terminal
      process.stderr.write(`fleet: ${sanitize(e.message)}\n`);
      for (const d of e.details) process.stderr.write(`  ${sanitize(d)}\n`);
      return e.exitCode;
    }
    process.stderr.write(`fleet: internal error (a bug, please report it):\n${e instanceof Error ? e.stack : String(e)}\n`);
    return 70;
  }
}
