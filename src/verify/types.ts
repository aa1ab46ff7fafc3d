/**
 * Per-host outcome of a run, the shape every report formatter consumes.
 * Port sets are strings in canonical kernel form (`5000-10000,12000`), `` for none.
 */
export type Verdict =
  | 'compliant'
  /** the host is reachable but its runtime or persisted value differs from the policy */
  | 'drift'
  /** a task failed on the host (e.g. read-only /proc/sys) */
  | 'failed'
  | 'unreachable'
  /** targeted, but Ansible never ran on it (rollout stopped early, interrupted) */
  | 'not_run'
  /** the plan refused the host (e.g. below min_ephemeral_ports); nothing was applied */
  | 'refused';

export interface PortDiff {
  /** Ports the policy wants that the host lacks. */
  missing: string;
  /** Ports the host has that the policy does not want (always `` in additive mode). */
  extra: string;
}

export interface AuditFinding {
  kind: 'listener_outside_policy' | 'reserved_port_in_use';
  proto: 'tcp' | 'udp';
  port: number;
  local: string;
  peer?: string;
  process?: string;
  message: string;
}

/** A key's predicted value after the next boot. */
export interface BootValue {
  /** Kernel form after boot (ports canonical, range `lo hi`); null when an unreadable file makes it unknown. */
  value: string | null;
  /** The file and line whose assignment decides; absent when no boot file sets the key (kernel default). */
  file?: string;
  line?: number;
  /** The value that file writes, as systemd-sysctl strips it. */
  written?: string;
  /** The kernel refuses `written` (EINVAL): it keeps its default. */
  rejected?: boolean;
  /** Files or folders the read could not open that could decide the value. */
  unreadable?: string[];
}

export interface HostResult {
  host: string;
  groups: string[];
  verdict: Verdict;
  /** Did this run change the host (Ansible reported changed)? */
  changed: boolean;
  desired: string;
  /** Runtime value read back with sysctl -n, when the host answered. */
  current?: string;
  runtime?: PortDiff;
  /** Value in the persistence file; undefined when unread, `null` when the file or line is missing. */
  persisted?: string | null;
  persistedDiff?: PortDiff;
  /** Other sysctl files that set the key and sort after ours (they win at boot). */
  overriddenBy?: string[];
  /** What the next boot gives each managed key (systemd-sysctl over every sysctl.d file), and the file that decides. */
  boot?: { reserved: BootValue; range?: BootValue };
  ephemeral?: { desired?: string; current?: string };
  /** Ports left for outgoing connections with the current (or, in plans, desired) value. */
  freeEphemeral?: number;
  /** Plans only: ports left for outgoing connections with the current value (before applying). */
  freeEphemeralBefore?: number;
  /** Why the host failed, was unreachable, refused or not run. */
  message?: string;
  audit?: AuditFinding[];
  /** apply: the host's state before this run changed it, what `fleet rollback` restores. */
  priorState?: PriorState;
}

/** A host's state as read before an apply changed it. */
export interface PriorState {
  /** Runtime net.ipv4.ip_local_reserved_ports (canonical kernel form). */
  reserved: string;
  /** Runtime net.ipv4.ip_local_port_range as `lo-hi`, when it was read. */
  range?: string;
  /** Path of the persistence file. */
  file: string;
  /** Its bytes as latin1 text (they round-trip exactly), `null` when the file did not exist. */
  content: string | null;
}

/** Who ran fleet, where, on which revision of the policy. */
export interface Provenance {
  /** `user@controller`. */
  operator: string;
  /** sha256 of the policy file's bytes. */
  policySha256?: string;
  /** When the policy is in a git work tree: HEAD, and whether the tree under the policy's folder has uncommitted changes. */
  git?: { commit: string; dirty: boolean };
}

/** Hosts whose verdict got worse or better since the previous report kept in --history. */
export interface SinceLast {
  /** startedAt of the previous report. */
  previous: string;
  new_drift: string[];
  fixed: string[];
  new_unreachable: string[];
}

/** One earlier run, for the HTML trend chart. */
export interface TrendPoint {
  startedAt: string;
  command: string;
  hosts: number;
  compliant: number;
  drift: number;
  unreachable: number;
}

export interface RunSummary {
  hosts: number;
  changed: number;
  compliant: number;
  drift: number;
  failed: number;
  unreachable: number;
  not_run: number;
  refused: number;
  auditFindings: number;
}

export interface RunReport {
  tool: 'fleet';
  version: string;
  command: 'check' | 'apply' | 'plan' | 'remediate' | 'rollback' | 'status';
  policy: string;
  mode: 'exact' | 'additive';
  startedAt: string;
  durationSeconds: number;
  /** Shard taken by this controller, e.g. "2/4". */
  shard?: string;
  summary: RunSummary;
  hosts: HostResult[];
  /** For --remediate: the check before remediation. */
  before?: { summary: RunSummary; hosts: HostResult[] };
  /** Set when the run was interrupted (SIGINT/SIGTERM/SIGHUP). */
  interrupted?: string;
  /** Inventory hosts left out because they are outside the policy's `targets` pattern (never touched). */
  outsideTargets?: { pattern: string; hosts: string[] };
  /** Operator, policy sha256, git commit. */
  provenance?: Provenance;
  /** With --history: what changed since the previous kept report. */
  since_last?: SinceLast;
  /** With --history: counts of the kept reports, oldest first, this run last. */
  trend?: TrendPoint[];
}

export function summarize(hosts: readonly HostResult[]): RunSummary {
  const s: RunSummary = { hosts: hosts.length, changed: 0, compliant: 0, drift: 0, failed: 0, unreachable: 0, not_run: 0, refused: 0, auditFindings: 0 };
  for (const h of hosts) {
    if (h.changed) s.changed++;
    s[h.verdict]++;
    s.auditFindings += h.audit?.length ?? 0;
  }
  return s;
}
