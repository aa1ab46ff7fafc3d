import { createHash } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { OutcomeCollector, type AnsibleEvent } from '../ansible/events.js';
import { fleetSettings, settingsEnv, type FleetSetting, type UserAnsibleConfig } from '../ansible/config.js';
import { ExitCode, FleetError } from '../errors.js';
import { hostsMatching, loadInventory } from '../inventory/load.js';
import { parseTargetsReport, reportedInventory, type TargetsReport } from '../inventory/reported.js';
import type { Inventory } from '../inventory/types.js';
import { killAll } from '../io/exec.js';
import { planHosts, targetSet, type HostPlan } from '../plan/desired.js';
import { holdsOf } from '../verify/owned.js';
import { inShard, type Shard } from '../plan/shard.js';
import { hostPatternProblem } from '../policy/names.js';
import type { Policy } from '../policy/types.js';
import { format, formatPortRange, type PortSet } from '../ports/portset.js';
import { hostInventory, PROJECT_FILES, projectInventories, renderProject, type HostTarget, type RenderedFile, type RenderInput } from '../render/project.js';
import { APPLY_GROUP, DECISION_VARS, type ReadScope, TARGET_GROUP, TASK } from '../render/playbooks.js';
import { applyOutcome, attachPriorState, readOutcome, refusedResult, type JudgeContext } from '../verify/outcome.js';
import type { Observed } from '../verify/readback.js';
import { makeReport, VERSION } from '../verify/report.js';
import type { HostResult, Provenance, RunReport } from '../verify/types.js';
import { ownedLine } from '../verify/owned.js';
import { readUserConfig } from './ansible-config.js';
import { provenanceOf } from './provenance.js';
import { checkEnvironment } from './environment.js';
import { NO_HOSTS, runPlaybook, type PlaybookRun } from './playbook.js';
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
  /**
   * Listed: hosts come from `ansible-inventory --list` at open (discover,
   * rollback, render, status). Deferred (check, plan, apply): nothing is
   * listed; the read's first task reports the targeted hosts and groups, and
   * `inventory`, `plans`, `outsideTargets` and `warnings` are filled in then.
   */
  deferred: boolean;
  inventory: Inventory;
  /** Targeted hosts (after targets, --limit and --shard), including refused ones. */
  plans: HostPlan[];
  /** Hosts of the inventory outside the policy's `targets` pattern (not touched). */
  outsideTargets: string[];
  warnings: string[];
  limit?: string;
  shard?: Shard;
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

/** A deferred session does not know its host count when Ansible starts: forks as for a large batch (Ansible starts no more workers than hosts). */
const DEFERRED_HOSTS = 50;

function inventoryLabel(policy: Policy, policyLabel: string): string {
  return policy.inventory.kind === 'source' ? policy.inventory.source : `${policyLabel} (inline inventory)`;
}

/**
 * Open a session. `listed` reads the hosts now (ansible-inventory, and
 * `ansible --list-hosts` for targets/--limit); otherwise the session is
 * deferred: no Ansible process runs before the read, which learns the hosts.
 */
