/**
 * Every command as data: name, arguments, help, exit codes, and the module
 * that runs it. program.ts turns this into commander commands; the command
 * module is imported only when its command runs (`fleet --help` and
 * `fleet validate` load none of Ansible, the engine or the reports).
 */
import { ExitCode } from '../errors.js';
import { optionsOf, type CommandName } from './options.js';

/** A command module: runs with commander's positional arguments then options, returns the exit code. */
export interface CommandModule {
  run: (...args: never[]) => Promise<number>;
}

/** What exit codes 0 and 1 mean for a command; 2 and 3 have a default meaning. */
export interface Exits {
  ok: string;
  fail?: string;
  invalid?: string;
  environment?: string;
  /** Takes the policy's lock and traps signals: 129/130/143 when interrupted. */
  interruptible?: boolean;
}

export interface CommandSpec {
  name: CommandName;
  description: string;
  /** commander argument syntax and its help: `<policy>`, `[policy]`, `<reports...>`. */
  args: readonly (readonly [string, string])[];
  examples: readonly string[];
  /** Help text after the examples, before the exit codes. */
  notes?: string;
  exits: Exits;
  load: () => Promise<CommandModule>;
}

const POLICY = ['<policy>', 'policy YAML file'] as const;

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'validate',
    description: 'check a policy file and list every problem with file:line:column and field',
    args: [POLICY],
    examples: ['fleet validate examples/policy.yaml', 'fleet validate policy.yaml --json | jq .errors'],
    exits: { ok: 'valid (warnings allowed)', invalid: 'invalid policy' },
    load: () => import('./validate.js'),
  },
  {
    name: 'render',
    description: "write a self-contained Ansible project (ansible.cfg, inventory with each host's value, playbooks) for the policy",
    args: [POLICY],
    examples: [
      'fleet render examples/policy.yaml --out rendered',
      'cd rendered && ansible-playbook playbooks/apply.yml     # apply by hand, or from AWX',
      'cd rendered && ansible-playbook playbooks/check.yml     # read-only',
      'fleet render policy.yaml --pull --out pull-repo          # commit it; hosts run: ansible-pull -U REPO_URL',
    ],
    notes: "In additive mode the rendered value is the policy's set only; `fleet apply` reads each host\nfirst and keeps the ports others reserved.",
    exits: { ok: 'project written' },
    load: () => import('./render.js'),
  },
  {
    name: 'plan',
    description: 'read every host (read-only) and show the hosts that would change: current -> desired, ports to add and remove, ephemeral ports left, and why',
    args: [POLICY],
    examples: [
      'fleet plan examples/policy.yaml',
      'fleet plan policy.yaml --limit web --json | jq .summary',
      'fleet plan policy.yaml --detailed-exitcode --format markdown > plan.md   # exit 4: changes pending',
      'fleet plan policy.yaml --verbose   # your ansible.cfg in force + what fleet sets on top',
    ],
    notes:
      'fleet keeps your ansible.cfg (ANSIBLE_CONFIG, ./ansible.cfg, ~/.ansible.cfg, /etc/ansible/ansible.cfg) in force and sets only\noutput, pipelining, ssh_args (yours + connection reuse), control_path_dir, forks (and remote_user/timeout when the policy\nsets them) as ANSIBLE_* environment variables; --verbose lists them with their values.',
    exits: { ok: 'plan made (with --detailed-exitcode: nothing to change)', fail: 'hosts unreachable/failed/refused' },
    load: () => import('./plan.js'),
  },
  {
    name: 'apply',
    description: 'validate -> plan -> confirm -> apply with Ansible -> verify every host with sysctl -n -> summary',
    args: [POLICY],
    examples: [
      'fleet apply examples/policy.yaml                 # asks before changing anything',
      'fleet apply policy.yaml --yes --limit web        # unattended, only group web',
      'fleet apply policy.yaml --dry-run                # plan only',
      'fleet apply policy.yaml --yes --json > result.json',
    ],
    exits: { ok: 'every targeted host verified compliant', fail: 'drift/failed/unreachable/not run', interruptible: true },
    load: () => import('./apply.js'),
  },
  {
    name: 'check',
    description: 'read-only compliance run: every host compliant, in drift (runtime or persisted), unreachable or failed',
    args: [POLICY],
    examples: [
      'fleet check examples/policy.yaml',
      'fleet check policy.yaml --report junit=out/fleet.xml --report prometheus=/var/lib/node_exporter/textfile/fleet.prom',
      'fleet check policy.yaml --audit --report html=out/fleet.html',
      'fleet check policy.yaml --remediate --json',
      'fleet check policy.yaml --fail-on drift --history /var/lib/fleet/history --report html=/var/www/fleet.html',
    ],
    exits: { ok: 'all compliant', fail: 'any drift/failure', interruptible: true },
    load: () => import('./check.js'),
  },
  {
    name: 'diff',
    description: 'offline: per host, how the desired reserved ports change between two revisions of a policy (no host is contacted)',
    args: [
      ['<old>', 'the old policy (a file, or <(git show main:policy.yaml))'],
      ['<new>', 'the new policy'],
    ],
    examples: [
      'fleet diff <(git show main:policy.yaml) policy.yaml',
      'fleet diff old.yaml new.yaml -i inventories/prod.yml --format markdown --detailed-exitcode',
    ],
    exits: { ok: 'done (with --detailed-exitcode: nothing changes)', invalid: 'invalid policy', environment: 'inventory unreadable' },
    load: () => import('./diff.js'),
  },
  {
    name: 'rollback',
    description: 'restore, on the hosts an apply changed, the state recorded in its JSON report before the change; verify it like apply',
    args: [['<report>', 'JSON report of an apply (fleet apply --report json=FILE)']],
    examples: [
      'fleet apply policy.yaml --yes --report json=out/apply.json',
      'fleet rollback out/apply.json --dry-run',
      'fleet rollback out/apply.json --yes --report json=out/rollback.json',
    ],
    exits: {
      ok: 'every host restored and verified',
      fail: 'a host refused (changed since), failed or unreachable',
      invalid: 'invalid report',
      interruptible: true,
    },
    load: () => import('./rollback.js'),
  },
  {
    name: 'status',
    description: 'pull mode: the fleet view from Prometheus (what every host running ansible-pull reported), as a check report',
    args: [['<policy>', 'policy YAML file the pull repository was rendered from']],
    examples: [
      'fleet status policy.yaml --prometheus http://prometheus:9090',
      'fleet status policy.yaml --prometheus http://127.0.0.1:9090 --max-age 90m --report junit=out/pull.xml',
    ],
    notes: 'Every host of the inventory gets a verdict: compliant, drift (also: another policy version), failed,\nnot_run (never reported, or stale).',
    exits: { ok: 'all compliant', fail: 'otherwise', environment: 'Prometheus unreachable' },
    load: () => import('./status.js'),
  },
  {
    name: 'discover',
    description: 'read what every host listens on (read-only, ss) and propose a policy that reserves those ports',
    args: [['[policy]', 'a policy whose inventory, settings, min_ephemeral_ports and ephemeral ranges to use (or give -i)']],
    examples: [
      'fleet discover -i inventories/prod.yml --out policy.yaml',
      'fleet discover policy.yaml --min-share 80% --merge-gap 0',
      "fleet discover -i inventories/prod.yml --json | jq '.observations[] | select(.port >= 1024)'",
    ],
    exits: {
      ok: 'every host read',
      fail: 'some host could not be read (the proposal says it is partial) or the proposal does not validate',
      interruptible: true,
    },
    load: () => import('./discover.js'),
  },
  {
    name: 'merge-reports',
    description: 'merge the JSON reports of sharded runs (--shard K/N) into one',
    args: [['<reports...>', 'JSON reports written with --json or --report json=PATH']],
    examples: ['fleet merge-reports shard-1.json shard-2.json --report junit=fleet.xml'],
    exits: { ok: 'every host of the merged report compliant', fail: 'otherwise', invalid: 'a file is not a fleet report' },
    load: () => import('./merge-reports.js'),
  },
];

