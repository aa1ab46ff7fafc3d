import { KEY_RANGE, KEY_RESERVED, MARK, readScript } from '../ansible/scripts.js';
import type { AnsibleSettings } from '../policy/types.js';

/** Task names are part of the contract between the playbooks and the result parser. */
export const TASK = {
  readState: 'fleet read state',
  setReserved: 'fleet set reserved ports',
  setRange: 'fleet set ephemeral port range',
  readBack: 'fleet read back',
  verify: 'fleet verify',
} as const;

export const TARGET_GROUP = 'fleet_targets';

function playHeader(name: string, ansible: AnsibleSettings, rolling: boolean): Record<string, unknown> {
  return {
    name,
    hosts: TARGET_GROUP,
    gather_facts: false,
    become: ansible.become,
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

/** Jinja expressions over the registered read-back `fleet_readback`, shared with the pull playbook. */
export const reservedLine = `fleet_readback.stdout.split('${MARK}reserved')[1].split('${MARK}')[0] | trim`;
export const rangeLine = `fleet_readback.stdout.split('${MARK}range')[1].split('${MARK}')[0] | trim | regex_replace('\\\\s+', ' ')`;

/**
 * Apply playbook: ansible.posix.sysctl with the canonical value (so a rerun
 * reports ok, not changed), persisted and reloaded from our file only, then
 * read back with sysctl -n in the same connection and fail the host on any
 * difference.
 */
export function applyPlaybook(ansible: AnsibleSettings): unknown[] {
  const sysctl = (name: string, value: string) => ({
    name,
    value,
    sysctl_file: '{{ fleet_persist_file }}',
    sysctl_set: true,
    reload: true,
    state: 'present',
  });
  return [
    {
      ...playHeader('fleet apply: reserve listen ports', ansible, true),
      tasks: [
        { name: TASK.setReserved, 'ansible.posix.sysctl': sysctl(KEY_RESERVED, '{{ fleet_reserved_ports }}') },
        { name: TASK.setRange, 'ansible.posix.sysctl': sysctl(KEY_RANGE, '{{ fleet_port_range }}'), when: 'fleet_port_range is defined' },
        { name: TASK.readBack, 'ansible.builtin.raw': readScript(false), register: 'fleet_readback', changed_when: false },
        {
          name: TASK.verify,
          'ansible.builtin.assert': {
            that: [`(${reservedLine}) == fleet_reserved_ports`, `fleet_port_range is not defined or (${rangeLine}) == fleet_port_range`],
            fail_msg: `sysctl -n ${KEY_RESERVED} reads back {{ ${reservedLine} }}, expected {{ fleet_reserved_ports }}`,
            quiet: true,
          },
        },
      ],
    },
  ];
}
