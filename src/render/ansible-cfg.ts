import type { AnsibleSettings } from '../policy/types.js';

export interface CfgInput {
  header: string;
  inventories: string[];
  forks: number;
  settings: AnsibleSettings;
  controlPathDir?: string;
}

type Ini = [section: string, entries: [string, string | number | undefined][]][];

/**
 * ansible.cfg for the rendered project. Speed levers from the field notes:
 * pipelining, SSH connection reuse (ControlPersist, so the apply and verify
 * phases share connections), no fact gathering. Host key checking and the
 * user's SSH key exchange are left as they are: we do not weaken SSH.
 */
export function renderAnsibleCfg(c: CfgInput): string {
  const ini: Ini = [
    [
      'defaults',
      [
        ['inventory', c.inventories.join(',')],
        ['forks', c.forks],
        ['gathering', 'explicit'],
        ['retry_files_enabled', 'False'],
        ['interpreter_python', 'auto_silent'],
        ['timeout', c.settings.timeout],
        ['remote_user', c.settings.user],
      ],
    ],
    ['inventory', [['unparsed_is_failed', 'True']]],
    [
      'ssh_connection',
      [
        ['pipelining', 'True'],
        // ssh_args replaces Ansible's default; keep the default's options.
        ['ssh_args', '-C -o ControlMaster=auto -o ControlPersist=60s'],
        ['control_path_dir', c.controlPathDir],
      ],
    ],
  ];
  const lines = c.header.split('\n').map((l) => `# ${l}`);
  for (const [section, entries] of ini) {
    lines.push('', `[${section}]`);
    for (const [k, v] of entries) if (v !== undefined) lines.push(`${k} = ${v}`);
  }
  return lines.join('\n') + '\n';
}
