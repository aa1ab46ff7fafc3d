import { KEY_RANGE, KEY_RESERVED, readScript } from '../ansible/scripts.js';
import { stampScript } from '../ansible/stamp.js';
import { wholeWriteScript, WRITTEN_MARK } from '../ansible/whole-write.js';
import type { AnsibleSettings } from '../policy/types.js';
import { ONE_WRITE_LIMIT } from '../ports/write-limit.js';
import { APPLY_ACTION, APPLY_STEP } from './apply-plugin.js';
import { clearRuntimeScript, WHEN_NOT_EMPTY } from './empty-set.js';
import { OWNED_PREFIX } from '../verify/owned.js';
import { HEADER_LINE, HEADER_PREFIX } from './header.js';

/** Task names are part of the contract between the playbooks and the result parser. */
export const TASK = {
  readState: 'fleet read state',
  /** The apply play's one task (the plugin): its stdout is the read-back. */
  apply: 'fleet apply and read back',
  setSysctl: APPLY_STEP.setSysctl,
  writeWhole: APPLY_STEP.writeWhole,
  readBack: APPLY_STEP.readBack,
  shard: 'fleet leave hosts of other shards',
  /** Read-then-apply runs: where Ansible waits for fleet's plan (and confirmation). */
  awaitPlan: 'fleet wait for the plan',
  /** Nothing chosen (declined, or every host compliant): the read play ends there, no task per host. */
  nothingChosen: 'fleet end: nothing to change',
  /** Hosts fleet did not choose leave the read play before group_by (a meta task: no worker per host). */
  leaveUnchosen: 'fleet leave hosts with nothing to change',
  selectHosts: 'fleet select the hosts to change',
} as const;

export const TARGET_GROUP = 'fleet_targets';
/** The group a read-then-apply run puts the hosts to change in (with group_by: no host name is parsed again). */
export const APPLY_GROUP = 'fleet_apply_now';

/** Which hosts a read covers: the policy's `targets` pattern (Ansible's --limit is passed on the command line) and a shard. */
export interface ReadScope {
  pattern: string;
  shard?: { index: number; count: number };
}

/** Values every host of a read or apply uses, as play variables (no per-host inventory). */
export interface PlayValues {
  persistFile: string;
  version: string;
  sha256?: string;
}

/** The extra variables a read-then-apply run gets on its command line. */
export const DECISION_VARS = { file: 'fleet_decision_file', dir: 'fleet_decision_dir', pid: 'fleet_controller_pid' } as const;

/** become for a play: changes use the policy's become; reads only when it says `reads: true`. */
function becomeKeys(ansible: AnsibleSettings, writes: boolean): Record<string, unknown> {
  const b = ansible.become;
  if (b === false || (!writes && !b.reads)) return { become: false };
  return { become: true, ...(b.method ? { become_method: b.method } : {}), ...(b.user ? { become_user: b.user } : {}) };
}

function playHeader(name: string, ansible: AnsibleSettings, rolling: boolean, hosts: string = TARGET_GROUP): Record<string, unknown> {
  return {
    name,
    hosts,
    gather_facts: false,
    ...becomeKeys(ansible, rolling),
    ...(rolling && ansible.serial !== undefined ? { serial: ansible.serial } : {}),
    ...(rolling && ansible.maxFailPercentage !== undefined ? { max_fail_percentage: ansible.maxFailPercentage } : {}),
  };
}

function playVars(v: PlayValues): Record<string, string> {
  return { fleet_persist_file: v.persistFile, fleet_version: v.version, ...(v.sha256 ? { fleet_policy_sha256: v.sha256 } : {}) };
}

/**
 * The read tasks over the user's inventory: end hosts of other shards before
 * any connection, then one raw read per host. The targeted hosts and the
 * groups are reported by fleet's callback at the play's start
 * (render/callback-plugin.ts), not by a task.
 */
