/**
 * The read's targets report (ansible_play_hosts_all + Ansible's `groups`)
 * gives each targeted host the same groups as `ansible-inventory --list`
 * did: children included, `all`/`ungrouped` left out.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseEventLine } from '../../src/ansible/events.js';
import { parseTargetsReport, reportedInventory, type TargetsReport } from '../../src/inventory/reported.js';
import { checkPlaybook, TASK } from '../../src/render/playbooks.js';
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

  it('parses only a report-shaped debug result', () => {
    expect(parseTargetsReport({ msg: { hosts: ['a'], groups: { all: ['a'] } } })).toEqual({ hosts: ['a'], groups: { all: ['a'] } });
    expect(parseTargetsReport({ msg: 'hello' })).toBeUndefined();
    expect(parseTargetsReport(undefined)).toBeUndefined();
  });
});

describe.skipIf(!HAS_ANSIBLE)('the targets report from a real ansible-playbook run', () => {
  async function reportOf(pattern: string, limit?: string): Promise<TargetsReport | undefined> {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-reported-'));
    const [play] = checkPlaybook({ become: false, timeout: 10 }, false, { pattern }, { persistFile: '/x', version: '0' }) as { tasks: { name: string }[] }[];
    // the report task alone: it runs on the controller and connects to no host
    writeFileSync(join(dir, 'pb.yml'), stringify([{ ...play, tasks: play!.tasks.filter((t) => t.name === TASK.targets) }]));
    const r = await execa('ansible-playbook', [join(dir, 'pb.yml'), '-i', fixture('deep-tree.yml'), ...(limit ? ['--limit', limit] : [])], {
      env: { ...quietAnsible, ANSIBLE_STDOUT_CALLBACK: 'ansible.posix.jsonl' },
      cwd: dir,
      reject: false,
    });
    for (const line of r.stdout.split('\n')) {
      const ev = parseEventLine(line);
      if (ev?.kind === 'ok' && ev.task === TASK.targets) return parseTargetsReport(ev.result);
    }
    return undefined;
  }

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
});
