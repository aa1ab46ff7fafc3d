/**
 * The repository `ansible-pull` runs on every host (`fleet render --pull`):
 * each host applies and judges the policy itself and leaves its verdict in a
 * node_exporter textfile; Prometheus collects the fleet view.
 *
 * The write is the pushed apply's own tasks, imported, not copied
 * (`writeTasks`: ansible.posix.sysctl, and the whole write of a value longer
 * than one kernel write when some host has one). The read is one task per
 * value the judge needs, each registering that value alone: `sysctl -n` of
 * each key and a slurp of the persistence file. fleet's od-hex read-back
 * (`readScript`) is made for a parser in Node; on the host there is no such
 * parser, and per-value tasks need no framing, markers or decoding at all.
 * The verdict on the host is a small string comparison (see `judgeVars`),
 * not fleet's full judge.
 */
import { createHash } from 'node:crypto';
import { ExitCode, FleetError } from '../errors.js';
import type { FleetSetting } from '../ansible/config.js';
import { KEY_RANGE, KEY_RESERVED } from '../ansible/scripts.js';
import type { HostPlan } from '../plan/desired.js';
import { compareText } from '../ports/order.js';
import { format, formatPortRange } from '../ports/portset.js';
import { DEFAULT_PULL, type Policy, type PullMode, type PullSettings } from '../policy/types.js';
import { policyName } from '../report/text.js';
import { renderAnsibleCfg } from './ansible-cfg.js';
import { exceedsOneWrite } from '../ports/write-limit.js';
import { TARGET_GROUP, writeTasks } from './playbooks.js';
import type { HostTarget, RenderedFile } from './project.js';
import { toAnsibleYaml } from './yaml.js';

export const PULL_FILES = {
  cfg: 'ansible.cfg',
  inventory: 'inventory.yml',
  playbook: 'local.yml',
  textfile: 'templates/fleet.prom.j2',
} as const;

/** Reasons a host reports in `fleet_drift{reason=...}`; every one is written on every run (0 or 1). */
export const DRIFT_REASONS = ['runtime', 'persisted', 'port_range', 'apply_failed', 'read_failed'] as const;
export type DriftReason = (typeof DRIFT_REASONS)[number];

export const PULL_TASK = {
  enforce: 'fleet pull enforce',
  recordFailure: 'fleet pull record the failure',
  readReserved: 'fleet pull read reserved ports',
  readRange: 'fleet pull read port range',
  readPersist: 'fleet pull read persistence file',
  judge: 'fleet pull judge',
  folder: 'fleet pull textfile folder',
  write: 'fleet pull write textfile',
  publish: 'fleet pull publish textfile',
  verdict: 'fleet pull verdict',
  notGoverned: 'fleet pull not governed',
} as const;

export interface PullInput {
  policyLabel: string;
  policy: Policy;
  targets: HostTarget[];
  version: string;
  /** Overrides the policy's `pull.mode` (render --pull-mode). */
  mode?: PullMode;
}

/** What gets rendered for each host the plan did not refuse; `fleet status` computes the digest from the same list. */
export function pullTargets(plans: readonly HostPlan[]): HostTarget[] {
  return plans.filter((p) => !p.refused).map((p) => ({ host: p.host, reserved: p.desired, ...(p.ephemeral ? { ephemeral: p.ephemeral } : {}) }));
}

/** The policy's pull settings with defaults filled. */
export function pullSettings(policy: Policy, mode?: PullMode): PullSettings {
  return { ...DEFAULT_PULL, ...policy.pull, ...(mode ? { mode } : {}) };
}

/** The `policy` label: the policy file's base name without extension, as in `fleet check --report prometheus`. */
export function policyStem(label: string): string {
  return policyName({ policy: label });
}

/**
 * sha256 of what the policy means for the fleet: the mode, the persistence
 * file and every host's values. A reformatted policy keeps its digest; an
 * inventory change that moves a host to another group changes it. `fleet
 * status` recomputes it to find hosts running another policy version.
 */
export function policyDigest(policy: Pick<Policy, 'mode' | 'persistFile'>, targets: readonly HostTarget[]): string {
  const hosts = [...targets]
    .sort((a, b) => compareText(a.host, b.host))
    .map((t) => [t.host, format(t.reserved), t.ephemeral ? formatPortRange(t.ephemeral) : null]);
  const canonical = JSON.stringify({ mode: policy.mode, persist_file: policy.persistFile, hosts });
  return createHash('sha256').update(canonical).digest('hex');
}

/** What each read task registers (the crafted states of the unit test set these). */
export const PULL_READ = { reserved: 'fleet_read_reserved', range: 'fleet_read_range', persist: 'fleet_read_persist' } as const;

