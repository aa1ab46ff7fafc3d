import { resolve } from 'node:path';
import { ExitCode } from '../errors.js';
import { loadInventory } from '../inventory/load.js';
import type { Inventory } from '../inventory/types.js';
import { setReadOnly } from '../io/exec.js';
import { planHosts } from '../plan/desired.js';
import { diffPlans, hasChanges } from '../plan/diff.js';
import { formatDiagnostic, loadPolicy, type InventorySpec, type Policy } from '../policy/index.js';
import { renderDiffJson, renderDiffMarkdown, renderDiffTable } from '../report/diff.js';
import { outputFormat, type OutputFormat } from './options.js';
import { useColor, warn } from './output.js';

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

export async function run(oldFile: string, newFile: string, opts: DiffOptions): Promise<number> {
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
  return opts.detailedExitcode && hasChanges(d) ? ExitCode.changes : ExitCode.ok;
}
