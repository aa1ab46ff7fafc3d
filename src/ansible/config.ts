/**
 * Layering fleet's needs on top of the user's own Ansible configuration (pure).
 *
 * Ansible reads exactly one ansible.cfg (ANSIBLE_CONFIG, ./ansible.cfg,
 * ~/.ansible.cfg, /etc/ansible/ansible.cfg; never a merge of two) and lets
 * ANSIBLE_* environment variables override single settings of it. fleet keeps
 * the user's file in force and sets only the settings listed by
 * `fleetSettings`, as environment variables: everything else (keys, remote
 * user, vault identities, become defaults, collections path, interpreter,
 * callbacks) stays the user's.
 */

/** Ansible's own ssh_args when none is configured (ssh connection plugin, ansible-core 2.14). */
export const DEFAULT_SSH_ARGS = '-C -o ControlMaster=auto -o ControlPersist=60s';

/** What fleet needs from the user's effective configuration (from `ansible-config dump --only-changed`). */
export interface UserAnsibleConfig {
  /** The ansible.cfg in force, if any. */
  file?: string;
  /** ssh_args of the ssh connection plugin, when the user changed it. */
  sshArgs?: string;
  /** forks, when the user changed it. */
  forks?: number;
}

/** One setting fleet makes on top of the user's configuration. */
export interface FleetSetting {
  env: string;
  value: string;
  /** Where the same setting lives in an ansible.cfg (for `fleet render`). */
  ini?: [section: string, key: string];
  why: string;
}

/** Candidate config files in Ansible's search order (the first that exists wins). */
export function configCandidates(env: { ANSIBLE_CONFIG?: string | undefined }, cwd: string, home: string | undefined, cwdWorldWritable: boolean): string[] {
  const out: string[] = [];
  if (env.ANSIBLE_CONFIG) out.push(env.ANSIBLE_CONFIG);
  // Ansible ignores ./ansible.cfg in a world-writable folder (anyone could plant one).
  if (!cwdWorldWritable) out.push(`${cwd}/ansible.cfg`);
  if (home) out.push(`${home}/.ansible.cfg`);
  out.push('/etc/ansible/ansible.cfg');
  return out;
}

type DumpEntry = { name?: unknown; value?: unknown } & Record<string, unknown>;

/** Parse `ansible-config dump --only-changed -t all --format json`. */
export function parseConfigDump(json: unknown): UserAnsibleConfig {
  const out: UserAnsibleConfig = {};
  if (!Array.isArray(json)) return out;
  for (const e of json as DumpEntry[]) {
    if (e.name === 'CONFIG_FILE' && typeof e.value === 'string' && e.value) out.file = e.value;
    if (e.name === 'DEFAULT_FORKS' && typeof e.value === 'number') out.forks = e.value;
    const conns = e.CONNECTION_PLUGINS;
    if (!Array.isArray(conns)) continue;
    for (const plugin of conns as Record<string, unknown>[]) {
      const ssh = plugin.ssh;
      if (!Array.isArray(ssh)) continue;
      for (const opt of ssh as DumpEntry[]) if (opt.name === 'ssh_args' && typeof opt.value === 'string') out.sshArgs = opt.value;
    }
  }
  return out;
}

