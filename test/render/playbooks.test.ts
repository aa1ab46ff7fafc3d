import { describe, expect, it } from 'vitest';
import { KEY_RANGE, KEY_RESERVED, readScript } from '../../src/ansible/scripts.js';
import type { AnsibleSettings } from '../../src/policy/types.js';
import { CLEAR_TASK } from '../../src/render/empty-set.js';
import { HEADER_TASK } from '../../src/render/header.js';
import { applyPlaybook, checkPlaybook, TARGET_GROUP, TASK } from '../../src/render/playbooks.js';

type Task = Record<string, unknown> & { name: string };
type Play = Record<string, unknown> & { tasks: Task[] };

const rolling: AnsibleSettings = { become: true, timeout: 10, serial: '25%', maxFailPercentage: 10 };
const plays = (p: unknown[]) => p as Play[];
const task = (play: Play, name: string) => {
  const t = play.tasks.find((x) => x.name === name);
  if (!t) throw new Error(`no task ${name}`);
  return t;
};

describe('applyPlaybook', () => {
  const [play, ...rest] = plays(applyPlaybook(rolling));

  it('is one play on the fleet targets, no fact gathering, become from the policy', () => {
    expect(rest).toEqual([]);
    expect(play).toMatchObject({ name: 'fleet apply: reserve listen ports', hosts: TARGET_GROUP, gather_facts: false, become: true });
    expect(plays(applyPlaybook({ become: false, timeout: 10 }))[0]!.become).toBe(false);
  });

  it('rolls out in batches with serial and max_fail_percentage', () => {
    expect(play!.serial).toBe('25%');
    expect(play!.max_fail_percentage).toBe(10);
    const plain = plays(applyPlaybook({ become: true, timeout: 10 }))[0]!;
    expect(plain).not.toHaveProperty('serial');
    expect(plain).not.toHaveProperty('max_fail_percentage');
  });

  it('runs set (or clear, for an empty set), set range, header stamp, read back in that order; fleet judges the read-back itself (no assert task)', () => {
    expect(play!.tasks.map((t) => t.name)).toEqual([TASK.setReserved, CLEAR_TASK.persist, CLEAR_TASK.runtime, TASK.setRange, HEADER_TASK, TASK.readBack]);
    expect(JSON.stringify(play)).not.toContain('assert');
  });

  it('stamps the persisted file (version, policy sha256, time) only when a write task changed the host', () => {
    const t = task(play!, HEADER_TASK);
    expect(t['ansible.builtin.lineinfile']).toMatchObject({ path: '{{ fleet_persist_file }}', insertbefore: 'BOF', regexp: '^# Managed by fleet ' });
    expect(String((t['ansible.builtin.lineinfile'] as { line: string }).line)).toMatch(/fleet_version.*fleet_policy_sha256.*now\(utc=true\)/);
    expect(t.when).toBe('(fleet_set_reserved is changed) or (fleet_set_range is changed) or (fleet_clear_reserved_file is changed) or (fleet_clear_reserved is changed)');
    for (const [name, reg] of [[TASK.setReserved, 'fleet_set_reserved'], [TASK.setRange, 'fleet_set_range'], [CLEAR_TASK.persist, 'fleet_clear_reserved_file'], [CLEAR_TASK.runtime, 'fleet_clear_reserved']] as const) {
      expect(task(play!, name).register, name).toBe(reg);
    }
  });

  it('an empty set skips ansible.posix.sysctl ("value cannot be blank") and clears persisted and runtime values instead', () => {
    expect(task(play!, TASK.setReserved).when).toBe("fleet_reserved_ports != ''");
    const persist = task(play!, CLEAR_TASK.persist);
    expect(persist.when).toBe("fleet_reserved_ports == ''");
    expect(persist['ansible.builtin.lineinfile']).toMatchObject({ path: '{{ fleet_persist_file }}', line: `${KEY_RESERVED}=`, create: true });
    const runtime = task(play!, CLEAR_TASK.runtime);
    expect(runtime.when).toBe("fleet_reserved_ports == ''");
    expect(runtime['ansible.builtin.raw']).toContain(`sysctl -w ${KEY_RESERVED}=`);
  });

  it('sets the reserved ports with ansible.posix.sysctl (FQCN), set + persist + reload', () => {
    const t = task(play!, TASK.setReserved);
    expect(Object.keys(t).sort()).toEqual(['ansible.posix.sysctl', 'name', 'register', 'when']);
    expect(t['ansible.posix.sysctl']).toEqual({
      name: KEY_RESERVED,
      value: '{{ fleet_reserved_ports }}',
      sysctl_file: '{{ fleet_persist_file }}',
      sysctl_set: true,
      reload: true,
      state: 'present',
    });
  });

  it('sets the ephemeral range only when the host has one', () => {
    const t = task(play!, TASK.setRange);
    expect(t.when).toBe('fleet_port_range is defined');
    expect(t['ansible.posix.sysctl']).toMatchObject({ name: KEY_RANGE, value: '{{ fleet_port_range }}', sysctl_file: '{{ fleet_persist_file }}', sysctl_set: true, reload: true, state: 'present' });
  });

  it('reads back with raw (no module upload), never "changed"', () => {
    const t = task(play!, TASK.readBack);
    expect(t['ansible.builtin.raw']).toBe(readScript(false));
    expect(t.changed_when).toBe(false);
  });
});

describe('checkPlaybook', () => {
  it('is one read-only raw task, no serial even when the policy rolls', () => {
    const [play, ...rest] = plays(checkPlaybook(rolling, false));
    expect(rest).toEqual([]);
    expect(play).toMatchObject({ name: 'fleet check: read reserved ports', hosts: TARGET_GROUP, gather_facts: false, become: true });
    expect(play).not.toHaveProperty('serial');
    expect(play).not.toHaveProperty('max_fail_percentage');
    expect(play!.tasks).toEqual([{ name: TASK.readState, 'ansible.builtin.raw': readScript(false), changed_when: false }]);
  });

  it('lists sockets only with audit', () => {
    expect(plays(checkPlaybook(rolling, true))[0]!.tasks[0]!['ansible.builtin.raw']).toBe(readScript(true));
    expect(String(plays(checkPlaybook(rolling, true))[0]!.tasks[0]!['ansible.builtin.raw'])).toContain('ss -H -ntuap');
  });

  it('never uses a module that writes', () => {
    const text = JSON.stringify(checkPlaybook(rolling, true));
    expect(text).not.toContain('sysctl"');
    expect(text).not.toContain('ansible.posix');
    expect(text).not.toMatch(/sysctl -w|sysctl -p/);
  });
});
