import { Command } from 'commander';
import { VERSION } from '../version.js';
import { COMMANDS, helpAfter, type CommandModule } from './commands.js';
import { registerLab } from './lab.js';
import { addOptions } from './options.js';

/** Where a command leaves its exit code for main.ts, the one place that sets process.exitCode. */
export interface ExitHolder {
  code: number;
}

/**
 * Build the commander program from the tables in commands.ts and options.ts.
 * A command's module is imported when it runs, not before.
 */
export function buildProgram(exit: ExitHolder = { code: 0 }): Command {
  const program = new Command('fleet');
  program
    .description('Make a listen-port policy (net.ipv4.ip_local_reserved_ports) true on every host, through Ansible, and prove it.')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  for (const spec of COMMANDS) {
    const cmd = program.command(spec.name).description(spec.description);
    for (const [syntax, help] of spec.args) cmd.argument(syntax, help);
    addOptions(cmd, spec.name)
      .addHelpText('after', helpAfter(spec))
      .action(async (...args: unknown[]) => {
        // commander passes the positional arguments, the options, then the Command itself
        const mod: CommandModule = await spec.load();
        exit.code = await (mod.run as (...a: unknown[]) => Promise<number>)(...args.slice(0, -1));
      });
  }
  registerLab(program, exit);
  return program;
}
