import { dirname, join, resolve } from 'node:path';
import type { AnsibleEvent, HostOutcome } from '../ansible/events.js';
import { fleetSettings, settingsEnv, type FleetSetting, type UserAnsibleConfig } from '../ansible/config.js';
import { ExitCode, FleetError } from '../errors.js';
import { hostsMatching, loadInventory } from '../inventory/load.js';
import type { Inventory } from '../inventory/types.js';
import { planHosts, targetSet, type HostPlan } from '../plan/desired.js';
import { holdsOf } from '../verify/owned.js';
import { inShard, type Shard } from '../plan/shard.js';
import { hostPatternProblem } from '../policy/names.js';
import type { Policy } from '../policy/types.js';
import { format, type PortSet } from '../ports/portset.js';
import { PROJECT_FILES, projectInventories, renderProject, type HostTarget, type RenderedFile, type RenderInput } from '../render/project.js';
import { TASK } from '../render/playbooks.js';
import { judge } from '../verify/judge.js';
import { parseReadback, type Observed } from '../verify/readback.js';
import { notRun, VERSION } from '../verify/report.js';
import type { HostResult, Provenance } from '../verify/types.js';
import { readUserConfig } from './ansible-config.js';
import { provenanceOf } from './provenance.js';
import { priorStateOf } from '../verify/prior.js';
import { checkEnvironment } from './environment.js';
import { runPlaybook } from './playbook.js';
import { runtimeDirFor } from './runtime-dir.js';
import { becomeArgv, resolveSecrets, secretArgv, type SecretOptions, type Secrets } from './secrets.js';
import { ensureStateDir, stateDirFor, writeProject } from './workspace.js';

export interface SessionOptions {
  /** -i/--inventory: overrides the policy's inventory. */
  inventory?: string;
  limit?: string;
  shard?: Shard;
  secrets?: SecretOptions;
}

/** How every Ansible process of a session runs: the user's configuration in force, fleet's settings on top. */
export interface AnsibleContext {
  /** The folder fleet was started in: Ansible finds ./ansible.cfg and resolves relative paths from here. */
  cwd: string;
  user: UserAnsibleConfig;
  settings: FleetSetting[];
  env: Record<string, string>;
  secrets: Secrets;
  /** SSH ControlMaster sockets: short, private, per policy. */
  controlDir: string;
}

/** A validated policy with its hosts resolved and planned: everything a run needs before touching a host. */
export interface Session {
  policy: Policy;
  policyLabel: string;
  inventory: Inventory;
  /** Targeted hosts (after targets, --limit and --shard), including refused ones. */
  plans: HostPlan[];
  /** Hosts of the inventory outside the policy's `targets` pattern (not touched). */
  outsideTargets: string[];
  warnings: string[];
  stateDir: string;
  ansible: AnsibleContext;
  /** Operator, policy sha256, git commit: stamped on every report of this run. */
  provenance: Provenance;
}

function context(policy: Policy, user: UserAnsibleConfig, hosts: number, controlDir: string, secrets: Secrets, cwd: string): AnsibleContext {
  const a = policy.ansible;
  const settings = fleetSettings({
    user,
    hosts,
    controlPathDir: controlDir,
    ...(a.forks !== undefined ? { policyForks: a.forks } : {}),
    ...(a.user !== undefined ? { remoteUser: a.user } : {}),
    ...(a.timeout !== undefined ? { timeout: a.timeout } : {}),
  });
  return { cwd, user, settings, env: settingsEnv(settings, user.file), secrets, controlDir };
}