function readTasks(audit: boolean, scope: ReadScope): Record<string, unknown>[] {
  const shard = scope.shard
    ? [{ name: TASK.shard, 'ansible.builtin.meta': 'end_host', when: `(inventory_hostname | fleet_shard(${scope.shard.count})) != ${scope.shard.index - 1}` }]
    : [];
  return [...shard, { name: TASK.readState, 'ansible.builtin.raw': readScript(audit), changed_when: false }];
}

/** Read-only playbook: one raw task per host (after the shard's end_host), no module upload. */
export function checkPlaybook(ansible: AnsibleSettings, audit: boolean, scope: ReadScope, values: PlayValues): unknown[] {
  return [
    {
      ...playHeader('fleet check: read reserved ports', ansible, false, scope.pattern),
      vars: { fleet_persist_file: values.persistFile },
      tasks: readTasks(audit, scope),
    },
  ];
}

/**
 * Read, plan and apply in one ansible-playbook process (one inventory parse).
 * Play 1 reads like check, then waits (run once, on the controller) for the
 * decision fleet writes after its plan and confirmation: one small file per
 * host to change, with its values (fleet_decided reads the host's own file,
 * so nothing per host grows with the fleet). Play 2 targets the chosen hosts
 * by name when every name is plain and no group has it (no task per host in
 * between); otherwise group_by puts them in APPLY_GROUP. Play 2 takes each
 * host's values from its file and runs the apply task with the policy's
 * rolling settings.
 */
export function readApplyPlaybook(ansible: AnsibleSettings, audit: boolean, scope: ReadScope, values: PlayValues): unknown[] {
  // One small file per chosen host, read by the fleet_decided filter: no task templates the whole decision per host.
  const chosen = `(inventory_hostname | fleet_decided(${DECISION_VARS.dir})) is not none`;
  const decided = 'fleet_decided_here';
  const optional = (key: string) => `{{ ${decided}.${key} if '${key}' in ${decided} else omit }}`;
  return [
    {
      ...playHeader('fleet apply: read reserved ports', ansible, false, scope.pattern),
      vars: playVars(values),
      tasks: [
        ...readTasks(audit, scope),
        {
          name: TASK.awaitPlan,
          'ansible.builtin.set_fact': { fleet_decision: `{{ ${DECISION_VARS.file} | fleet_await(${DECISION_VARS.pid}) }}` },
          run_once: true,
        },
        // meta tasks run in Ansible's main process: ending here costs no worker fork per host. The play
        // ends when nothing is chosen, and when play 2 can name the chosen hosts itself (plain names:
        // fleet's decision lists them); only other names need group_by
        { name: TASK.nothingChosen, 'ansible.builtin.meta': 'end_play', when: 'fleet_decision.hosts | int == 0 or fleet_decision.pattern is not string' },
        { name: TASK.leaveUnchosen, 'ansible.builtin.meta': 'end_host', when: `not (${chosen})` },
        { name: TASK.selectHosts, 'ansible.builtin.group_by': { key: APPLY_GROUP }, changed_when: false },
      ],
    },
    {
      // the chosen hosts by name, or the group group_by made (fleet_apply_hosts reads fleet's decision)
      ...playHeader('fleet apply: reserve listen ports', ansible, true, `{{ ${DECISION_VARS.file} | fleet_apply_hosts }}`),
      // batches go by name, whatever the order of the reads
      order: 'sorted',
      vars: {
        ...playVars(values),
        [decided]: `{{ inventory_hostname | fleet_decided(${DECISION_VARS.dir}) }}`,
        fleet_reserved_ports: `{{ ${decided}.fleet_reserved_ports }}`,
        fleet_port_range: optional('fleet_port_range'),
        fleet_owned_line: optional('fleet_owned_line'),
      },
      tasks: applyTasks(),
    },
  ];
}

/** A Jinja test: the reserved value in `variable` is longer than one kernel write takes. */
const longerThanOneWrite = (variable: string) => `${variable} | length > ${ONE_WRITE_LIMIT}`;
const longValue = longerThanOneWrite('fleet_reserved_ports');

