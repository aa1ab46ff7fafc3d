/** Pure builders for Ansible command lines and environment. Tested as tables. */

export interface PlaybookArgs {
  playbook: string;
  /** Ansible --limit pattern, passed through. */
  limit?: string;
  check?: boolean;
  diff?: boolean;
}

export function playbookArgv(a: PlaybookArgs): string[] {
  const argv = [a.playbook];
  if (a.limit) argv.push('--limit', a.limit);
  if (a.check) argv.push('--check');
  if (a.diff) argv.push('--diff');
  return argv;
}

/** `ansible PATTERN --list-hosts`: Ansible's own pattern semantics for --limit. */
export function listHostsArgv(inventories: readonly string[], pattern: string): string[] {
  return [...inventories.flatMap((i) => ['-i', i]), pattern, '--list-hosts'];
}

export function inventoryListArgv(source: string): string[] {
  return ['-i', source, '--list'];
}

/**
 * Environment for every Ansible run fleet makes: structured output on stdout
 * (one JSON event per line), nothing else printing into it, no retry files,
 * a missing inventory is an error instead of a run on zero hosts.
 */
export function ansibleEnv(configPath: string | undefined): Record<string, string> {
  return {
    ...(configPath ? { ANSIBLE_CONFIG: configPath } : {}),
    ANSIBLE_STDOUT_CALLBACK: 'ansible.posix.jsonl',
    ANSIBLE_LOAD_CALLBACK_PLUGINS: '1',
    ANSIBLE_JSON_INDENT: '0',
    ANSIBLE_CALLBACKS_ENABLED: '',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_FORCE_COLOR: '0',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    ANSIBLE_INVENTORY_UNPARSED_FAILED: '1',
    ANSIBLE_LOCALHOST_WARNING: '0',
    ANSIBLE_DEPRECATION_WARNINGS: '0',
    ANSIBLE_SYSTEM_WARNINGS: '0',
  };
}

/** Parse `ansible --list-hosts` output: a header line then one host per line. */
export function parseListHosts(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => !/^\s*hosts \(\d+\):\s*$/.test(l))
    .map((l) => l.trim())
    .filter(Boolean);
}

/** `ansible-playbook --version` first line: `ansible-playbook [core 2.14.18]`. */
export function parseAnsibleVersion(stdout: string): [number, number, number] | undefined {
  const m = /core (\d+)\.(\d+)\.(\d+)/.exec(stdout);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}
