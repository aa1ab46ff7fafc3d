// render/: the Ansible project as data: ansible.cfg, inventories, playbooks, the apply and filter plugins, the pull repository (pure).
import type { FleetSetting } from '../ansible/config.js';

export interface CfgInput {
  header: string;
  inventories: string[];
  /** What fleet sets (the same list its own runs put in the environment). */
  settings: readonly FleetSetting[];
  /** The user's ansible.cfg fleet's own runs keep in force, if any. */
  userConfig?: string;
  /** Comment lines that replace the one about fleet's own runs (for a project fleet never runs itself); the settings follow. */
  explain?: string[];
}

/**
 * ansible.cfg for a rendered project, to run it by hand or from AWX. fleet's
 * own runs do not use this file: they keep the user's ansible.cfg in force and
 * put exactly these settings in the environment. The header says so, and
 * lists them as environment variables, so the two never differ silently.
 */
export function renderAnsibleCfg(c: CfgInput): string {
  const sections = new Map<string, [string, string][]>([['defaults', [['inventory', c.inventories.join(',')]]]]);
  for (const s of c.settings) {
    if (!s.ini) continue;
    const [section, key] = s.ini;
    if (!sections.has(section)) sections.set(section, []);
    sections.get(section)!.push([key, s.value]);
  }
  const lines = c.header.split('\n').map((l) => `# ${l}`);
  lines.push(
    '#',
    ...(
      c.explain ?? [
        `fleet's own runs keep your Ansible configuration in force (${c.userConfig ?? 'none was found'}) and set only`,
        'these settings on top of it, as environment variables (Ansible never merges two ansible.cfg files).',
        'To run this project with your own ansible.cfg instead of this one, export them:',
      ]
    ).map((l) => `# ${l}`),
    ...c.settings.map((s) => `#   ${s.env}=${s.value}`),
  );
  for (const [section, entries] of sections) {
    lines.push('', `[${section}]`);
    for (const [k, v] of entries) lines.push(`${k} = ${v}`);
  }
  return lines.join('\n') + '\n';
}
