/**
 * The rollback playbook: put back, host by host, what an apply report
 * recorded before it changed the host: the persistence file's exact content
 * (or its absence) and the runtime values of both keys, then read back in the
 * same connection like apply. The file content travels base64-encoded, so no
 * byte of it is ever seen by Jinja or a shell. A recorded reserved value
 * longer than one kernel write is written whole, in chunks, as apply writes
 * one (ansible/whole-write.ts, the value on stdin): `sysctl -w` would cut it
 * and exit 0.
 */
import { KEY_RANGE, KEY_RESERVED, readScript } from '../ansible/scripts.js';
import type { AnsibleSettings } from '../policy/types.js';
import { ONE_WRITE_LIMIT } from '../ports/write-limit.js';
import type { PriorState } from '../verify/types.js';
import { TARGET_GROUP, TASK, wholeWriteTask } from './playbooks.js';

export const ROLLBACK_PLAYBOOK = 'playbooks/rollback.yml';

export const ROLLBACK_TASK = {
  file: 'fleet restore persisted file',
  remove: 'fleet remove persisted file',
  reserved: 'fleet restore reserved ports',
  reservedWhole: 'fleet restore long reserved ports whole',
  range: 'fleet restore ephemeral port range',
} as const;

const SH = `export LC_ALL=C PATH="$PATH:/usr/sbin:/sbin"`;

export function rollbackPlaybook(ansible: AnsibleSettings): unknown[] {
  return [
    {
      name: 'fleet rollback: restore the state before an apply',
      hosts: TARGET_GROUP,
      gather_facts: false,
      become: ansible.become,
      tasks: [
        {
          name: ROLLBACK_TASK.file,
          'ansible.builtin.copy': { content: '{{ fleet_restore_content_b64 | b64decode }}', dest: '{{ fleet_persist_file }}', mode: '0644' },
          when: 'fleet_restore_content_b64 is defined',
        },
        {
          name: ROLLBACK_TASK.remove,
          'ansible.builtin.file': { path: '{{ fleet_persist_file }}', state: 'absent' },
          when: 'fleet_restore_absent | default(false)',
        },
        {
          name: ROLLBACK_TASK.reserved,
          'ansible.builtin.raw': `${SH}; sysctl -w ${KEY_RESERVED}={{ fleet_restore_reserved | quote }} >/dev/null`,
          when: `fleet_restore_reserved | length <= ${ONE_WRITE_LIMIT}`,
        },
        wholeWriteTask(ROLLBACK_TASK.reservedWhole, 'fleet_restore_reserved'),
        {
          name: ROLLBACK_TASK.range,
          'ansible.builtin.raw': `${SH}; sysctl -w ${KEY_RANGE}={{ fleet_restore_range | quote }} >/dev/null`,
          when: 'fleet_restore_range is defined',
        },
        { name: TASK.readBack, 'ansible.builtin.raw': readScript(false), changed_when: false },
      ],
    },
  ];
}

/** Host variables carrying one host's prior state into the playbook. */
export function restoreVars(prior: PriorState): Record<string, string | boolean> {
  const content = prior.content;
  return {
    fleet_persist_file: prior.file,
    fleet_restore_reserved: prior.reserved,
    ...(prior.range ? { fleet_restore_range: prior.range.replace('-', ' ') } : {}),
    ...(content === null ? { fleet_restore_absent: true } : { fleet_restore_content_b64: Buffer.from(content, 'latin1').toString('base64') }),
  };
}
