/**
 * Ordered Ansible groups for the lab: `[['web', 2], ['db', 1]]` puts h1,h2 in
 * `web` and h3 in `db`. Hosts beyond the total go to group `lab`.
 */
export type GroupSpec = ReadonlyArray<readonly [group: string, count: number]>;

/** What `labUp` is asked for. Every field has a default suited to one lab per project. */
export interface LabOptions {
  /** Number of hosts (default: the group total, or 3). */
  hosts?: number;
  /** Groups as data or as the CLI string `web=2,db=1`. */
  groups?: GroupSpec | string;
  /** Lab directory holding state, keys and per-host folders (default `<cwd>/.lab`). */
  dir?: string;
  /** Prefix of every namespace, link and process title (default `fleet`, at most 10 characters). */
  prefix?: string;
  /** A /24 inside 198.18.0.0/15 (default `198.18.0.0/24`). */
  subnet?: string;
  /** Where to write the Ansible inventory (default `<cwd>/inventories/lab.yml`). */
  inventory?: string;
  /** Host names are this plus a number (default `h`). */
  hostPrefix?: string;
  /** Latency proxies listen on the bridge address at this port plus the host number (default 2200). */
  proxyPortBase?: number;
  /** Hosts started at once (default 16: start-up is mostly waiting on short processes). */
  concurrency?: number;
}

/** The settings a lab was built with, derived once from `LabOptions`. */
export interface LabConfig {
  dir: string;
  prefix: string;
  bridge: string;
  subnet: string;
  /** The bridge's address in the root namespace: `x.y.z.1`. */
  gateway: string;
  inventory: string;
  hostPrefix: string;
  proxyPortBase: number;
  concurrency: number;
  hosts: LabHostSpec[];
}

/** One host the lab should have: name, number, address and groups. */
export interface LabHostSpec {
  name: string;
  index: number;
  address: string;
  groups: string[];
}

/** One running (or stopped) lab host as recorded in the state file. */
export interface LabHost extends LabHostSpec {
  /** Network namespace, `<prefix>-<name>`. */
  netns: string;
  /** Root-namespace end of the host's veth pair, enslaved to the bridge. */
  veth: string;
  /** PID of the host's sshd (`-D`, so the PID we spawned); null while stopped. */
  sshdPid: number | null;
  sshdConfig: string;
  hostKey: string;
  /** Bind-mounted on the host's /etc/sysctl.d. */
  sysctlDir: string;
  /** Bind-mounted on the host's /root. */
  rootDir: string;
  logFile: string;
  readOnlyProcSys: boolean;
  /** 0 when no latency proxy runs for this host. */
  latencyMs: number;
  proxyPid: number | null;
  proxyPort: number;
}

/** Contents of `<dir>/state.json`: everything `down` needs to undo. */
export interface LabState extends Omit<LabConfig, 'concurrency' | 'hosts'> {
  version: 1;
  clientKey: string;
  knownHosts: string;
  authorizedKeys: string;
  proxyScript: string;
  /** This lab added the `unreachable 198.18.0.0/15` route (remove it when the last lab goes). */
  createdUnreachableRoute: boolean;
  /** This lab created /run/sshd (sshd's privilege-separation directory). */
  createdRunSshd: boolean;
  createdAt: string;
  updatedAt: string;
  hosts: LabHost[];
}

/** Health of one host as `labStatus` sees it. */
export interface HostStatus {
  name: string;
  address: string;
  groups: string[];
  netns: boolean;
  sshd: 'up' | 'down';
  sshdPid: number | null;
  readOnlyProcSys: boolean;
  latencyMs: number;
  proxy: 'up' | 'down' | 'none';
}

/** What `labStatus` reports: no lab at all, or the recorded state plus live health. */
export type LabStatus = { running: false; dir: string } | { running: true; dir: string; healthy: boolean; state: LabState; hosts: HostStatus[] };
