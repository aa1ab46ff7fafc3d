// ansible/: fleet's settings layered on the user's ansible.cfg, argv and env builders, the read script, JSONL callback events -> outcomes (pure).
/** Pure builders for Ansible command lines and environment. Tested as tables. */

export interface PlaybookArgs {
  playbook: string;
  /** Inventory sources, each passed with -i (so the user's configured inventory is not used instead). */
  inventories?: readonly string[];
  /** Ansible --limit pattern, passed through. */
  limit?: string;
  /** Vault and become password options (paths to files, never secrets). */
  extra?: readonly string[];
}

export function playbookArgv(a: PlaybookArgs): string[] {
  const argv = [a.playbook, ...(a.inventories ?? []).flatMap((i) => ['-i', i])];
  if (a.limit) argv.push('--limit', a.limit);
  argv.push(...(a.extra ?? []));
  return argv;
}

/** `ansible PATTERN [--limit L] --list-hosts`: Ansible's own pattern semantics for targets and --limit. */
export function listHostsArgv(inventories: readonly string[], pattern: string, limit?: string, extra: readonly string[] = []): string[] {
  return [...inventories.flatMap((i) => ['-i', i]), pattern, ...(limit ? ['--limit', limit] : []), '--list-hosts', ...extra];
}

export function inventoryListArgv(source: string, extra: readonly string[] = []): string[] {
  return ['-i', source, '--list', ...extra];
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
