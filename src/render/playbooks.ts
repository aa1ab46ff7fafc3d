import { KEY_RANGE, KEY_RESERVED, readScript } from '../ansible/scripts.js';
import type { AnsibleSettings } from '../policy/types.js';
import { clearReservedTasks, WHEN_NOT_EMPTY } from './empty-set.js';
import { headerTask } from './header.js';

/** Task names are part of the contract between the playbooks and the result parser. */
export const TASK = {
  readState: 'fleet read state',
  setReserved: 'fleet set reserved ports',
  setRange: 'fleet set ephemeral port range',
  readBack: 'fleet read back',
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

/**
 * Apply playbook: ansible.posix.sysctl with the canonical value (so a rerun
 * reports ok, not changed), persisted and reloaded from our file only, then
 * read back in the same connection. fleet judges the read-back itself (the
 * same parser and boot model as check), so the playbook has no assert.
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
        { name: TASK.setReserved, 'ansible.posix.sysctl': sysctl(KEY_RESERVED, '{{ fleet_reserved_ports }}'), when: WHEN_NOT_EMPTY, register: 'fleet_set_reserved' },
        ...clearReservedTasks(),
        { name: TASK.setRange, 'ansible.posix.sysctl': sysctl(KEY_RANGE, '{{ fleet_port_range }}'), when: 'fleet_port_range is defined', register: 'fleet_set_range' },
        headerTask(),
        { name: TASK.readBack, 'ansible.builtin.raw': readScript(false), changed_when: false },
      ],
    },
  ];
}