/** The `-o Name=value` option names in an ssh argument string, lower-cased. */
function sshOptionNames(args: string): Set<string> {
  const names = new Set<string>();
  for (const m of args.matchAll(/-o\s*['"]?([A-Za-z]+)\s*[= ]/g)) names.add(m[1]!.toLowerCase());
  return names;
}

/**
 * The user's ssh_args (or Ansible's default) with connection reuse appended
 * when it is missing. ssh takes the first value given for an option, so
 * anything the user set stays in force; fleet only fills the gaps.
 */
export function layerSshArgs(userArgs: string | undefined): string {
  const base = userArgs ?? DEFAULT_SSH_ARGS;
  const have = sshOptionNames(base);
  const add = [
    ['controlmaster', '-o ControlMaster=auto'],
    ['controlpersist', '-o ControlPersist=60s'],
  ]
    .filter(([name]) => !have.has(name!))
    .map(([, arg]) => arg);
  return [base.trim(), ...add].filter(Boolean).join(' ');
}

export interface SettingsInput {
  user: UserAnsibleConfig;
  /** Forks the policy sets (undefined: the user's, else sized to the fleet). */
  policyForks?: number;
  hosts: number;
  remoteUser?: string;
  timeout?: number;
  /** Socket folder fleet manages (its own runs); a rendered project leaves Ansible's default. */
  controlPathDir?: string;
}

/**
 * Exactly what fleet sets on top of the user's configuration. Output and
 * safety settings are fixed; ssh_args is layered; forks, remote user and
 * timeout only when the policy says so (forks also when nobody did: Ansible's
 * 5 is slow for a fleet).
 */
export function fleetSettings(i: SettingsInput): FleetSetting[] {
  const forks = i.policyForks ?? i.user.forks ?? Math.max(1, Math.min(i.hosts, 50));
  const s: FleetSetting[] = [
    {
      env: 'ANSIBLE_STDOUT_CALLBACK',
      value: 'ansible.posix.jsonl',
      ini: ['defaults', 'stdout_callback'],
      why: 'structured results, one JSON event per line (your callbacks_enabled stay enabled)',
    },
    { env: 'ANSIBLE_LOAD_CALLBACK_PLUGINS', value: '1', ini: ['defaults', 'bin_ansible_callbacks'], why: 'the same callback for ad-hoc listing' },
    { env: 'ANSIBLE_JSON_INDENT', value: '0', ini: ['defaults', 'json_indent'], why: 'one event per line' },
    { env: 'ANSIBLE_NOCOLOR', value: '1', ini: ['defaults', 'nocolor'], why: 'no escape codes in the events' },
    { env: 'ANSIBLE_FORCE_COLOR', value: '0', ini: ['defaults', 'force_color'], why: 'no escape codes in the events' },
    { env: 'ANSIBLE_RETRY_FILES_ENABLED', value: '0', ini: ['defaults', 'retry_files_enabled'], why: 'no .retry files next to the playbooks' },
    {
      env: 'ANSIBLE_INVENTORY_UNPARSED_FAILED',
      value: '1',
      ini: ['inventory', 'unparsed_is_failed'],
      why: 'a missing inventory is an error, not a run on zero hosts',
    },
    { env: 'ANSIBLE_LOCALHOST_WARNING', value: '0', ini: ['defaults', 'localhost_warning'], why: 'quiet stderr' },
    { env: 'ANSIBLE_DEPRECATION_WARNINGS', value: '0', ini: ['defaults', 'deprecation_warnings'], why: 'quiet stderr' },
    { env: 'ANSIBLE_SYSTEM_WARNINGS', value: '0', ini: ['defaults', 'system_warnings'], why: 'quiet stderr' },
    { env: 'ANSIBLE_PIPELINING', value: 'True', ini: ['ssh_connection', 'pipelining'], why: 'one SSH operation per task instead of six' },
    {
      env: 'ANSIBLE_SSH_ARGS',
      value: layerSshArgs(i.user.sshArgs),
      ini: ['ssh_connection', 'ssh_args'],
      why: i.user.sshArgs === undefined ? "Ansible's default ssh_args (connection reuse)" : 'your ssh_args, with connection reuse appended where missing',
    },
    {
      env: 'ANSIBLE_FORKS',
      value: String(forks),
      ini: ['defaults', 'forks'],
      why:
        i.policyForks !== undefined
          ? "the policy's ansible.forks"
          : i.user.forks !== undefined
            ? 'your forks'
            : "one per host up to 50 (Ansible's 5 is slow for a fleet)",
    },
  ];
  if (i.controlPathDir !== undefined) {
    s.push({
      env: 'ANSIBLE_SSH_CONTROL_PATH_DIR',
      value: i.controlPathDir,
      ini: ['ssh_connection', 'control_path_dir'],
      why: 'short private socket folder (108-byte limit), closed by fleet after an interruption',
    });
  }
  if (i.remoteUser !== undefined)
    s.push({
      env: 'ANSIBLE_REMOTE_USER',
      value: i.remoteUser,
      ini: ['defaults', 'remote_user'],
      why: "the policy's ansible.user (inventory ansible_user still wins)",
    });
  if (i.timeout !== undefined) s.push({ env: 'ANSIBLE_TIMEOUT', value: String(i.timeout), ini: ['defaults', 'timeout'], why: "the policy's ansible.timeout" });
  return s;
}

/** Settings as the environment of an Ansible process, with the user's config file kept in force. */
export function settingsEnv(settings: readonly FleetSetting[], configFile: string | undefined): Record<string, string> {
  return { ...(configFile ? { ANSIBLE_CONFIG: configFile } : {}), ...Object.fromEntries(settings.map((s) => [s.env, s.value])) };
}

/** `fleet plan --verbose`: which file is in force and every setting fleet puts on top. */
export function describeSettings(settings: readonly FleetSetting[], configFile: string | undefined): string[] {
  const width = Math.max(...settings.map((s) => s.env.length + s.value.length + 1));
  return [
    `Ansible configuration in force: ${configFile ?? "none found (Ansible's defaults)"}`,
    'fleet sets on top of it (environment variables; everything else is yours):',
    ...settings.map((s) => `  ${`${s.env}=${s.value}`.padEnd(width)}  # ${s.why}`),
    '  play: gather_facts: false; become only where the policy says (ansible.become)',
  ];
}
