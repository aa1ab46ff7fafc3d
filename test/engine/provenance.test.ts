import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, it } from 'vitest';
import { provenanceOf } from '../../src/engine/provenance.js';
import { loadPolicy } from '../../src/policy/index.js';
import { tempDir } from '../support/tmp.js';

const POLICY = 'version: 1\nreserved_ports: 40000\ninventory: {hosts: {a: {}}}\n';

it('operator user@controller, policy sha256 of the bytes, git commit and dirtiness of the policy folder', async () => {
  const dir = tempDir('prov');
  const file = join(dir, 'policy.yaml');
  writeFileSync(file, POLICY);
  const { policy } = await loadPolicy(file);
  expect(policy.sha256).toBe(createHash('sha256').update(POLICY).digest('hex'));

  const outside = await provenanceOf(policy);
  expect(outside.operator).toMatch(/^[^@\s]+@[^@\s]+$/);
  expect(outside.policySha256).toBe(policy.sha256);
  expect(outside.git).toBeUndefined();

  const git = (...args: string[]) => execa('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args]);
  await git('init', '-q');
  await git('add', 'policy.yaml');
  await git('commit', '-qm', 'policy');
  const head = (await git('rev-parse', 'HEAD')).stdout.trim();
  expect((await provenanceOf(policy)).git).toEqual({ commit: head, dirty: false });
  writeFileSync(file, `${POLICY}# edited\n`);
  expect((await provenanceOf(policy)).git).toEqual({ commit: head, dirty: true });
});