/**
 * The task that writes the reserved value in `variable` whole (ansible/whole-write.ts, the
 * value on stdin), run only when it is longer than one kernel write: apply (pull mode) and
 * rollback render it, each over its own variable.
 */
export function wholeWriteTask(name: string, variable: string): Record<string, unknown> {
  return { name, 'ansible.builtin.shell': { cmd: wholeWriteScript, stdin: `{{ ${variable} }}` }, when: longerThanOneWrite(variable) };
}

/**
 * The write tasks. One ansible.posix.sysctl task loops over the keys the host
 * manages (the range only when the policy sets one), with the canonical value
 * so a rerun reports ok, and persists them in our file. No reload: with
 * sysctl_set the module already writes the runtime value, and `sysctl -p`
 * would cut a long one. A reserved value longer than one kernel write is only
 * persisted by the module (its `sysctl -w` would cut it, exit 0); the next
 * task writes it whole, and is rendered only when some host needs it. An
 * empty reserved value (exact mode retiring the reservation) is left to the
 * clear tasks: the module refuses a blank value.
 */
export function writeTasks(wholeWrite: boolean): Record<string, unknown>[] {
  const items =
    `([{'name': '${KEY_RESERVED}', 'value': fleet_reserved_ports, 'set': not (${longValue})}] if ${WHEN_NOT_EMPTY} else [])` +
    ` + ([{'name': '${KEY_RANGE}', 'value': fleet_port_range, 'set': true}] if fleet_port_range is defined else [])`;
  const set = {
    name: TASK.setSysctl,
    'ansible.posix.sysctl': {
      name: '{{ item.name }}',
      value: '{{ item.value }}',
      sysctl_file: '{{ fleet_persist_file }}',
      sysctl_set: '{{ item.set }}',
      reload: false,
      state: 'present',
    },
    loop: `{{ ${items} }}`,
    loop_control: { label: '{{ item.name }}' },
    register: 'fleet_set_sysctl',
  };
  if (!wholeWrite) return [set];
  const whole = {
    ...wholeWriteTask(TASK.writeWhole, 'fleet_reserved_ports'),
    register: 'fleet_whole_write',
    changed_when: `'${WRITTEN_MARK}' in fleet_whole_write.stdout`,
  };
  return [set, whole];
}

/**
 * Apply playbook: ONE task per host, the apply plugin (render/apply-plugin.ts):
 * the sysctl writes, the long-value whole write, the empty-set clear, the
 * owned and header lines, then the read-back, all in the host's connection.
 * fleet judges the read-back itself (the same parser and boot model as
 * check), so the playbook has no assert. The scripts are task arguments,
 * templated by Ansible (the persisted file goes into the read-back through
 * the `quote` filter). The whole-write script is always there, so the
 * committed playbook also serves an inventory with long values.
 */
export function applyPlaybook(ansible: AnsibleSettings): unknown[] {
  return [
    {
      ...playHeader('fleet apply: reserve listen ports', ansible, true),
      tasks: applyTasks(),
    },
  ];
}

/** The apply play's tasks, one unit (apply and read-then-apply runs embed it): the plugin's one task. */
export function applyTasks(): Record<string, unknown>[] {
  return [
    {
      name: TASK.apply,
      [APPLY_ACTION]: {
        persist_file: '{{ fleet_persist_file }}',
        reserved_ports: '{{ fleet_reserved_ports }}',
        port_range: '{{ fleet_port_range | default(omit) }}',
        owned_line: '{{ fleet_owned_line | default(omit) }}',
        header_line: HEADER_LINE,
        one_write_limit: ONE_WRITE_LIMIT,
        whole_write: wholeWriteScript,
        clear_runtime: clearRuntimeScript,
        stamp: stampScript(HEADER_PREFIX, OWNED_PREFIX),
        read_back: readScript(false),
      },
    },
  ];
}