export async function openSession(policy: Policy, policyLabel: string, opts: SessionOptions, how: { listed: boolean } = { listed: true }): Promise<Session> {
  if (opts.inventory) policy = { ...policy, inventory: { kind: 'source', source: resolve(opts.inventory) } };
  const stateDir = stateDirFor(policy.file);
  await ensureStateDir(stateDir, dirname(stateDir));
  const cwd = process.cwd();
  await checkEnvironment({ cacheDir: stateDir });
  const [user, runtimeDir, provenance] = await Promise.all([readUserConfig({ cacheDir: stateDir, cwd }), runtimeDirFor(stateDir), provenanceOf(policy)]);
  const secrets = await resolveSecrets(opts.secrets ?? {}, runtimeDir);
  const scope = { ...(opts.limit ? { limit: opts.limit } : {}), ...(opts.shard ? { shard: opts.shard } : {}) };
  if (!how.listed) {
    const inventory: Inventory = { hosts: [], groups: [], source: inventoryLabel(policy, policyLabel) };
    const ansible = context(policy, user, DEFERRED_HOSTS, runtimeDir, secrets, cwd);
    return { policy, policyLabel, deferred: true, inventory, plans: [], outsideTargets: [], warnings: [], ...scope, stateDir, ansible, provenance };
  }
  // Listing hosts and running playbooks see the same configuration, environment and vault secrets.
  const ansible = context(policy, user, 1, runtimeDir, secrets, cwd);
  const inventory = await loadInventory(policy.inventory, policyLabel, { env: ansible.env, cwd, extra: secretArgv(secrets) });
  checkHostNames(
    inventory.hosts.map((h) => h.name),
    inventory.source,
  );
  const { plans, warnings } = planHosts(policy, inventory);
  let targeted = plans;
  const session: Session = {
    policy,
    policyLabel,
    deferred: false,
    inventory,
    plans: targeted,
    outsideTargets: [],
    warnings: warnings.map((w) => w.message),
    ...scope,
    stateDir,
    ansible,
    provenance,
  };
  if (opts.limit || policy.targets !== 'all') {
    // Ansible decides what a pattern means; render once so it sees the same inventories we will use.
    const dir = await render(
      session,
      targeted.map((p) => ({ host: p.host, reserved: p.desired })),
      false,
      'limit',
    );
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
  if (targeted.length === 0) throw noTargets(session);
  if (opts.shard) targeted = targeted.filter((p) => inShard(p.host, opts.shard!));
  session.plans = targeted;
  session.ansible = context(policy, user, targeted.length, runtimeDir, secrets, cwd);
  return session;
}

/** An empty target set is an error with or without --shard; only a shard of a non-empty set may be empty. */
function noTargets(s: Session): FleetError {
  const why = s.limit ? `--limit ${s.limit} matches no host of` : s.policy.targets !== 'all' ? `targets ${s.policy.targets} matches no host of` : 'no hosts in';
  return new FleetError(`${why} the inventory ${s.inventory.source}`, ExitCode.invalid, ['check the pattern with: ansible -i INVENTORY PATTERN --list-hosts']);
}

/**
 * A host name Ansible would read differently when it is written back into an
 * inventory or a pattern (a `:port`, a range) is almost always a mistake in
 * the source: refuse it with the fix. Inline names are checked with the policy.
 */
function checkHostNames(names: readonly string[], source: string): void {
  const problems = names.flatMap((h) => hostPatternProblem(h) ?? []);
  if (problems.length === 0) return;
  throw new FleetError(`inventory ${source}: ${problems.length} host name${problems.length > 1 ? 's' : ''} Ansible would read differently`, ExitCode.invalid, [
    ...problems.slice(0, 10),
    'rename these hosts in the inventory source (and set ansible_host / ansible_port for the address)',
  ]);
}

/** The session's Ansible project for these targets (extra host variables for rollback). */
export function sessionFiles(s: Session, targets: HostTarget[], audit: boolean, hostVars?: RenderInput['hostVars'], scope?: ReadScope): RenderedFile[] {
  return renderProject({
    policyLabel: s.policyLabel,
    policy: s.policy,
    targets,
    settings: s.ansible.settings,
    ...(s.ansible.user.file ? { userConfig: s.ansible.user.file } : {}),
    audit,
    version: VERSION,
    ...(hostVars ? { hostVars } : {}),
    ...(scope ? { scope } : {}),
  });
}

/** Write a project into the session's state folder (`name` is the phase: check, apply, rollback, limit). */
export async function writeSessionProject(s: Session, name: string, files: RenderedFile[]): Promise<string> {
  const dir = join(s.stateDir, name);
  await writeProject(dir, files, dirname(s.stateDir));
  return dir;
}

async function render(s: Session, targets: HostTarget[], audit: boolean, name: string, scope?: ReadScope): Promise<string> {
  return writeSessionProject(s, name, sessionFiles(s, targets, audit, undefined, scope));
}

/** Per-policy SSH ControlMaster folder: the read and apply phases share connections, and fleet can close them. */
export function controlDir(s: Session): string {
  return s.ansible.controlDir;
}

/**
 * Run one playbook of a rendered project the way every run of the session
 * runs. With `hostsOnly` Ansible gets the hosts' inventory alone (the
 * playbooks carry fleet's values) and the session's --limit.
 */
export function play(
  s: Session,
  dir: string,
  playbook: string,
  write: boolean,
  onEvent?: (ev: AnsibleEvent) => void,
  more: { hostsOnly?: boolean; extraVars?: Record<string, unknown> } = {},
) {
  const inventories = more.hostsOnly ? [hostInventory(s.policy)] : projectInventories(s.policy);
  return runPlaybook({
    playbook: join(dir, playbook),
    project: dir,
    ...(s.policy.sha256 ? { policy: { file: s.policy.file, sha256: s.policy.sha256 } } : {}),
    inventories: inventories.map((i) => resolve(dir, i)),
    cwd: s.ansible.cwd,
    env: s.ansible.env,
    extra: [...(more.extraVars ? ['-e', JSON.stringify(more.extraVars)] : []), ...secretArgv(s.ansible.secrets), ...becomeArgv(s.ansible.secrets)],
    write,
    ...(more.hostsOnly && s.limit ? { limit: s.limit } : {}),
    ...(more.hostsOnly && s.policy.inventory.kind === 'source' ? { hostsSource: s.policy.inventory.source } : {}),
    ...(onEvent ? { onEvent } : {}),
  });
}

/** Attach the state read before the change to each host the apply changed (or may have half-changed): what rollback restores. */
export function withPriorState(s: Session, reads: readonly HostRead[], results: HostResult[]): HostResult[] {
  return attachPriorState(new Map(reads.map((r) => [r.plan.host, r.observed])), results, s.policy.persistFile);
}

export interface HostRead {
  plan: HostPlan;
  observed?: Observed;
  result: HostResult;
}

export interface ReadOptions {
  audit: boolean;
  onEvent?: (ev: AnsibleEvent) => void;
  /** Called once the session's hosts are planned (a deferred session: when the read reports its targets). */
  onPlanned?: (s: Session) => void;
}

/**
 * A deferred session learns its hosts from the read's first event: plan the
 * targeted hosts (groups from Ansible's `groups`), warn about policy names the
 * inventory lacks, drop other shards' hosts (Ansible ends them unread).
 */
function planReported(s: Session, report: TargetsReport): void {
  const { inventory, allHosts } = reportedInventory(report, s.inventory.source);
  checkHostNames(report.hosts, s.inventory.source);
  const { plans, warnings } = planHosts(s.policy, inventory, allHosts);
  s.inventory = inventory;
  s.warnings = warnings.map((w) => w.message);
  // Outside targets: every inventory host the pattern leaves out, when no --limit narrows the play too.
  if (s.policy.targets !== 'all' && !s.limit) {
    const targeted = new Set(report.hosts);
    s.outsideTargets = allHosts.filter((h) => !targeted.has(h));
  }
  s.plans = s.shard ? plans.filter((p) => inShard(p.host, s.shard!)) : plans;
}

/**
 * The events of one read run: the targets report (deferred sessions), then
 * each host's read. Stops Ansible when the report names a host fleet refuses.
 */
export class ReadWatch {
  reported = false;
  problem: FleetError | undefined;
  constructor(
    private readonly s: Session,
    private readonly opts: ReadOptions,
  ) {}

  event = (ev: AnsibleEvent): void => {
    if (this.s.deferred && !this.reported && ev.kind === 'targets') {
      const report = parseTargetsReport(ev.result);
      if (!report) {
        this.problem = new FleetError(`Ansible could not report the hosts it targets: ${String(ev.result?.error ?? 'no host list')}`, ExitCode.environment);
        killAll('SIGTERM');
      } else {
        this.reported = true;
        try {
          planReported(this.s, report);
          this.opts.onPlanned?.(this.s);
        } catch (e) {
          this.problem = e instanceof FleetError ? e : new FleetError(String(e), ExitCode.environment);
          killAll('SIGTERM');
        }
      }
    }
    this.opts.onEvent?.(ev);
  };

  /** After the run: the refusal, or a run that never reported its targets (nothing matched). */
  check(pb: PlaybookRun): void {
    if (this.problem) throw this.problem;
    if (!this.s.deferred || this.reported || pb.signal) return;
    if (pb.collector.hosts.size === 0 && (pb.exitCode === 0 || NO_HOSTS.test(pb.stderr))) throw noTargets(this.s);
    // hosts were read but never planned: judging them against nothing would report an empty, "compliant" run
    if (pb.collector.hosts.size > 0) {
      throw new FleetError(
        `Ansible read ${pb.collector.hosts.size} host(s) without reporting its targets: fleet's callback plugin did not run`,
        ExitCode.environment,
        ['check that nothing removes playbooks/callback_plugins/fleet.py from the project fleet renders'],
      );
    }
  }
}

function judgeContext(s: Session, interrupted: boolean): JudgeContext {
  return { mode: s.policy.mode, persistFile: s.policy.persistFile, interrupted };
}

function readsOf(s: Session, collector: OutcomeCollector, ctx: JudgeContext): HostRead[] {
  return s.plans.map((plan) => {
    if (plan.refused) return { plan, result: refusedResult(plan) };
    const o = collector.hosts.get(plan.host);
    return { plan, ...readOutcome(plan, o, o?.reads[TASK.readState], ctx) };
  });
}

/** Where a read starts: a deferred session reads the policy's targets (and shard) over the hosts' inventory; a listed one its planned hosts. */
async function readProject(s: Session, audit: boolean, name: string): Promise<{ dir: string; hostsOnly: boolean }> {
  if (s.deferred) {
    const scope: ReadScope = { pattern: s.policy.targets, ...(s.shard ? { shard: s.shard } : {}) };
    return { dir: await render(s, [], audit, name, scope), hostsOnly: true };
  }
  const live = s.plans.filter((p) => !p.refused);
  const targets = live.map((p) => ({ host: p.host, reserved: p.desired, ...(p.ephemeral ? { ephemeral: p.ephemeral } : {}) }));
  return { dir: await render(s, targets, audit, name, { pattern: TARGET_GROUP }), hostsOnly: false };
}

/** Read every targeted host in one Ansible run, and judge it against the policy (refused hosts are reported refused). */
export async function readHosts(s: Session, opts: ReadOptions): Promise<HostRead[]> {
  if (!s.deferred && s.plans.every((p) => p.refused)) return s.plans.map((plan) => ({ plan, result: refusedResult(plan) }));
  const { dir, hostsOnly } = await readProject(s, opts.audit, 'check');
  const watch = new ReadWatch(s, opts);
  const pb = await play(s, dir, PROJECT_FILES.check, false, watch.event, { hostsOnly });
  watch.check(pb);
  if (!s.deferred) opts.onPlanned?.(s);
  return readsOf(s, pb.collector, judgeContext(s, pb.interrupted));
}

/** A run's report over the session's policy, targets and provenance, finished now. */
export function sessionReport(
  s: Session,
  command: RunReport['command'],
  started: Date,
  hosts: HostResult[],
  extra: { shard?: string; interrupted?: string } = {},
): RunReport {
  return makeReport({
    command,
    policy: s.policy,
    outsideTargets: s.outsideTargets,
    policyLabel: s.policyLabel,
    startedAt: started,
    finishedAt: new Date(),
    hosts,
    provenance: s.provenance,
    ...(extra.shard ? { shard: extra.shard } : {}),
    ...(extra.interrupted ? { interrupted: extra.interrupted } : {}),
  });
}

/** The exact value to write on a read host (additive mode keeps what the host already has). */
export function targetFor(s: Session, read: HostRead): PortSet {
  return targetSet(read.plan, s.policy.mode, read.observed && holdsOf(read.observed, s.policy.persistFile));
}

/** fleet's decision for one host to change: the variables the apply tasks use. */
function decisionVars(s: Session, plan: HostPlan, target: PortSet): Record<string, string> {
  return {
    fleet_reserved_ports: format(target),
    ...(plan.ephemeral ? { fleet_port_range: formatPortRange(plan.ephemeral) } : {}),
    ...(s.policy.mode === 'additive' ? { fleet_owned_line: ownedLine(plan.desired) } : {}),
  };
}

/** A host's decision file name: the sha1 of its UTF-8 name (the fleet_decided filter computes the same). */
export function decisionFileName(host: string): string {
  return `${createHash('sha1').update(host, 'utf8').digest('hex')}.json`;
}

/** A name Ansible's pattern parser keeps whole: no separator (`,` `:`), operator (`!` `&`), space or other character it could split on. */
const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Play 2's hosts: the chosen names themselves when each is plain (Ansible
 * takes a pattern that is exactly a host's name as that host, before any
 * group of the same name, in O(1)), so no task per host is needed to group
 * them; otherwise the group play 1's group_by fills.
 */
