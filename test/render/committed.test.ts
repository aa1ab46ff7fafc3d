import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { loadPolicy } from '../../src/policy/index.js';
import { renderProject } from '../../src/render/project.js';
import { VERSION } from '../../src/verify/report.js';

// playbooks/*.yml are committed for review; they must be exactly what the renderer writes today.
test.each(['apply', 'check', 'run'])('playbooks/%s.yml is the rendered playbook of examples/policy.yaml', async (name) => {
  const { policy } = await loadPolicy('examples/policy.yaml');
  const files = renderProject({ policyLabel: 'examples/policy.yaml', policy, targets: [], settings: [], audit: false, version: VERSION });
  const rendered = files.find((f) => f.path === `playbooks/${name}.yml`);
  expect(rendered?.content).toBe(readFileSync(`playbooks/${name}.yml`, 'utf8'));
  expect(rendered?.content).toContain(name === 'check' ? 'ansible.builtin.raw' : 'ansible.posix.sysctl');
});