export function examples(lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

/** "Exit codes: 0 ..., 1 ..., 2 ..., 3 ..." from the command's exits and its options' extra codes. */
export function exitCodeHelp(spec: Pick<CommandSpec, 'name' | 'exits'>): string {
  const meanings = new Map<number | string, string[]>();
  const add = (code: number | string, text: string | undefined) => {
    if (text === undefined) return;
    meanings.set(code, [...(meanings.get(code) ?? []), text]);
  };
  add(ExitCode.ok, spec.exits.ok);
  for (const o of optionsOf(spec.name)) if (o.exit?.code === ExitCode.changes) add(o.exit.code, o.exit.meaning);
  add(ExitCode.drift, spec.exits.fail);
  for (const o of optionsOf(spec.name)) if (o.exit && o.exit.code !== ExitCode.changes) add(o.exit.code, o.exit.meaning);
  add(ExitCode.invalid, spec.exits.invalid ?? 'invalid input');
  add(ExitCode.environment, spec.exits.environment ?? 'environment');
  if (spec.exits.interruptible) add(`${ExitCode.sigint}/${ExitCode.sigterm}`, 'interrupted');
  return `Exit codes: ${[...meanings].map(([code, texts]) => `${code} ${texts.join(' or ')}`).join(', ')}.`;
}

/** The help printed after a command's options: examples, notes, exit codes. */
export function helpAfter(spec: CommandSpec): string {
  return examples(spec.examples) + (spec.notes ? `\n${spec.notes}\n` : '') + `\n${exitCodeHelp(spec)}\n`;
}