export function applyPattern(names: string[]): string[] | string {
  if (names.length === 0 || names.some((n) => !PLAIN_NAME.test(n))) return APPLY_GROUP;
  return names;
}

export interface ReadApplyResult {
  reads: HostRead[];
  /** Results of the hosts the decision chose (empty when nothing was applied). */
  results: HostResult[];
  interrupted: boolean;
}

/**
 * Read, decide, apply in ONE ansible-playbook process (one inventory parse):
 * play 1 reads every targeted host and then waits on the controller; fleet
 * judges the reads, calls `decide` (plan, confirmation: nothing is written
 * before it returns), writes its decision, and play 2 applies to the chosen
 * hosts with the policy's rolling settings. `decide` returning no hosts, or
 * throwing, ends the run with nothing written.
 */
export async function readThenApply(
  s: Session,
  opts: ReadOptions & {
    /** `ended`: the run ended before it waited (no host left to apply to, or stopped): report the plan, nothing is applied. */
    decide: (reads: HostRead[], ended: boolean) => Promise<{ plan: HostPlan; target: PortSet }[]>;
    onApplyEvent?: (ev: AnsibleEvent) => void;
  },
): Promise<ReadApplyResult> {
  const { dir, hostsOnly } = await readProject(s, opts.audit, 'apply');
  const decisionFile = join(dir, 'decision.json');
  const decisionDir = join(dir, 'decision.d');
  await rm(decisionFile, { force: true });
  await rm(decisionDir, { recursive: true, force: true });
  const watch = new ReadWatch(s, opts);
  const reading = new OutcomeCollector();
  const writing = new OutcomeCollector();
  let plays = 0;
  let readDone: () => void = () => undefined;
  const waiting = new Promise<void>((r) => (readDone = r));
  const onEvent = (ev: AnsibleEvent): void => {
    if (ev.kind === 'play_start') plays++;
    if (ev.kind === 'task_start' && ev.task === TASK.awaitPlan) readDone();
    if (ev.kind === 'stats') {
      reading.add(ev);
      writing.add(ev);
    } else (plays <= 1 ? reading : writing).add(ev);
    if (plays <= 1) watch.event(ev);
    else opts.onApplyEvent?.(ev);
  };
  const running = play(s, dir, PROJECT_FILES.run, true, onEvent, {
    hostsOnly,
    extraVars: { [DECISION_VARS.file]: decisionFile, [DECISION_VARS.dir]: decisionDir, [DECISION_VARS.pid]: process.pid },
  });
  // the run may end before it waits: every host unreachable, a signal, an error
  const ended = await Promise.race([
    waiting.then(() => false),
    running.then(
      () => true,
      () => true,
    ),
  ]);
  let chosen: { plan: HostPlan; target: PortSet }[] = [];
  if (!ended) {
    const reads = readsOf(s, reading, judgeContext(s, false));
    try {
      if (!s.deferred) opts.onPlanned?.(s);
      chosen = watch.problem ? [] : await opts.decide(reads, false);
    } catch (e) {
      killAll('SIGTERM');
      await running.catch(() => undefined);
      throw e;
    }
    const hosts = Object.fromEntries(chosen.map(({ plan, target }) => [plan.host, decisionVars(s, plan, target)]));
    // one file per chosen host (what play 2 reads for that host), then the file Ansible waits for
    await mkdir(decisionDir, { mode: 0o700 });
    const entries = Object.entries(hosts);
    // a few at a time: a 10,000-host decision must not run out of file descriptors
    for (let i = 0; i < entries.length; i += 64) {
      await Promise.all(
        entries.slice(i, i + 64).map(([host, vars]) => writeFile(join(decisionDir, decisionFileName(host)), JSON.stringify(vars), { mode: 0o600 })),
      );
    }
    await writeFile(`${decisionFile}.tmp`, JSON.stringify({ hosts: chosen.length, pattern: applyPattern(Object.keys(hosts)) }), { mode: 0o600 });
    await rename(`${decisionFile}.tmp`, decisionFile);
  }
  const pb = await running;
  watch.check(pb);
  const ctx = judgeContext(s, pb.interrupted);
  // reads that got as far as the wait were all made: an interrupt after it concerns the apply only
  const reads = readsOf(s, reading, ended ? ctx : judgeContext(s, false));
  if (ended) {
    if (!s.deferred) opts.onPlanned?.(s);
    await opts.decide(reads, true);
  }
  const results = chosen.map(({ plan }) => {
    const o = writing.hosts.get(plan.host);
    return applyOutcome(plan, o, o?.reads[TASK.apply], ctx);
  });
  return { reads, results, interrupted: ctx.interrupted };
}
