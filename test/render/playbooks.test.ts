import { describe, expect, it } from 'vitest';
import { KEY_RANGE, KEY_RESERVED, readScript } from '../../src/ansible/scripts.js';
import { wholeWriteScript, WRITTEN_MARK } from '../../src/ansible/whole-write.js';
import type { AnsibleSettings } from '../../src/policy/types.js';
import { ONE_WRITE_LIMIT } from '../../src/ports/write-limit.js';
import { applyPlaybook, checkPlaybook, TARGET_GROUP, TASK } from '../../src/render/playbooks.js';

type Task = Record<string, unknown> & { name: string };
type Play = Record<string, unknown> & { tasks: Task[] };

const rolling: AnsibleSettings = { become: { reads: false }, timeout: 10, serial: '25%', maxFailPercentage: 10 };
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
    const plain = plays(applyPlaybook({ become: { reads: false }, timeout: 10 }))[0]!;
    expect(plain).not.toHaveProperty('serial');
    expect(plain).not.toHaveProperty('max_fail_percentage');
  });

  it('runs one sysctl task, then read back; fleet judges the read-back itself (no assert task)', () => {
    expect(play!.tasks.map((t) => t.name)).toEqual([TASK.setSysctl, TASK.readBack]);
    expect(JSON.stringify(play)).not.toContain('assert');
  });

  it('sets every managed key with one ansible.posix.sysctl task (FQCN): set + persist, no reload (sysctl -p would cut a long value)', () => {
    const t = task(play!, TASK.setSysctl);
    expect(Object.keys(t).sort()).toEqual(['ansible.posix.sysctl', 'loop', 'loop_control', 'name']);
    expect(t['ansible.posix.sysctl']).toEqual({
      name: '{{ item.name }}',
      value: '{{ item.value }}',
      sysctl_file: '{{ fleet_persist_file }}',
      sysctl_set: '{{ item.set }}',
      reload: false,
      state: 'present',
    });
    expect(t.loop_control).toEqual({ label: '{{ item.name }}' });
  });

  it('loops over the reserved ports, and the range only when the host has one; sysctl -w only for values one write takes', () => {
    const loop = String(task(play!, TASK.setSysctl).loop);
    expect(loop).toBe(
      `{{ [{'name': '${KEY_RESERVED}', 'value': fleet_reserved_ports, 'set': not (fleet_reserved_ports | length > ${ONE_WRITE_LIMIT})}]` +
        ` + ([{'name': '${KEY_RANGE}', 'value': fleet_port_range, 'set': true}] if fleet_port_range is defined else []) }}`,
    );
  });

  it('adds the whole-value write only when asked: value on stdin, only on hosts whose value is longer than one write', () => {
    const [long] = plays(applyPlaybook(rolling, { wholeWrite: true }));
    expect(long!.tasks.map((t) => t.name)).toEqual([TASK.setSysctl, TASK.writeWhole, TASK.readBack]);
    const t = task(long!, TASK.writeWhole);
    expect(t['ansible.builtin.shell']).toEqual({ cmd: wholeWriteScript, stdin: '{{ fleet_reserved_ports }}' });
    expect(t.when).toBe(`fleet_reserved_ports | length > ${ONE_WRITE_LIMIT}`);
    expect(t.changed_when).toBe(`'${WRITTEN_MARK}' in fleet_whole_write.stdout`);
    // The script is constant text: no value is ever spliced into it.
    expect(wholeWriteScript).not.toContain('{{');
    expect(wholeWriteScript).toContain('iflag=fullblock');
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
    // reads do not use become unless the policy says they need it
    expect(play).toMatchObject({ name: 'fleet check: read reserved ports', hosts: TARGET_GROUP, gather_facts: false, become: false });
    expect(plays(checkPlaybook({ ...rolling, become: { reads: true, method: 'doas' } }, false))[0]).toMatchObject({ become: true, become_method: 'doas' });
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
