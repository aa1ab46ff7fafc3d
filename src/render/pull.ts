/**
 * The repository `ansible-pull` runs on every host (`fleet render --pull`):
 * each host applies and judges the policy itself and leaves its verdict in a
 * node_exporter textfile; Prometheus collects the fleet view.
 *
 * The write and the read are the pushed apply's own pieces, imported, not
 * copied: the tasks of `applyPlaybook` (ansible.posix.sysctl + read-back +
 * assert), `readScript` for the read, and the Jinja expressions that cut the
 * read-back into values. The verdict on the host is a small string
 * comparison (see `judgeVars`), not fleet's full judge.
 */
import { createHash } from 'node:crypto';
import { ExitCode, FleetError } from '../errors.js';
import { MARK, readScript } from '../ansible/scripts.js';
import type { HostPlan } from '../plan/desired.js';
import { compareText } from '../ports/order.js';
import { format, formatPortRange } from '../ports/portset.js';
import { DEFAULT_PULL, type Policy, type PullMode, type PullSettings } from '../policy/types.js';
import { policyName } from '../report/text.js';
import { renderAnsibleCfg } from './ansible-cfg.js';
import { applyPlaybook, reservedLine, TARGET_GROUP } from './playbooks.js';
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
  read: 'fleet pull read state',
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

const section = (name: string) => `fleet_readback.stdout.split('${MARK}${name}')[1].split('${MARK}')[0]`;
// Whitespace runs become one space without a regex: Ansible doubles backslashes inside `{{ }}`
// string literals, so `\s` means something else there than in a bare `when:`/`that:` expression.
const words = (expr: string) => `(${expr}).split() | join(' ')`;
const fileValue = (key: string) => words(`(_persist_text | regex_findall('(?m)^[ \\t]*-?net[./]ipv4[./]${key}[ \\t]*=[ \\t]*(.*?)[ \\t]*$') or ['']) | last`);

/**
 * Host-side judgement, as task variables of one set_fact (evaluated lazily,
 * in order of use). Strings are compared as the kernel prints them: the
 * rendered values are canonical, so equal sets give equal strings.
 */
function judgeVars(): Record<string, string> {
  return {
    _read_ok: `{{ (fleet_readback.rc | default(1)) == 0 and '${MARK}end' in (fleet_readback.stdout | default('')) }}`,
    _current: `{{ (${reservedLine}) if _read_ok | bool else '' }}`,
    _range: `{{ ${words(section('range'))} if _read_ok | bool else '' }}`,
    _persist_text: `{{ (${section('persist')}) if _read_ok | bool else '' }}`,
    _persist_absent: `{{ (_persist_text | trim) == '@@absent' }}`,
    _persisted: `{{ '' if _persist_absent | bool else ${fileValue('ip_local_reserved_ports')} }}`,
    _persisted_range: `{{ '' if _persist_absent | bool else ${fileValue('ip_local_port_range')} }}`,
    _drift_read_failed: `{{ not (_read_ok | bool) }}`,
    _drift_apply_failed: `{{ fleet_apply_error is defined }}`,
    _drift_runtime: `{{ _read_ok | bool and _current != fleet_reserved_ports }}`,
    _drift_persisted: `{{ _read_ok | bool and (_persist_absent | bool or _persisted != fleet_reserved_ports) }}`,
    _drift_port_range: `{{ _read_ok | bool and fleet_port_range is defined and (_range != fleet_port_range or _persisted_range != fleet_port_range) }}`,
  };
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

/** `local.yml`: enforce (or check), read, judge, write the textfile; a host outside the inventory reports itself not governed. */
export function pullPlaybook(): unknown[] {
  const applyTasks = (applyPlaybook({ become: false, timeout: 10 }) as { tasks: unknown[] }[]).flatMap((p) => p.tasks);
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
          block: applyTasks,
          rescue: [{ name: PULL_TASK.recordFailure, 'ansible.builtin.set_fact': { fleet_apply_error: "{{ ansible_failed_result.msg | default('apply failed') }}" } }],
        },
        { name: PULL_TASK.read, 'ansible.builtin.raw': readScript(false), register: 'fleet_readback', changed_when: false, failed_when: false },
        {
          name: PULL_TASK.judge,
          'ansible.builtin.set_fact': {
            fleet_pull: {
              current: '{{ _current }}',
              port_range: '{{ _range }}',
              persisted: "{{ '(absent)' if _persist_absent | bool else _persisted }}",
              drift,
              message: "{{ fleet_apply_error | default('') if fleet_apply_error is defined else ('' if _read_ok | bool else 'read-back failed: ' ~ (fleet_readback.stderr | default('') ~ fleet_readback.stdout | default('')) | trim | truncate(300)) }}",
            },
          },
          vars: judgeVars(),
        },
        ...writeTextfile(true),
        {
          name: PULL_TASK.verdict,
          'ansible.builtin.fail': { msg: '{{ inventory_hostname }} is not compliant: {{ fleet_pull.drift | dict2items | selectattr("value") | map(attribute="key") | join(", ") }} {{ fleet_pull.message }}' },
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

/** The whole repository: commit it and point `ansible-pull -U` at it. Deterministic, no timestamps. */
export function renderPullProject(input: PullInput): RenderedFile[] {
  const { policy } = input;
  if (policy.mode === 'additive') {
    throw new FleetError(`${input.policyLabel}: pull mode needs \`mode: exact\` (additive keeps the ports others reserved, read from each host first, which only \`fleet apply\` does)`, ExitCode.invalid);
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
    { path: PULL_FILES.cfg, content: renderAnsibleCfg({ header, inventories: [PULL_FILES.inventory], forks: 1, settings: { become: false, timeout: policy.ansible.timeout } }) },
    { path: PULL_FILES.inventory, content: toAnsibleYaml(inventory, header, { quoteStrings: true }) },
    { path: PULL_FILES.playbook, content: toAnsibleYaml(pullPlaybook(), header) },
    { path: PULL_FILES.textfile, content: textfileTemplate(input.version) },
  ];
  return files.sort((a, b) => compareText(a.path, b.path));
}
