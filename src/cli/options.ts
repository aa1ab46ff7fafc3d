/**
 * Every option of every command, as data: commander options and the
 * help's exit-code lines are generated from this table (and `COMMANDS`
 * in commands.ts). A new option is one entry here; list the commands
 * that take it. Parsers only: nothing here loads a policy or a host.
 */
import { Option, type Command } from 'commander';
import { ExitCode, FleetError } from '../errors.js';
import { parseShard, type Shard } from '../plan/shard.js';
import { parseReportSpec, type ReportSpec } from '../report/spec.js';
import type { Verdict } from '../verify/types.js';

export type CommandName = 'validate' | 'render' | 'plan' | 'apply' | 'check' | 'diff' | 'rollback' | 'status' | 'discover' | 'merge-reports';

/** One option: commander flags, help (optionally per command), the commands that take it. */
export interface OptionSpec {
  flags: string;
  help: string;
  /** Help text where a command says it differently. */
  helpFor?: Partial<Record<CommandName, string>>;
  commands: readonly CommandName[];
  /** commander's argParser: (value, previous) -> parsed; throw FleetError for bad input. */
  parse?: (value: string, previous: never) => unknown;
  choices?: readonly string[];
  default?: string;
  required?: boolean;
  /** An exit code the option adds to the command's help, e.g. 4 for --detailed-exitcode. */
  exit?: { code: number; meaning: string };
}

const TARGETED = ['plan', 'apply', 'check'] as const satisfies readonly CommandName[];
const HISTORY = ['check', 'apply', 'rollback'] as const satisfies readonly CommandName[];

/** Verdicts `--fail-on` may name; all of them fail a run by default. */
export const FAILING_VERDICTS = ['drift', 'failed', 'unreachable', 'not_run', 'refused'] as const satisfies readonly Verdict[];

export function parseFailOn(value: string): Verdict[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.filter((i) => !(FAILING_VERDICTS as readonly string[]).includes(i));
  if (bad.length || items.length === 0) {
    throw new FleetError(
      `--fail-on ${value}: ${bad.length ? `unknown verdict ${bad.join(', ')}` : 'empty'} (choose from ${FAILING_VERDICTS.join(', ')})`,
      ExitCode.invalid,
    );
  }
  return items as Verdict[];
}