// Whitespace runs become one space without a regex: Ansible doubles backslashes inside `{{ }}`
// string literals, so `\s` means something else there than in a bare `when:`/`that:` expression.
const words = (expr: string) => `(${expr}).split() | join(' ')`;
const fileValue = (key: string) => words(`(_persist_text | regex_findall('(?m)^[ \\t]*-?net[./]ipv4[./]${key}[ \\t]*=[ \\t]*(.*?)[ \\t]*$') or ['']) | last`);
const { reserved: R, range: G, persist: P } = PULL_READ;
// With failed_when: false a registered result says failed: false whatever happened: a read
// worked when sysctl's rc is 0, and when slurp returned content. slurp's message for a missing
// file (ansible-core, ENOENT) means absent; any other slurp failure is a failed read.
const persistAbsent = `'content' not in ${P} and (${P}.msg | default('')) is match('file not found')`;
const sysctlFailed = (r: string) => `(${r}.rc | default(1)) != 0`;
const readError = (r: string) => `(${r}.stderr | default('', true) or ${r}.msg | default('', true) or 'exit ' ~ ${r}.rc | default('?')) | trim`;

/**
 * Host-side judgement, as task variables of one set_fact (evaluated lazily,
 * in order of use). Strings are compared as the kernel prints them: the
 * rendered values are canonical, so equal sets give equal strings.
 */
function judgeVars(): Record<string, string> {
  return {
    _persist_absent: `{{ ${persistAbsent} }}`,
    _persist_ok: `{{ 'content' in ${P} or _persist_absent | bool }}`,
    _read_ok: `{{ not (${sysctlFailed(R)}) and not (${sysctlFailed(G)}) and _persist_ok | bool }}`,
    _read_error: `{{ ([${readError(R)}] if ${sysctlFailed(R)} else []) + ([${readError(G)}] if ${sysctlFailed(G)} else []) + ([${P}.msg | default('slurp failed')] if not (_persist_ok | bool) else []) }}`,
    _current: `{{ (${R}.stdout | trim) if _read_ok | bool else '' }}`,
    _range: `{{ ${words(`${G}.stdout`)} if _read_ok | bool else '' }}`,
    _persist_text: `{{ (${P}.content | b64decode) if _read_ok | bool and not (_persist_absent | bool) else '' }}`,
    _persisted: `{{ '' if _persist_absent | bool else ${fileValue('ip_local_reserved_ports')} }}`,
    _persisted_range: `{{ '' if _persist_absent | bool else ${fileValue('ip_local_port_range')} }}`,
    _drift_read_failed: `{{ not (_read_ok | bool) }}`,
    _drift_apply_failed: `{{ fleet_apply_error is defined }}`,
    _drift_runtime: `{{ _read_ok | bool and _current != fleet_reserved_ports }}`,
    _drift_persisted: `{{ _read_ok | bool and (_persist_absent | bool or _persisted != fleet_reserved_ports) }}`,
    _drift_port_range: `{{ _read_ok | bool and fleet_port_range is defined and (_range != fleet_port_range or _persisted_range != fleet_port_range) }}`,
  };
}

/**
 * The reads: one value per task, nothing to parse. They run in Ansible's
 * check mode too (read-only), and find sysctl in /usr/sbin and /sbin as
 * fleet's read script does, whatever PATH the timer gives.
 */
function readTasks(): Record<string, unknown>[] {
  const env = { PATH: "{{ lookup('env', 'PATH') }}:/usr/sbin:/sbin", LC_ALL: 'C' };
  const sysctl = (name: string, key: string, register: string) => ({
    name,
    'ansible.builtin.command': { argv: ['sysctl', '-n', key] },
    environment: env,
    register,
    changed_when: false,
    failed_when: false,
    check_mode: false,
  });
  return [
    sysctl(PULL_TASK.readReserved, KEY_RESERVED, R),
    sysctl(PULL_TASK.readRange, KEY_RANGE, G),
    { name: PULL_TASK.readPersist, 'ansible.builtin.slurp': { src: '{{ fleet_persist_file }}' }, register: P, failed_when: false },
  ];
}

function writeTextfile(governed: boolean): Record<string, unknown>[] {
  return [
    { name: PULL_TASK.folder, 'ansible.builtin.file': { path: '{{ fleet_textfile | dirname }}', state: 'directory', mode: '0755' } },
    // The collector reads *.prom at any moment: write NAME.prom.tmp, then rename in the same folder.
    {
      name: PULL_TASK.write,
      'ansible.builtin.template': { src: PULL_FILES.textfile, dest: '{{ fleet_textfile }}.tmp', mode: '0644' },
      vars: { fleet_pull_governed: governed },
    },
    { name: PULL_TASK.publish, 'ansible.builtin.command': { argv: ['mv', '-f', '{{ fleet_textfile }}.tmp', '{{ fleet_textfile }}'] }, changed_when: false },
  ];
}

