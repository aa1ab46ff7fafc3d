import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ExitCode, FleetError } from '../errors.js';
import type { PullMode } from '../policy/types.js';
import { pullTargets, renderPullProject } from '../render/pull.js';
import { writeProject } from '../engine/workspace.js';
import { loadInventory } from '../inventory/load.js';
import { planHosts } from '../plan/desired.js';
import { forksFor, renderProject } from '../render/project.js';
import { VERSION } from '../verify/report.js';
import { examples, loadPolicyForRun, printJson, warn } from './common.js';

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
      let policy = await loadPolicyForRun(file, opts.json);
      if (opts.inventory) policy = { ...policy, inventory: { kind: 'source', source: resolve(opts.inventory) } };
      const inventory = await loadInventory(policy.inventory, file);
      const { plans, warnings } = planHosts(policy, inventory);
      for (const w of warnings) warn(w.message);
      const refused = plans.filter((p) => p.refused);
      for (const p of refused) warn(`${p.host} left out: ${p.refused}`);
      const targets = pullTargets(plans);
      const forks = forksFor(policy.ansible.forks, targets.length);
      if (opts.pullMode && !opts.pull) throw new FleetError('--pull-mode needs --pull', ExitCode.invalid);
      const files = opts.pull
        ? renderPullProject({ policyLabel: file, policy, targets, version: VERSION, ...(opts.pullMode ? { mode: opts.pullMode } : {}) })
        : renderProject({ policyLabel: file, policy, targets, forks, audit: false, version: VERSION });
      const written = await writeProject(opts.out, files);
      if (opts.json) printJson({ out: opts.out, files: written, hosts: targets.length, refused: refused.map((p) => p.host) });
      else process.stdout.write(`${written.join('\n')}\n${targets.length} hosts rendered into ${opts.out}\n`);
    });
}
