import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { loadInventory } from '../inventory/load.js';
import type { Inventory } from '../inventory/types.js';
import { setReadOnly } from '../io/exec.js';
import { planHosts } from '../plan/desired.js';
import { diffPlans, hasChanges } from '../plan/diff.js';
import { formatDiagnostic, loadPolicy, type InventorySpec, type Policy } from '../policy/index.js';
import { renderDiffJson, renderDiffMarkdown, renderDiffTable } from '../report/diff.js';
import { examples, formatOption, outputFormat, useColor, warn, type OutputFormat } from './common.js';

interface DiffOptions {
  inventory?: string;
  json?: boolean;
  format?: OutputFormat;
  detailedExitcode?: boolean;
}

/**
 * Where the hosts come from: -i for both revisions; else each policy's
 * inline inventory; else the NEW policy's source (an old revision read from
 * a pipe, `<(git show main:policy.yaml)`, has no folder its relative
 * inventory path could resolve against).
 */
function inventoryFor(p: Policy, newer: Policy, opts: DiffOptions): InventorySpec {
  if (opts.inventory) return { kind: 'source', source: resolve(opts.inventory) };
  if (p.inventory.kind === 'inline') return p.inventory;
  return newer.inventory;
}

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('offline: per host, how the desired reserved ports change between two revisions of a policy (no host is contacted)')
    .argument('<old>', 'the old policy (a file, or <(git show main:policy.yaml))')
    .argument('<new>', 'the new policy')
    .option('-i, --inventory <source>', "inventory for both revisions instead of the policies' own")
    .option('--json', 'print one JSON document on stdout, nothing else')
    .addOption(formatOption())
    .option('--detailed-exitcode', 'exit 0 when nothing changes, 4 when something does')
    .addHelpText(
      'after',
      examples([
        'fleet diff <(git show main:policy.yaml) policy.yaml',
        'fleet diff old.yaml new.yaml -i inventories/prod.yml --format markdown --detailed-exitcode',
      ]) + '\nExit codes: 0 done (with --detailed-exitcode: nothing changes), 4 changes (--detailed-exitcode), 2 invalid policy, 3 inventory unreadable.\n',
    )
    .action(async (oldFile: string, newFile: string, opts: DiffOptions) => {
      setReadOnly(true);
      const format = outputFormat(opts);
      const [older, newer] = await Promise.all([oldFile, newFile].map((f) => loadPolicy(f, { allowPipe: true })));
      if (format !== 'json') for (const w of newer!.warnings) warn(formatDiagnostic(w));
      const oldPolicy = older!.policy;
      const newPolicy = newer!.policy;
      const specs = [inventoryFor(oldPolicy, newPolicy, opts), inventoryFor(newPolicy, newPolicy, opts)] as const;
      const cache = new Map<string, Promise<Inventory>>();
      const load = (spec: InventorySpec, label: string) => {
        const key = spec.kind === 'source' ? spec.source : `inline:${label}`;
        if (!cache.has(key)) cache.set(key, loadInventory(spec, label));
        return cache.get(key)!;
      };
      const [oldInv, newInv] = await Promise.all([load(specs[0], oldFile), load(specs[1], newFile)]);
      const d = diffPlans(
        { label: oldFile, policy: oldPolicy, plans: planHosts(oldPolicy, oldInv).plans },
        { label: newFile, policy: newPolicy, plans: planHosts(newPolicy, newInv).plans },
      );
      if (format === 'json') process.stdout.write(renderDiffJson(d));
      else if (format === 'markdown') process.stdout.write(renderDiffMarkdown(d));
      else process.stdout.write(renderDiffTable(d, useColor()).join('\n') + '\n');
      process.exitCode = opts.detailedExitcode && hasChanges(d) ? ExitCode.changes : ExitCode.ok;
    });
}
