import { Option, type Command } from 'commander';
import { ExitCode, FleetError } from '../errors.js';
import { writeProject } from '../engine/workspace.js';
import type { PullMode } from '../policy/types.js';
import { renderProject } from '../render/project.js';
import { pullTargets, renderPullProject } from '../render/pull.js';
import { VERSION } from '../verify/report.js';
import { examples, printJson, sessionFor, warn } from './common.js';

export function registerRender(program: Command): void {
  program
    .command('render')
    .description('write a self-contained Ansible project (ansible.cfg, inventory with each host\'s value, playbooks) for the policy')
    .argument('<policy>', 'policy YAML file')
    .option('-o, --out <dir>', 'output folder', 'rendered')
    .option('-i, --inventory <source>', "inventory to use instead of the policy's")
    .option('--json', 'print the written files as JSON')
    .option('--pull', 'write a repository for ansible-pull instead: local.yml, inventory.yml, ansible.cfg, textfile template')
    .addOption(new Option('--pull-mode <mode>', "with --pull: enforce (apply then verify) or check (read only); default the policy's pull.mode, else enforce").choices(['enforce', 'check']))
    .addHelpText(
      'after',
      examples([
        'fleet render examples/policy.yaml --out rendered',
        'cd rendered && ansible-playbook playbooks/apply.yml     # apply by hand, or from AWX',
        'cd rendered && ansible-playbook playbooks/check.yml     # read-only',
        'fleet render policy.yaml --pull --out pull-repo          # commit it; hosts run: ansible-pull -U REPO_URL',
      ]) +
        '\nIn additive mode the rendered value is the policy\'s set only; `fleet apply` reads each host\nfirst and keeps the ports others reserved.\n',
    )
    .action(async (file: string, opts: { out: string; inventory?: string; json?: boolean; pull?: boolean; pullMode?: PullMode }) => {
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
    });
}
