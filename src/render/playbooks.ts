import { KEY_RANGE, KEY_RESERVED, readScript } from '../ansible/scripts.js';
import { wholeWriteScript, WRITTEN_MARK } from '../ansible/whole-write.js';
import type { AnsibleSettings } from '../policy/types.js';
import { ONE_WRITE_LIMIT } from '../ports/write-limit.js';
import { APPLY_ACTION, APPLY_STEP } from './apply-plugin.js';
import { clearRuntimeScript, WHEN_NOT_EMPTY } from './empty-set.js';
import { HEADER_LINE } from './header.js';

/** Task names are part of the contract between the playbooks and the result parser. */
export const TASK = {
  readState: 'fleet read state',
  /** The apply play's one task (the plugin): its stdout is the read-back. */
  apply: 'fleet apply and read back',
  setSysctl: APPLY_STEP.setSysctl,
  writeWhole: APPLY_STEP.writeWhole,
  readBack: APPLY_STEP.readBack,
} as const;

export const TARGET_GROUP = 'fleet_targets';

/** become for a play: changes use the policy's become; reads only when it says `reads: true`. */
function becomeKeys(ansible: AnsibleSettings, writes: boolean): Record<string, unknown> {
  const b = ansible.become;
  if (b === false || (!writes && !b.reads)) return { become: false };
  return { become: true, ...(b.method ? { become_method: b.method } : {}), ...(b.user ? { become_user: b.user } : {}) };
}

function playHeader(name: string, ansible: AnsibleSettings, rolling: boolean): Record<string, unknown> {
  return {
    name,
    hosts: TARGET_GROUP,
    gather_facts: false,
    ...becomeKeys(ansible, rolling),
    ...(rolling && ansible.serial !== undefined ? { serial: ansible.serial } : {}),
    ...(rolling && ansible.maxFailPercentage !== undefined ? { max_fail_percentage: ansible.maxFailPercentage } : {}),
  };
}

/** Read-only playbook: one raw task per host, no module upload. */
export function checkPlaybook(ansible: AnsibleSettings, audit: boolean): unknown[] {
  return [
    {
      ...playHeader('fleet check: read reserved ports', ansible, false),
      tasks: [{ name: TASK.readState, 'ansible.builtin.raw': readScript(audit), changed_when: false }],
    },
  ];
}

const longValue = `fleet_reserved_ports | length > ${ONE_WRITE_LIMIT}`;

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
    name: TASK.writeWhole,
    'ansible.builtin.shell': { cmd: wholeWriteScript, stdin: '{{ fleet_reserved_ports }}' },
    when: longValue,
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
      tasks: [
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
            read_back: readScript(false),
          },
        },
      ],
    },
  ];
}
