/**
 * The read's targets report (fleet's callback plugin: the play's hosts as
 * ansible_play_hosts_all + Ansible's `groups`) gives each targeted host the
 * same groups as `ansible-inventory --list` did: children included,
 * `all`/`ungrouped` left out. The same plugin's start gate is tested here too.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CONTROLLER, parseEventLine } from '../../src/ansible/events.js';
import { parseTargetsReport, reportedInventory, type TargetsReport } from '../../src/inventory/reported.js';
import { callbackPlugin } from '../../src/render/callback-plugin.js';
import { checkPlaybook } from '../../src/render/playbooks.js';
import { onPath, quietAnsible } from '../support/tools.js';
import { DEEP_TREE_GROUPS } from '../fixtures/inventory/deep-tree.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/inventory/${name}`, import.meta.url));
const HAS_ANSIBLE = await onPath('ansible-playbook');

describe('reportedInventory', () => {
  const report: TargetsReport = {
    hosts: ['b', 'a'],
    groups: { all: ['a', 'b', 'c'], ungrouped: ['c'], web: ['a', 'b'], web_eu: ['a'], db: ['c'], empty: [] },
  };

  it('gives the targeted hosts only, sorted, each with its groups (no all/ungrouped)', () => {
    const { inventory, allHosts } = reportedInventory(report, 'inv.yml');
    expect(inventory.hosts).toEqual([
      { name: 'a', groups: ['web', 'web_eu'], vars: {} },
      { name: 'b', groups: ['web'], vars: {} },
    ]);
    expect(inventory.groups).toEqual(['db', 'empty', 'web', 'web_eu']);
    expect(allHosts).toEqual(['a', 'b', 'c']);
  });

  it('parses only a report-shaped event', () => {
    expect(parseTargetsReport({ _event: 'fleet_report_targets', hosts: ['a'], groups: { all: ['a'] } })).toEqual({ hosts: ['a'], groups: { all: ['a'] } });
    expect(parseTargetsReport({ _event: 'fleet_report_targets', error: 'KeyError: x' })).toBeUndefined();
    expect(parseTargetsReport({ hosts: 'a', groups: {} })).toBeUndefined();
    expect(parseTargetsReport(undefined)).toBeUndefined();
  });
});

describe.skipIf(!HAS_ANSIBLE)("the targets report from a real ansible-playbook run (fleet's callback plugin)", () => {
  /**
   * The check play over the deep-tree inventory with fleet's callback next to
   * it. Its one task is a debug of what Ansible itself computes
   * (ansible_play_hosts_all, groups), run once on the controller: no host is contacted.
   */
  async function run(pattern: string, limit: string | undefined, env: Record<string, string>, input: string | undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-reported-'));
    const [play] = checkPlaybook({ become: false, timeout: 10 }, false, { pattern }, { persistFile: '/x', version: '0' }) as Record<string, unknown>[];
    const ansibleSays = {
      name: 'what Ansible computes',
      'ansible.builtin.debug': { msg: { hosts: '{{ ansible_play_hosts_all }}', groups: '{{ groups }}' } },
      run_once: true,
    };
    writeFileSync(join(dir, 'pb.yml'), stringify([{ ...play, tasks: [ansibleSays] }]));
    mkdirSync(join(dir, 'callback_plugins'));
    writeFileSync(join(dir, 'callback_plugins', 'fleet.py'), callbackPlugin('test'));
    const r = await execa('ansible-playbook', [join(dir, 'pb.yml'), '-i', fixture('deep-tree.yml'), ...(limit ? ['--limit', limit] : [])], {
      env: { ...quietAnsible, ANSIBLE_STDOUT_CALLBACK: 'ansible.posix.jsonl', ...env },
      cwd: dir,
      reject: false,
      ...(input === undefined ? { stdin: 'ignore' as const } : { input }),
    });
    const events = r.stdout.split('\n').flatMap((l) => parseEventLine(l) ?? []);
    const reported = events.find((e) => e.kind === 'targets');
    const computed = events.find((e) => e.kind === 'ok' && e.task === ansibleSays.name)?.result?.msg as Record<string, unknown> | undefined;
    return { r, events, report: reported ? parseTargetsReport(reported.result) : undefined, computed: computed ? parseTargetsReport(computed) : undefined };
  }
  const reportOf = async (pattern: string, limit?: string) => (await run(pattern, limit, { FLEET_RUN: '1' }, 'go\n')).report;

  it('all: every host with the groups ansible-inventory gives it, children included', async () => {
    const report = await reportOf('all');
    const { inventory } = reportedInventory(report!, 'deep-tree.yml');
    expect(Object.fromEntries(inventory.hosts.map((h) => [h.name, h.groups]))).toEqual(DEEP_TREE_GROUPS);
  });

  it('a pattern and a --limit narrow the targeted hosts; `groups` still names the whole inventory', async () => {
    const report = await reportOf('prod:!db', 'web_eu');
    expect(report!.hosts.sort()).toEqual(['web-eu-1', 'web-eu-2']);
    const { inventory, allHosts } = reportedInventory(report!, 'deep-tree.yml');
    expect(inventory.hosts.map((h) => h.name)).toEqual(['web-eu-1', 'web-eu-2']);
    expect(allHosts.sort()).toEqual(Object.keys(DEEP_TREE_GROUPS).sort());
  });

  it.each([
    ['all', undefined],
    ['prod:!db', 'web_eu'],
    ['prod:&web', undefined],
    ['all', 'db*:web-us-1'],
  ])('reports what Ansible computes: hosts %s, --limit %s', async (pattern, limit) => {
    const { report, computed, r } = await run(pattern, limit, { FLEET_RUN: '1' }, 'go\n');
    expect(r.exitCode).toBe(0);
    expect(report).toBeDefined();
    expect({ hosts: [...report!.hosts].sort(), groups: report!.groups }).toEqual({ hosts: [...computed!.hosts].sort(), groups: computed!.groups });
  });

  it('reports nothing when the pattern matches no host (Ansible says so itself)', async () => {
    const { report, r } = await run('nosuchgroup', undefined, { FLEET_RUN: '1' }, 'go\n');
    expect(report).toBeUndefined();
    expect(r.exitCode).toBe(0);
  });

  it('does nothing in a run by hand: no report, no gate', async () => {
    const { report, computed, r } = await run('all', undefined, {}, undefined);
    expect(r.exitCode).toBe(0);
    expect(report).toBeUndefined();
    expect(computed).toBeDefined();
  });

  it.each([
    ['end of file (the fleet process is gone)', ''],
    ['another line', 'no\n'],
    ['no input at all', undefined],
  ])('the start gate: %s ends the run before any play or task', async (_, input) => {
    const { r, events } = await run('all', undefined, { FLEET_RUN: '1' }, input);
    expect(r.exitCode).toBe(CONTROLLER.gateClosedExit);
    expect(r.stderr).toContain('no host was contacted');
    expect(events.filter((e) => e.kind !== 'other')).toEqual([]);
  });
});