export function collectReport(value: string, previous: ReportSpec[] = []): ReportSpec[] {
  return [...previous, parseReportSpec(value)];
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function parseKeep(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new FleetError(`--keep ${v}: must be a whole number of reports, at least 1`, ExitCode.invalid);
  return n;
}

export const OPTIONS: readonly OptionSpec[] = [
  // where the hosts come from
  {
    flags: '-i, --inventory <source>',
    help: "inventory to use instead of the policy's",
    helpFor: {
      plan: "inventory to use instead of the policy's (file, directory or plugin config)",
      apply: "inventory to use instead of the policy's (file, directory or plugin config)",
      check: "inventory to use instead of the policy's (file, directory or plugin config)",
      diff: "inventory for both revisions instead of the policies' own",
      discover: "inventory to read (file, directory or plugin config); overrides the policy's",
    },
    commands: [...TARGETED, 'diff', 'rollback', 'render', 'status', 'discover'],
  },
  { flags: '-l, --limit <pattern>', help: 'only hosts matching this Ansible pattern (passed to Ansible)', commands: TARGETED },
  { flags: '--shard <K/N>', help: 'take slice K of N of the hosts (stable hash), for several controllers', commands: TARGETED },
  {
    flags: '--vault-id <id>',
    help: 'vault identity, e.g. prod@~/.vault-pass (repeatable; passed to ansible-inventory and ansible-playbook)',
    commands: TARGETED,
    parse: collect,
  },
  { flags: '--ask-vault-pass', help: 'ask for the vault password on the terminal', commands: TARGETED },
  { flags: '-K, --ask-become-pass', help: 'ask for the become (sudo) password on the terminal', commands: TARGETED },
  { flags: '--become-password-file <file>', help: 'read the become (sudo) password from this file', commands: TARGETED },
  { flags: '-v, --verbose', help: 'also print which Ansible configuration is in force and every setting fleet puts on top of it', commands: TARGETED },
  // the policy a command reads
  { flags: '--policy <file>', help: 'policy for the inventory and Ansible settings (default: the one the report names)', commands: ['rollback'] },
  // what a command writes
  {
    flags: '--json',
    help: 'print one JSON document on stdout, nothing else',
    helpFor: {
      validate: 'print one JSON document: {valid, errors, warnings}',
      render: 'print the written files as JSON',
      discover: 'print one JSON document: every observation (host, port, protocol, process) and the proposal',
      'merge-reports': 'print the merged JSON document',
    },
    commands: ['validate', ...TARGETED, 'diff', 'rollback', 'status', 'render', 'discover', 'merge-reports'],
  },
  {
    flags: '--format <format>',
    help: 'output: text, markdown (for a pull-request comment) or json (same as --json)',
    choices: ['text', 'markdown', 'json'],
    commands: ['plan', 'diff'],
  },
  {
    flags: '--report <format=path>',
    help: 'write a report: json, junit, prometheus or html (repeatable)',
    helpFor: {
      apply: 'also write a report: json, junit, prometheus or html (repeatable)',
      rollback: 'also write a report: json, junit, prometheus or html (repeatable)',
      'merge-reports': 'write the merged report: json, junit, prometheus or html (repeatable)',
    },
    commands: ['check', 'apply', 'rollback', 'status', 'merge-reports'],
    parse: collectReport,
  },
  {
    flags: '--history <dir>',
    help: 'keep each JSON report in DIR; the run then reports since_last (new drift, fixed, new unreachable) and the HTML report a trend',
    commands: HISTORY,
  },
  { flags: '--keep <n>', help: 'with --history: how many reports to keep (default 100)', commands: HISTORY, parse: parseKeep },
  { flags: '-o, --out <dir>', help: 'output folder', default: 'rendered', commands: ['render'] },
  { flags: '-o, --out <file>', help: 'write the proposed policy to this file (default: stdout)', commands: ['discover'] },
  // plan and diff
  { flags: '--all', help: 'list every host, the compliant ones too', commands: ['plan'] },
  {
    flags: '--detailed-exitcode',
    help: 'exit 0 when nothing would change, 4 when changes are pending (other codes as usual)',
    helpFor: { diff: 'exit 0 when nothing changes, 4 when something does' },
    commands: ['plan', 'diff'],
    exit: { code: ExitCode.changes, meaning: 'changes pending (--detailed-exitcode)' },
  },
  // apply and rollback
  { flags: '-y, --yes', help: 'do not ask for confirmation (needed without a terminal)', commands: ['apply', 'rollback'] },
  {
    flags: '-n, --dry-run',
    help: 'stop after the plan; change nothing',
    helpFor: { rollback: 'show what would be restored; change nothing' },
    commands: ['apply', 'rollback'],
  },
  { flags: '--force', help: 'also restore hosts that something else changed since the report', commands: ['rollback'] },
  // check
  {
    flags: '--fail-on <verdicts>',
    help: `verdicts that make the run fail (exit 1), comma-separated: ${FAILING_VERDICTS.join(',')} (default: all)`,
    commands: ['check'],
    parse: parseFailOn,
  },
  { flags: '--audit', help: 'also list listeners outside the listen ranges and connections holding reserved ports (ss)', commands: ['check'] },
  {
    flags: '--strict-audit',
    help: 'audit findings make the run fail (exit 1); implies --audit',
    commands: ['check'],
    exit: { code: ExitCode.drift, meaning: 'an audit finding (--strict-audit)' },
  },
  { flags: '--remediate', help: 'then apply to the hosts in drift only, verify again, and report both states', commands: ['check'] },
  // render
  { flags: '--pull', help: 'write a repository for ansible-pull instead: local.yml, inventory.yml, ansible.cfg, textfile template', commands: ['render'] },
  {
    flags: '--pull-mode <mode>',
    help: "with --pull: enforce (apply then verify) or check (read only); default the policy's pull.mode, else enforce",
    choices: ['enforce', 'check'],
    commands: ['render'],
  },
  // status
  { flags: '--prometheus <url>', help: 'Prometheus base URL, e.g. http://prometheus:9090', required: true, commands: ['status'] },
  { flags: '--max-age <duration>', help: 'a host whose last pull run is older is stale (not_run)', default: '2h', commands: ['status'] },
  // discover
  {
    flags: '--min-share <share>',
    help: 'company-wide (or for a group) when listened on by at least this share of its hosts',
    default: '50%',
    commands: ['discover'],
  },
  { flags: '--merge-gap <ports>', help: 'merge ports at most this many unused ports apart into one range', default: '10', commands: ['discover'] },
];

/** The table's entries for one command, in table order. */
export function optionsOf(command: CommandName): OptionSpec[] {
  return OPTIONS.filter((o) => o.commands.includes(command));
}

/** Add the table's options for `command` to commander's `cmd`. */
export function addOptions(cmd: Command, command: CommandName): Command {
  for (const spec of optionsOf(command)) {
    const o = new Option(spec.flags, spec.helpFor?.[command] ?? spec.help);
    if (spec.parse) o.argParser(spec.parse as (value: string, previous: unknown) => unknown);
    if (spec.choices) o.choices(spec.choices);
    if (spec.default !== undefined) o.default(spec.default);
    if (spec.required) o.makeOptionMandatory();
    cmd.addOption(o);
  }
  return cmd;
}

/** What the options of plan, apply and check parse to. */
export interface TargetOptions {
  inventory?: string;
  limit?: string;
  shard?: string;
  json?: boolean;
  verbose?: boolean;
  vaultId?: string[];
  askVaultPass?: boolean;
  askBecomePass?: boolean;
  becomePasswordFile?: string;
}

/** --history DIR and --keep N, shared by check, apply and rollback. */
export interface HistoryOptions {
  history?: string;
  keep?: number;
}

export function shardOption(text: string | undefined): Shard | undefined {
  if (text === undefined) return undefined;
  const s = parseShard(text);
  if (typeof s === 'string') throw new FleetError(s, ExitCode.invalid);
  return s;
}

/** How plan and diff print: a terminal table, markdown for a pull-request comment, or one JSON document. */
export type OutputFormat = 'text' | 'markdown' | 'json';

/** --json wins as a shorthand for --format json. */
export function outputFormat(opts: { json?: boolean; format?: OutputFormat }): OutputFormat {
  return opts.json ? 'json' : (opts.format ?? 'text');
}
