import { describe, expect, it } from 'vitest';
import { KEY_RANGE, KEY_RESERVED, readScript } from '../../src/ansible/scripts.js';
import { wholeWriteScript, WRITTEN_MARK } from '../../src/ansible/whole-write.js';
import type { AnsibleSettings } from '../../src/policy/types.js';
import { ONE_WRITE_LIMIT } from '../../src/ports/write-limit.js';
import { CLEAR_TASK } from '../../src/render/empty-set.js';
import { HEADER_TASK, OWNED_TASK } from '../../src/render/header.js';
import { APPLY_GROUP, applyPlaybook, applyTasks, checkPlaybook, DECISION_VARS, readApplyPlaybook, TARGET_GROUP, TASK } from '../../src/render/playbooks.js';

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

  it('runs one sysctl task (set + persist), the clear tasks for an empty set, the header stamp, then read back; fleet judges the read-back itself (no assert task)', () => {
    expect(play!.tasks.map((t) => t.name)).toEqual([TASK.setSysctl, CLEAR_TASK.persist, CLEAR_TASK.runtime, OWNED_TASK, HEADER_TASK, TASK.readBack]);
    expect(JSON.stringify(play)).not.toContain('assert');
  });

  it('stamps the persisted file (version, policy sha256, time) only when a write task changed the host', () => {
    const t = task(play!, HEADER_TASK);
    expect(t['ansible.builtin.lineinfile']).toMatchObject({ path: '{{ fleet_persist_file }}', insertbefore: 'BOF', regexp: '^# Managed by fleet ' });
    expect(String((t['ansible.builtin.lineinfile'] as { line: string }).line)).toMatch(/fleet_version.*fleet_policy_sha256.*now\(utc=true\)/);
    expect(t.when).toBe(['fleet_set_sysctl', 'fleet_whole_write', 'fleet_clear_reserved_file', 'fleet_clear_reserved', 'fleet_owned'].map((r) => `(${r} is defined and ${r} is changed)`).join(' or '));
    for (const [name, reg] of [[TASK.setSysctl, 'fleet_set_sysctl'], [CLEAR_TASK.persist, 'fleet_clear_reserved_file'], [CLEAR_TASK.runtime, 'fleet_clear_reserved']] as const) {
      expect(task(play!, name).register, name).toBe(reg);
    }
    const [long] = plays(applyPlaybook(rolling, { wholeWrite: true }));
    expect(task(long!, TASK.writeWhole).register).toBe('fleet_whole_write');
  });

  it('records the ports fleet owns (additive hosts only, issue 12) before the first line, idempotently, and stamps the header when it changes', () => {
    const t = task(play!, OWNED_TASK);
    expect(t['ansible.builtin.lineinfile']).toMatchObject({ path: '{{ fleet_persist_file }}', insertbefore: 'BOF', regexp: '^# fleet owns:', line: '{{ fleet_owned_line }}' });
    expect(t.when).toBe('fleet_owned_line is defined');
    expect(t.register).toBe('fleet_owned');
  });

  it('an empty set skips ansible.posix.sysctl ("value cannot be blank") and clears persisted and runtime values instead', () => {
    expect(String(task(play!, TASK.setSysctl).loop)).toContain("if fleet_reserved_ports != '' else []");
    const persist = task(play!, CLEAR_TASK.persist);
    expect(persist.when).toBe("fleet_reserved_ports == ''");
    expect(persist['ansible.builtin.lineinfile']).toMatchObject({ path: '{{ fleet_persist_file }}', line: `${KEY_RESERVED}=`, create: true });
    const runtime = task(play!, CLEAR_TASK.runtime);
    expect(runtime.when).toBe("fleet_reserved_ports == ''");
    expect(runtime['ansible.builtin.raw']).toContain(`sysctl -w ${KEY_RESERVED}=`);
  });

  it('sets every managed key with one ansible.posix.sysctl task (FQCN): set + persist, no reload (sysctl -p would cut a long value)', () => {
    const t = task(play!, TASK.setSysctl);
    expect(Object.keys(t).sort()).toEqual(['ansible.posix.sysctl', 'loop', 'loop_control', 'name', 'register']);
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
      `{{ ([{'name': '${KEY_RESERVED}', 'value': fleet_reserved_ports, 'set': not (fleet_reserved_ports | length > ${ONE_WRITE_LIMIT})}] if fleet_reserved_ports != '' else [])` +
        ` + ([{'name': '${KEY_RANGE}', 'value': fleet_port_range, 'set': true}] if fleet_port_range is defined else []) }}`,
    );
  });

  it('adds the whole-value write only when asked: value on stdin, only on hosts whose value is longer than one write', () => {
    const [long] = plays(applyPlaybook(rolling, { wholeWrite: true }));
    expect(long!.tasks.map((t) => t.name)).toEqual([TASK.setSysctl, TASK.writeWhole, CLEAR_TASK.persist, CLEAR_TASK.runtime, OWNED_TASK, HEADER_TASK, TASK.readBack]);
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

const values = { persistFile: '/etc/sysctl.d/90-fleet.conf', version: '0.1.0' };
const all = { pattern: 'all' };

describe('checkPlaybook', () => {
  it('reports its targets once, then one read-only raw task; no serial even when the policy rolls', () => {
    const [play, ...rest] = plays(checkPlaybook(rolling, false, all, values));
    expect(rest).toEqual([]);
    // reads do not use become unless the policy says they need it
    expect(play).toMatchObject({ name: 'fleet check: read reserved ports', hosts: 'all', gather_facts: false, become: false, vars: { fleet_persist_file: values.persistFile } });
    expect(plays(checkPlaybook({ ...rolling, become: { reads: true, method: 'doas' } }, false, all, values))[0]).toMatchObject({ become: true, become_method: 'doas' });
    expect(play).not.toHaveProperty('serial');
    expect(play).not.toHaveProperty('max_fail_percentage');
    expect(play!.tasks).toEqual([
      { name: TASK.targets, 'ansible.builtin.debug': { msg: { hosts: '{{ ansible_play_hosts_all }}', groups: '{{ groups }}' } }, run_once: true },
      { name: TASK.readState, 'ansible.builtin.raw': readScript(false), changed_when: false },
    ]);
  });

  it("targets the policy's pattern over the user's inventory, not a per-host group", () => {
    expect(plays(checkPlaybook(rolling, false, { pattern: 'all:!winhosts' }, values))[0]!.hosts).toBe('all:!winhosts');
    expect(JSON.stringify(checkPlaybook(rolling, false, all, values))).not.toContain('hostvars');
  });

  it('--shard ends the other shards\' hosts before the read, with the fleet_shard filter', () => {
    const tasks = plays(checkPlaybook(rolling, false, { pattern: 'all', shard: { index: 2, count: 4 } }, values))[0]!.tasks;
    expect(tasks.map((t) => t.name)).toEqual([TASK.targets, TASK.shard, TASK.readState]);
    expect(task(plays(checkPlaybook(rolling, false, { pattern: 'all', shard: { index: 2, count: 4 } }, values))[0]!, TASK.shard)).toEqual({
      name: TASK.shard,
      'ansible.builtin.meta': 'end_host',
      when: '(inventory_hostname | fleet_shard(4)) != 1',
    });
  });

  it('lists sockets only with audit', () => {
    expect(task(plays(checkPlaybook(rolling, true, all, values))[0]!, TASK.readState)['ansible.builtin.raw']).toBe(readScript(true));
    expect(String(task(plays(checkPlaybook(rolling, true, all, values))[0]!, TASK.readState)['ansible.builtin.raw'])).toContain('ss -H -ntuap');
  });

  it('never uses a module that writes', () => {
    const text = JSON.stringify(checkPlaybook(rolling, true, { pattern: 'all', shard: { index: 1, count: 2 } }, values));
    expect(text).not.toContain('sysctl"');
    expect(text).not.toContain('ansible.posix');
    expect(text).not.toMatch(/sysctl -w|sysctl -p/);
  });
});

describe('readApplyPlaybook', () => {
  const [read, write, ...rest] = plays(readApplyPlaybook(rolling, false, { pattern: 'web' }, values));

  it('play 1 reads like check, then waits once for the decision and groups the chosen hosts', () => {
    expect(rest).toEqual([]);
    expect(read).toMatchObject({ hosts: 'web', become: false });
    expect(read).not.toHaveProperty('serial');
    expect(read!.tasks.map((t) => t.name)).toEqual([TASK.targets, TASK.readState, TASK.awaitPlan, TASK.takePlan, TASK.selectHosts]);
    expect(task(read!, TASK.awaitPlan)).toMatchObject({ run_once: true });
    expect(String(JSON.stringify(task(read!, TASK.awaitPlan)))).toContain(`${DECISION_VARS.file} | fleet_await(${DECISION_VARS.pid})`);
    expect(task(read!, TASK.selectHosts)).toMatchObject({ 'ansible.builtin.group_by': { key: APPLY_GROUP }, changed_when: false });
  });

  it('play 2 is the apply tasks, unchanged, on the chosen group with the policy\'s rolling settings', () => {
    expect(write).toMatchObject({ hosts: APPLY_GROUP, order: 'sorted', serial: '25%', max_fail_percentage: 10, become: true, vars: { fleet_persist_file: values.persistFile } });
    expect(write!.tasks).toEqual(applyTasks({ wholeWrite: true }));
  });
});