export async function openSession(policy: Policy, policyLabel: string, opts: SessionOptions): Promise<Session> {
  if (opts.inventory) policy = { ...policy, inventory: { kind: 'source', source: resolve(opts.inventory) } };
  const stateDir = stateDirFor(policy.file);
  await ensureStateDir(stateDir, dirname(stateDir));
  const cwd = process.cwd();
  await checkEnvironment({ cacheDir: stateDir });
  const [user, runtimeDir, provenance] = await Promise.all([readUserConfig({ cacheDir: stateDir, cwd }), runtimeDirFor(stateDir), provenanceOf(policy)]);
  const secrets = await resolveSecrets(opts.secrets ?? {}, runtimeDir);
  // Listing hosts and running playbooks see the same configuration, environment and vault secrets.
  const ansible = context(policy, user, 1, runtimeDir, secrets, cwd);
  const inventory = await loadInventory(policy.inventory, policyLabel, { env: ansible.env, cwd, extra: secretArgv(secrets) });
  checkSourceHostNames(inventory);
  const { plans, warnings } = planHosts(policy, inventory);
  let targeted = plans;
  const session: Session = { policy, policyLabel, inventory, plans: targeted, outsideTargets: [], warnings: warnings.map((w) => w.message), stateDir, ansible, provenance };
  if (opts.limit || policy.targets !== 'all') {
    // Ansible decides what a pattern means; render once so it sees the same inventories we will use.
    const dir = await render(session, targeted.map((p) => ({ host: p.host, reserved: p.desired })), false, 'limit');
    const inventories = projectInventories(policy).map((i) => resolve(dir, i));
    const extra = secretArgv(secrets);
    const inTargets = policy.targets === 'all' ? undefined : new Set(await hostsMatching(inventories, policy.targets, undefined, ansible, extra, 'targets'));
    if (inTargets) {
      session.outsideTargets = plans.filter((p) => !inTargets.has(p.host)).map((p) => p.host);
      targeted = targeted.filter((p) => inTargets.has(p.host));
    }
    if (opts.limit) {
      const matching = new Set(await hostsMatching(inventories, 'all', opts.limit, ansible, extra, '--limit'));
      targeted = targeted.filter((p) => matching.has(p.host));
    }
  }
  // An empty target set is an error with or without --shard; only a shard of a non-empty set may be empty.
  if (targeted.length === 0) {
    const why = opts.limit ? `--limit ${opts.limit} matches no host of` : policy.targets !== 'all' ? `targets ${policy.targets} matches no host of` : 'no hosts in';
    throw new FleetError(`${why} the inventory ${inventory.source}`, ExitCode.invalid, ['check the pattern with: ansible -i INVENTORY PATTERN --list-hosts']);
  }
  if (opts.shard) targeted = targeted.filter((p) => inShard(p.host, opts.shard!));
  session.plans = targeted;
  session.ansible = context(policy, user, targeted.length, runtimeDir, secrets, cwd);
  return session;
}

/**
 * Host names from a source inventory go back to Ansible in fleet's generated
 * inventory; a name Ansible would read differently there (a `:port`, a range)
 * would leave that host never reporting. Inline names are checked with the policy.
 */
function checkSourceHostNames(inventory: Inventory): void {
  const problems = inventory.hosts.flatMap((h) => hostPatternProblem(h.name) ?? []);
  if (problems.length === 0) return;
  throw new FleetError(`inventory ${inventory.source}: ${problems.length} host name${problems.length > 1 ? 's' : ''} Ansible would read differently in fleet's generated inventory`, ExitCode.invalid, [
    ...problems.slice(0, 10),
    'rename these hosts in the inventory source (and set ansible_host / ansible_port for the address)',
  ]);
}

/** The session's Ansible project for these targets (extra host variables for rollback). */
export function sessionFiles(s: Session, targets: HostTarget[], audit: boolean, hostVars?: RenderInput['hostVars']): RenderedFile[] {
  return renderProject({
    policyLabel: s.policyLabel,
    policy: s.policy,
    targets,
    settings: s.ansible.settings,
    ...(s.ansible.user.file ? { userConfig: s.ansible.user.file } : {}),
    audit,
    version: VERSION,
    ...(hostVars ? { hostVars } : {}),
  });
}

/** Write a project into the session's state folder (`name` is the phase: check, apply, rollback, limit). */
export async function writeSessionProject(s: Session, name: string, files: RenderedFile[]): Promise<string> {
  const dir = join(s.stateDir, name);
  await writeProject(dir, files, dirname(s.stateDir));
  return dir;
}

async function render(s: Session, targets: HostTarget[], audit: boolean, name: string): Promise<string> {
  return writeSessionProject(s, name, sessionFiles(s, targets, audit));
}

/** Per-policy SSH ControlMaster folder: the read and apply phases share connections, and fleet can close them. */
export function controlDir(s: Session): string {
  return s.ansible.controlDir;
}

/** Run one playbook of a rendered project the way every run of the session runs. */
export function play(s: Session, dir: string, playbook: string, write: boolean, onEvent?: (ev: AnsibleEvent) => void) {
  return runPlaybook({
    playbook: join(dir, playbook),
    inventories: projectInventories(s.policy).map((i) => resolve(dir, i)),
    cwd: s.ansible.cwd,
    env: s.ansible.env,
    extra: [...secretArgv(s.ansible.secrets), ...becomeArgv(s.ansible.secrets)],
    write,
    ...(onEvent ? { onEvent } : {}),
  });
}

/** Attach the state read before the change to each host the apply changed (or may have half-changed): what rollback restores. */
export function withPriorState(s: Session, reads: readonly HostRead[], results: HostResult[]): HostResult[] {
  const readOf = new Map(reads.map((r) => [r.plan.host, r]));
  return results.map((h) => {
    const obs = readOf.get(h.host)?.observed;
    const prior = obs && (h.changed || h.verdict === 'failed') ? priorStateOf(obs, s.policy.persistFile) : undefined;
    return prior ? { ...h, priorState: prior } : h;
  });
}

export interface HostRead {
  plan: HostPlan;
  observed?: Observed;
  result: HostResult;
}

