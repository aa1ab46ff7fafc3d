import { readFile } from 'node:fs/promises';
import { cleanupAfterSignal, whileLocked } from '../engine/guard.js';
import { restoreHosts } from '../engine/rollback.js';
import { openSession, readHosts, withPriorState, type HostRead, type Session } from '../engine/session.js';
import { ExitCode, FleetError } from '../errors.js';
import { setReadOnly } from '../io/exec.js';
import type { ReportSpec } from '../report/index.js';
import { renderRestorePlan, type RestoreRow } from '../report/rollback.js';
import { changedSince, checkPriorState } from '../verify/prior.js';
import { makeReport } from '../verify/report.js';
import type { HostResult, PriorState, RunReport } from '../verify/types.js';
import { confirm } from './confirm.js';
import { signalExit, verdictExit } from './exit-codes.js';
import type { HistoryOptions } from './options.js';
import { emit, useColor, warn } from './output.js';
import { Progress } from './progress.js';
import { loadPolicyForRun } from './targets.js';

interface RollbackOptions extends HistoryOptions {
  yes?: boolean;
  dryRun?: boolean;
  force?: boolean;
  policy?: string;
  inventory?: string;
  json?: boolean;
  report?: ReportSpec[];
}

/** A host the report says the run changed, with what it left and what it found before. */
interface Recorded {
  after: HostResult;
  prior: PriorState;
}

/** Read an apply report and the hosts it can roll back; any surprise is exit 2 naming the file. */
export async function readApplyReport(file: string): Promise<{ report: RunReport; hosts: Recorded[] }> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new FleetError(`report ${file}: cannot be read as JSON (${(e as Error).message})`, ExitCode.invalid);
  }
  const r = doc as Partial<RunReport>;
  if (r?.tool !== 'fleet' || !Array.isArray(r.hosts) || typeof r.policy !== 'string') {
    throw new FleetError(`report ${file}: not a fleet JSON report (write one with --report json=FILE)`, ExitCode.invalid);
  }
  if (!['apply', 'remediate', 'rollback'].includes(String(r.command))) {
    throw new FleetError(
      `report ${file}: a ${String(r.command)} report changed nothing; roll back the report of an apply, remediate or rollback`,
      ExitCode.invalid,
    );
  }
  const hosts: Recorded[] = [];
  for (const h of r.hosts) {
    if (h.priorState === undefined) continue;
    const bad = checkPriorState(h.priorState);
    if (bad) throw new FleetError(`report ${file}: host ${h.host}: ${bad}`, ExitCode.invalid);
    hosts.push({ after: h, prior: h.priorState });
  }
  return { report: r as RunReport, hosts };
}

export async function run(file: string, opts: RollbackOptions): Promise<number> {
  if (opts.dryRun) setReadOnly(true);
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  if (!opts.dryRun && !opts.yes && !interactive) {
    throw new FleetError(
      'refusing to roll back without confirmation: no terminal to ask on; pass --yes, or --dry-run to only show what would change',
      ExitCode.invalid,
    );
  }
  const { report, hosts } = await readApplyReport(file);
  if (hosts.length === 0) {
    warn(`report ${file} records no host changed by its run: nothing to roll back`);
    return ExitCode.ok;
  }
  const policyFile = opts.policy ?? report.policy;
  const policy = await loadPolicyForRun(policyFile, opts.json);
  const s = await openSession(policy, policyFile, opts.inventory ? { inventory: opts.inventory } : {});
  const wanted = new Map(hosts.map((h) => [h.after.host, h]));
  const missing = hosts.filter((h) => !s.plans.some((p) => p.host === h.after.host)).map((h) => h.after.host);
  // a plan's refusal (capacity floor) is about the policy's value, not about restoring an earlier one
  s.plans = s.plans.filter((p) => wanted.has(p.host)).map(({ refused: _, ...p }) => p);
  return await whileLocked(s, 'rollback', (signal) => rollbackFlow(s, opts, wanted, missing, interactive, signal), warn);
}

async function rollbackFlow(
  s: Session,
  opts: RollbackOptions,
  wanted: Map<string, Recorded>,
  missing: string[],
  interactive: boolean,
  signal: () => NodeJS.Signals | undefined,
): Promise<number> {
  const started = new Date();
  const progress = new Progress('read', s.plans.length);
  const reads = s.plans.length ? await readHosts(s, { audit: false, onEvent: progress.events('read') }) : [];
  progress.finish();
  const rows: RestoreRow[] = [];
  const todo: { read: HostRead; prior: PriorState }[] = [];
  const left: HostResult[] = missing.map((host) => ({
    host,
    groups: [],
    verdict: 'failed',
    changed: false,
    desired: wanted.get(host)!.prior.reserved,
    message: 'not in the inventory any more',
  }));
  for (const m of missing) rows.push({ host: m, skip: 'not in the inventory' });
  for (const read of reads) {
    const rec = wanted.get(read.plan.host)!;
    if (!read.observed) {
      left.push(read.result);
      rows.push({ host: read.plan.host, prior: rec.prior, skip: `${read.result.verdict}: ${read.result.message ?? ''}` });
      continue;
    }
    const since = changedSince(rec.after, read.observed);
    const now = read.result.current;
    if (since && !opts.force) {
      left.push({
        host: read.plan.host,
        groups: read.plan.groups,
        verdict: 'refused',
        changed: false,
        desired: rec.prior.reserved,
        ...(now !== undefined ? { current: now } : {}),
        message: `${since}; not restored (--force restores anyway)`,
      });
      rows.push({ host: read.plan.host, ...(now !== undefined ? { now } : {}), prior: rec.prior, skip: `${since} (--force restores anyway)` });
      continue;
    }
    if (since) warn(`${read.plan.host}: ${since}; restoring anyway (--force)`);
    todo.push({ read, prior: rec.prior });
    rows.push({ host: read.plan.host, ...(now !== undefined ? { now } : {}), prior: rec.prior });
  }
  const table = renderRestorePlan(rows, useColor(opts.dryRun && !opts.json ? process.stdout : process.stderr)).join('\n') + '\n';
  if (!opts.json || !opts.yes) (opts.dryRun && !opts.json ? process.stdout : process.stderr).write(table);
  if (opts.dryRun) return left.some((h) => h.verdict !== 'compliant') ? ExitCode.drift : ExitCode.ok;
  if (!opts.yes && interactive && todo.length > 0 && !(await confirm(`Roll back ${todo.length} host${todo.length === 1 ? '' : 's'}? [y/N] `))) {
    process.stderr.write('fleet: nothing rolled back\n');
    return ExitCode.drift;
  }
  let results: HostResult[] = [];
  let interrupted = false;
  if (!signal() && todo.length > 0) {
    const p = new Progress('rollback', todo.length);
    ({ results, interrupted } = await restoreHosts(
      s,
      todo.map((t) => ({ plan: t.read.plan, prior: t.prior })),
      { onEvent: p.events('write') },
    ));
    p.finish();
  }
  const sig = signal() ?? (interrupted ? 'SIGINT' : undefined);
  const report = makeReport({
    command: 'rollback',
    policy: s.policy,
    policyLabel: s.policyLabel,
    startedAt: started,
    finishedAt: new Date(),
    hosts: [
      ...withPriorState(
        s,
        todo.map((t) => t.read),
        results,
      ),
      ...left,
    ],
    provenance: s.provenance,
    ...(sig ? { interrupted: sig } : {}),
  });
  await emit(report, opts);
  if (!sig) return verdictExit(report);
  await cleanupAfterSignal(s);
  return signalExit(sig) ?? ExitCode.sigint;
}
