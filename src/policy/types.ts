import type { PortRange, PortSet } from '../ports/portset.js';

/** exact: the host's reserved set becomes exactly ours. additive: ours must be included; ports others reserved stay. */
export type Mode = 'exact' | 'additive';

/** Port rules that apply at one level: company-wide, one inventory group, or one host. */
export interface PortRules {
  /** Reserved ports added at this level (canonical, merged). */
  reserved: PortSet;
  /** net.ipv4.ip_local_port_range to enforce at this level, if managed. */
  ephemeral?: PortRange;
}

/** Where the hosts come from. */
export type InventorySpec =
  | { kind: 'source' /** absolute path (or plugin config path) given to ansible-inventory -i */; source: string }
  | { kind: 'inline'; hosts: Record<string, InlineHost>; groups: Record<string, InlineGroup> };

export interface InlineHost {
  /** Ansible connection variables (ansible_host, ansible_port, ansible_user, ...). */
  vars: Record<string, string | number | boolean>;
}

export interface InlineGroup {
  hosts: string[];
  children: string[];
}

/** Ansible run settings taken from the policy. */
export interface AnsibleSettings {
  forks?: number;
  /** Rolling batches: a host count or a percentage like "25%". */
  serial?: number | string;
  maxFailPercentage?: number;
  /** Privilege escalation for changes; false when the login user can write sysctls itself. */
  become: Become | false;
  /** Login user; undefined leaves it to the user's Ansible configuration and inventory. */
  user?: string;
  /** SSH connect timeout, seconds; undefined leaves it to the user's Ansible configuration. */
  timeout?: number;
}

export interface Become {
  /** Become plugin (sudo, su, doas, ...); undefined: Ansible's configured default. */
  method?: string;
  /** User to become; undefined: Ansible's configured default (root). */
  user?: string;
  /** Reads (check, plan, apply's read phase) also use become. */
  reads: boolean;
}

export interface AuditSettings {
  /** Listening ports allowed outside the listen ranges (system ports < 1024 are always allowed). */
  allow: PortSet;
}

/** How a host running the policy itself (`fleet render --pull`, ansible-pull) behaves. */
export interface PullSettings {
  /** enforce: apply then verify; check: read only. */
  mode: PullMode;
  /** node_exporter textfile the host writes its verdict to. */
  textfile: string;
}

export type PullMode = 'enforce' | 'check';

/** A validated policy: every port value already parsed into canonical sets. */
export interface Policy {
  /** Absolute path of the policy file. */
  file: string;
  /** sha256 of the file's bytes (set by loadPolicy), for reports and the persisted file's header. */
  sha256?: string;
  version: 1;
  mode: Mode;
  company: PortRules;
  minEphemeralPorts: number;
  groups: Record<string, PortRules>;
  hosts: Record<string, PortRules>;
  inventory: InventorySpec;
  /** Ansible host pattern selecting the hosts the policy governs ('all' by default). */
  targets: string;
  persistFile: string;
  ansible: AnsibleSettings;
  audit: AuditSettings;
  /** Only when the policy file has a `pull:` section; defaults in DEFAULT_PULL. */
  pull?: Partial<PullSettings>;
}

export const DEFAULT_PERSIST_FILE = '/etc/sysctl.d/90-fleet-reserved-ports.conf';

/**
 * systemd-sysctl's folders, highest priority first; a file name in an earlier
 * one masks the same name in later ones. /lib/sysctl.d is read only by
 * split-/usr builds; on merged-/usr it is /usr/lib/sysctl.d, masked by it.
 * (Defined here, the first stage, so policy checks, the read script and the
 * boot model share it.)
 */
export const SYSCTL_DIRS: readonly string[] = ['/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d'];
export const DEFAULT_MIN_EPHEMERAL_PORTS = 10000;
/** Debian's prometheus-node-exporter reads its textfile collector from this folder. */
export const DEFAULT_PULL: PullSettings = { mode: 'enforce', textfile: '/var/lib/prometheus/node-exporter/fleet.prom' };