/** Read every targeted (non-refused) host in one Ansible run, and judge it against the policy. */
export async function readHosts(s: Session, opts: { audit: boolean; onEvent?: (ev: AnsibleEvent) => void }): Promise<HostRead[]> {
  const live = s.plans.filter((p) => !p.refused);
  const reads: HostRead[] = s.plans.filter((p) => p.refused).map((p) => ({ plan: p, result: refusedResult(p) }));
  if (live.length === 0) return reads;
  const dir = await render(s, live.map((p) => ({ host: p.host, reserved: p.desired, ...(p.ephemeral ? { ephemeral: p.ephemeral } : {}) })), opts.audit, 'check');
  const pb = await play(s, dir, PROJECT_FILES.check, false, opts.onEvent);
  for (const plan of live) {
    const o = pb.collector.hosts.get(plan.host);
    const base = { host: plan.host, groups: plan.groups, changed: false, desired: format(plan.desired) };
    if (!o) {
      reads.push({ plan, result: notRun(plan.host, plan.groups, base.desired, pb.signal ? 'interrupted before this host was read' : 'Ansible did not report this host') });
    } else if (o.status !== 'ok') {
      reads.push({ plan, result: { ...base, verdict: o.status, message: o.message ?? o.status } });
    } else {
      const parsed = parseReadback(o.reads[TASK.readState] ?? '');
      if (!parsed.ok) reads.push({ plan, result: { ...base, verdict: 'failed', message: parsed.error } });
      else reads.push({ plan, observed: parsed.observed, result: { ...judge(plan, s.policy.mode, s.policy.persistFile, parsed.observed), changed: false } });
    }
  }
  return reads;
}

/** An unreachable host's reason, and what this run had already changed on it before it went away. */
function unreachableMessage(o: HostOutcome): string {
  const reason = o.message ?? 'unreachable';
  if (!o.changed) return reason;
  const at = o.failedTask ? ` at "${o.failedTask}"` : '';
  return `${reason}; changed by "${o.changedTasks.join('", "')}" before it became unreachable${at}; nothing was read back after the change, so its runtime and boot values are unverified`;
}

export function refusedResult(p: HostPlan): HostResult {
  return { host: p.host, groups: p.groups, verdict: 'refused', changed: false, desired: format(p.desired), message: p.refused ?? 'refused' };
}

/** The exact value to write on a read host (additive mode keeps what the host already has). */
export function targetFor(s: Session, read: HostRead): PortSet {
  return targetSet(read.plan, s.policy.mode, read.observed && holdsOf(read.observed, s.policy.persistFile));
}

/**
 * Apply to the given hosts in one Ansible run (rolling batches when the policy
 * says so), then judge each from the read-back done in the same connection.
 */
export async function applyHosts(
  s: Session,
  hosts: { plan: HostPlan; target: PortSet }[],
  opts: { onEvent?: (ev: AnsibleEvent) => void },
): Promise<{ results: HostResult[]; interrupted: boolean }> {
  if (hosts.length === 0) return { results: [], interrupted: false };
  const dir = await render(
    s,
    hosts.map(({ plan, target }) => ({ host: plan.host, reserved: target, ...(s.policy.mode === 'additive' ? { owned: plan.desired } : {}), ...(plan.ephemeral ? { ephemeral: plan.ephemeral } : {}) })),
    false,
    'apply',
  );
  const pb = await play(s, dir, PROJECT_FILES.apply, true, opts.onEvent);
  const interrupted = pb.signal !== undefined || pb.exitCode === 99;
  const results = hosts.map(({ plan }): HostResult => {
    const o = pb.collector.hosts.get(plan.host);
    const base = { host: plan.host, groups: plan.groups, desired: format(plan.desired) };
    if (!o) {
      const why = interrupted ? 'interrupted before Ansible reached this host' : 'not run: the rollout stopped before this host (max_fail_percentage reached in an earlier batch)';
      return notRun(plan.host, plan.groups, base.desired, why);
    }
    if (o.status === 'unreachable') return { ...base, changed: o.changed, verdict: 'unreachable', message: unreachableMessage(o) };
    const parsed = o.reads[TASK.apply] === undefined ? undefined : parseReadback(o.reads[TASK.apply]!);
    const judged = parsed?.ok ? judge(plan, s.policy.mode, s.policy.persistFile, parsed.observed) : undefined;
    if (o.status === 'failed') {
      return { ...base, ...(judged ?? {}), changed: o.changed, verdict: 'failed', message: `${o.failedTask ?? 'task'}: ${o.message ?? 'failed'}` };
    }
    if (!judged) return { ...base, changed: o.changed, verdict: 'failed', message: parsed && !parsed.ok ? parsed.error : 'no read-back from host' };
    return { ...judged, changed: o.changed };
  });
  return { results, interrupted };
}
