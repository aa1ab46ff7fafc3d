import { ExitCode, FleetError } from '../errors.js';
import { writeProject } from '../engine/workspace.js';
import type { PullMode } from '../policy/types.js';
import { renderProject } from '../render/project.js';
import { pullTargets, renderPullProject } from '../render/pull.js';
import { VERSION } from '../version.js';
import { printJson, warn } from './output.js';
import { sessionFor } from './targets.js';

export async function run(file: string, opts: { out: string; inventory?: string; json?: boolean; pull?: boolean; pullMode?: PullMode }): Promise<number> {
  if (opts.pullMode && !opts.pull) throw new FleetError('--pull-mode needs --pull', ExitCode.invalid);
  const s = await sessionFor(file, { ...(opts.inventory ? { inventory: opts.inventory } : {}), ...(opts.json ? { json: true } : {}) });
  const refused = s.plans.filter((p) => p.refused);
  for (const p of refused) warn(`${p.host} left out: ${p.refused}`);
  const targets = pullTargets(s.plans);
  // fleet's socket folder is for its own runs; by hand, Ansible's default applies
  const settings = s.ansible.settings.filter((x) => x.env !== 'ANSIBLE_SSH_CONTROL_PATH_DIR');
  const user = s.ansible.user.file;
  const files = opts.pull
    ? renderPullProject({ policyLabel: file, policy: s.policy, targets, version: VERSION, ...(opts.pullMode ? { mode: opts.pullMode } : {}) })
    : renderProject({ policyLabel: file, policy: s.policy, targets, settings, ...(user ? { userConfig: user } : {}), audit: false, version: VERSION });
  const written = await writeProject(opts.out, files);
  if (opts.json) printJson({ out: opts.out, files: written, hosts: targets.length, refused: refused.map((p) => p.host), outsideTargets: s.outsideTargets });
  else process.stdout.write(`${written.join('\n')}\n${targets.length} hosts rendered into ${opts.out}\n`);
  return ExitCode.ok;
}
