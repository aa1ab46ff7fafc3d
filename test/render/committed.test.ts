import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { loadPolicy } from '../../src/policy/index.js';
import { renderProject } from '../../src/render/project.js';
import { VERSION } from '../../src/verify/report.js';

// playbooks/ (the playbooks, the apply plugin, the filter plugin and the callback plugin next to them) is committed for review; it must be exactly what the renderer writes today.
const COMMITTED = ['action_plugins/fleet_apply.py', 'apply.yml', 'callback_plugins/fleet.py', 'check.yml', 'filter_plugins/fleet.py', 'run.yml'];
const MARK: Record<string, string> = {
  'apply.yml': 'fleet_apply:',
  'check.yml': 'ansible.builtin.raw',
  'run.yml': 'fleet_apply:',
  'action_plugins/fleet_apply.py': 'ansible.posix.sysctl',
  'filter_plugins/fleet.py': 'fleet_shard',
  'callback_plugins/fleet.py': 'fleet_report_targets',
};
test.each(COMMITTED)('playbooks/%s is rendered from examples/policy.yaml', async (name) => {
  const { policy } = await loadPolicy('examples/policy.yaml');
  const files = renderProject({ policyLabel: 'examples/policy.yaml', policy, targets: [], settings: [], audit: false, version: VERSION });
  const rendered = files.find((f) => f.path === `playbooks/${name}`);
  expect(rendered?.content).toBe(readFileSync(`playbooks/${name}`, 'utf8'));
  expect(rendered?.content).toContain(MARK[name]);
});

test('every rendered file under playbooks/ is committed', async () => {
  const { policy } = await loadPolicy('examples/policy.yaml');
  const files = renderProject({ policyLabel: 'examples/policy.yaml', policy, targets: [], settings: [], audit: false, version: VERSION });
  expect(files.filter((f) => f.path.startsWith('playbooks/')).map((f) => f.path)).toEqual(COMMITTED.map((n) => `playbooks/${n}`));
});