/**
 * `local.yml`: enforce (or check), read, judge, write the textfile; a host
 * outside the inventory reports itself not governed. `wholeWrite` adds the
 * apply's task for reserved values longer than one kernel write.
 */
export function pullPlaybook(opts: { wholeWrite: boolean } = { wholeWrite: false }): unknown[] {
  const drift = Object.fromEntries(DRIFT_REASONS.map((r) => [r, `{{ _drift_${r} | bool }}`]));
  return [
    {
      name: 'fleet pull: reserve listen ports on this host',
      hosts: TARGET_GROUP,
      connection: 'local',
      gather_facts: false,
      become: false,
      tasks: [
        {
          name: PULL_TASK.enforce,
          when: "fleet_pull_mode == 'enforce'",
          block: writeTasks(opts.wholeWrite),
          rescue: [
            { name: PULL_TASK.recordFailure, 'ansible.builtin.set_fact': { fleet_apply_error: "{{ ansible_failed_result.msg | default('apply failed') }}" } },
          ],
        },
        ...readTasks(),
        {
          name: PULL_TASK.judge,
          'ansible.builtin.set_fact': {
            fleet_pull: {
              current: '{{ _current }}',
              port_range: '{{ _range }}',
              persisted: "{{ '(absent)' if _persist_absent | bool else _persisted }}",
              drift,
              message:
                "{{ fleet_apply_error | default('') if fleet_apply_error is defined else ('' if _read_ok | bool else ('read-back failed: ' ~ (_read_error | join('; '))) | trim | truncate(300)) }}",
            },
          },
          vars: judgeVars(),
        },
        ...writeTextfile(true),
        {
          name: PULL_TASK.verdict,
          'ansible.builtin.fail': {
            msg: '{{ inventory_hostname }} is not compliant: {{ fleet_pull.drift | dict2items | selectattr("value") | map(attribute="key") | join(", ") }} {{ fleet_pull.message }}',
          },
          when: 'fleet_pull.drift.values() | select | list | length > 0',
        },
      ],
    },
    {
      name: 'fleet pull: a host the policy does not govern says so',
      hosts: 'localhost',
      connection: 'local',
      gather_facts: false,
      become: false,
      tasks: [
        {
          name: PULL_TASK.notGoverned,
          when: `ansible_limit is defined and (ansible_limit.split(',') | intersect(groups['${TARGET_GROUP}'] | default([])) | length) == 0`,
          block: [
            ...writeTextfile(false),
            {
              name: PULL_TASK.verdict,
              'ansible.builtin.fail': { msg: "this host ({{ lookup('pipe', 'uname -n') }}) is not in the policy's inventory: not governed, nothing applied" },
            },
          ],
        },
      ],
    },
  ];
}

/**
 * The textfile, as a Jinja template. Every sample carries the same identity
 * labels (host, policy, policy_sha256, fleet_version, mode), so one query
 * joins them; label values are escaped as the exposition format requires.
 */
export function textfileTemplate(version: string): string {
  const help = (name: string, text: string) => [`# HELP ${name} ${text}`, `# TYPE ${name} gauge`];
  return [
    `{# Generated by fleet ${version}. Do not edit: run fleet render --pull again. #}`,
    `{%- macro q(v) %}{{ v | string | replace('\\\\', '\\\\\\\\') | replace('"', '\\\\"') | replace('\\n', '\\\\n') }}{% endmacro -%}`,
    `{%- set host = inventory_hostname if fleet_pull_governed | bool else lookup('pipe', 'uname -n') -%}`,
    `{%- set id = 'host="' ~ q(host) ~ '",policy="' ~ q(fleet_policy | default('')) ~ '",policy_sha256="' ~ q(fleet_policy_sha256 | default('')) ~ '",fleet_version="' ~ q(fleet_version | default('')) ~ '",mode="' ~ q(fleet_pull_mode | default('')) ~ '"' -%}`,
    ...help('fleet_governed', "Whether this host is in the pull policy's inventory (1) or not (0: nothing applied)."),
    `fleet_governed{{ '{' ~ id ~ '}' }} {{ 1 if fleet_pull_governed | bool else 0 }}`,
    ...help('fleet_last_run_timestamp_seconds', "Unix time of this host's last pull run."),
    `fleet_last_run_timestamp_seconds{{ '{' ~ id ~ '}' }} {{ now().timestamp() | int }}`,
    `{% if fleet_pull_governed | bool -%}`,
    ...help('fleet_compliant', 'Whether the host complies with the reserved-ports policy (1) or not (0), as judged on the host.'),
    `fleet_compliant{{ '{' ~ id ~ '}' }} {{ 0 if (fleet_pull.drift.values() | select | list | length) > 0 else 1 }}`,
    ...help('fleet_drift', 'Whether the host differs from the policy for this reason (1) or not (0).'),
    `{% for reason in ${JSON.stringify([...DRIFT_REASONS]).replace(/"/g, "'")} -%}`,
    `fleet_drift{{ '{' ~ id ~ ',reason="' ~ reason ~ '"}' }} {{ 1 if fleet_pull.drift[reason] | bool else 0 }}`,
    `{% endfor -%}`,
    ...help('fleet_host_info', 'Values read on the host in the last pull run (labels); always 1.'),
    `fleet_host_info{{ '{' ~ id ~ ',desired="' ~ q(fleet_reserved_ports) ~ '",current="' ~ q(fleet_pull.current) ~ '",persisted="' ~ q(fleet_pull.persisted) ~ '",port_range="' ~ q(fleet_pull.port_range) ~ '",message="' ~ q(fleet_pull.message) ~ '"}' }} 1`,
    `{% endif -%}`,
    '',
  ].join('\n');
}

