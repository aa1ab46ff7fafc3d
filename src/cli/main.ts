#!/usr/bin/env node
/** The fleet binary: parse, run, map errors to exit codes. The only place that calls process.exit. */
import { CommanderError } from 'commander';
import { isFleetError, ExitCode } from '../errors.js';
import { sanitize } from '../report/text.js';
import { buildProgram } from './program.js';

async function main(): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
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

main().then((code) => {
  process.exitCode = code;
});
