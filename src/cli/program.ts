import { Command } from 'commander';
import { registerApply } from './apply.js';
import { registerCheck } from './check.js';
import { registerDiff } from './diff.js';
import { registerRollback } from './rollback.js';
import { registerDiscover } from './discover.js';
import { registerMergeReports } from './merge-reports.js';
import { registerPlan } from './plan.js';
import { registerRender } from './render.js';
import { registerStatus } from './status.js';
import { registerValidate } from './validate.js';
import { registerLab } from './lab.js';

/** Build the commander program. Every command lives in its own file and only owns options and exit codes. */
export function buildProgram(): Command {
  const program = new Command('fleet');
  program
    .description('Make a listen-port policy (net.ipv4.ip_local_reserved_ports) true on every host, through Ansible, and prove it.')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  registerValidate(program);
  registerRender(program);
  registerPlan(program);
  registerApply(program);
  registerCheck(program);
  registerDiff(program);
  registerRollback(program);
  registerStatus(program);
  registerDiscover(program);
  registerMergeReports(program);
  registerLab(program);
  return program;
}