/**
 * The pull repository's own Ansible settings: a host has no fleet to put them
 * in the environment, so they live in its ansible.cfg, which ansible-pull's
 * run reads from the checkout. Only what a local run needs: no SSH settings.
 */
export const PULL_SETTINGS: readonly FleetSetting[] = [
  { env: 'ANSIBLE_GATHERING', value: 'explicit', ini: ['defaults', 'gathering'], why: 'no fact gathering (the plays never need facts)' },
  { env: 'ANSIBLE_RETRY_FILES_ENABLED', value: '0', ini: ['defaults', 'retry_files_enabled'], why: 'no .retry files in the checkout' },
  {
    env: 'ANSIBLE_INVENTORY_UNPARSED_FAILED',
    value: '1',
    ini: ['inventory', 'unparsed_is_failed'],
    why: 'a broken inventory.yml is an error, not a run on zero hosts',
  },
  { env: 'ANSIBLE_NOCOLOR', value: '1', ini: ['defaults', 'nocolor'], why: 'no escape codes in the journal' },
];

const PULL_CFG_EXPLAIN = [
  'ansible-pull runs local.yml inside its checkout, where Ansible reads this file. If ANSIBLE_CONFIG names',
  "another file on the host, that one is read instead: then export these settings in the timer's service:",
];

/** The whole repository: commit it and point `ansible-pull -U` at it. Deterministic, no timestamps. */
export function renderPullProject(input: PullInput): RenderedFile[] {
  const { policy } = input;
  if (policy.mode === 'additive') {
    throw new FleetError(
      `${input.policyLabel}: pull mode needs \`mode: exact\` (additive keeps the ports others reserved, read from each host first, which only \`fleet apply\` does)`,
      ExitCode.invalid,
    );
  }
  const settings = pullSettings(policy, input.mode);
  const header = `Generated by fleet ${input.version} from ${input.policyLabel} for ansible-pull. Do not edit: run fleet render --pull again.`;
  const targets = [...input.targets].sort((a, b) => compareText(a.host, b.host));
  const hostVars = Object.fromEntries(
    targets.map((t) => [t.host, { fleet_reserved_ports: format(t.reserved), ...(t.ephemeral ? { fleet_port_range: formatPortRange(t.ephemeral) } : {}) }]),
  );
  const inventory = {
    all: {
      vars: {
        ansible_connection: 'local',
        // the Python running ansible-playbook: no interpreter discovery on every run
        ansible_python_interpreter: '{{ ansible_playbook_python }}',
        fleet_persist_file: policy.persistFile,
        fleet_textfile: settings.textfile,
        fleet_pull_mode: settings.mode,
        fleet_policy: policyStem(input.policyLabel),
        fleet_policy_sha256: policyDigest(policy, targets),
        fleet_version: input.version,
      },
      // ansible-pull limits the run to `localhost,<its own names>`; with an inventory, localhost only
      // matches when listed, and it is what tells a host outside the policy that it is not governed.
      hosts: { localhost: {} },
      children: { [TARGET_GROUP]: { hosts: hostVars } },
    },
  };
  const files: RenderedFile[] = [
    { path: PULL_FILES.cfg, content: renderAnsibleCfg({ header, inventories: [PULL_FILES.inventory], settings: PULL_SETTINGS, explain: PULL_CFG_EXPLAIN }) },
    { path: PULL_FILES.inventory, content: toAnsibleYaml(inventory, header, { quoteStrings: true }) },
    { path: PULL_FILES.playbook, content: toAnsibleYaml(pullPlaybook({ wholeWrite: targets.some((t) => exceedsOneWrite(format(t.reserved))) }), header) },
    { path: PULL_FILES.textfile, content: textfileTemplate(input.version) },
  ];
  return files.sort((a, b) => compareText(a.path, b.path));
}
