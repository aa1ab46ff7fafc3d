import { parseAnsibleVersion } from '../ansible/argv.js';
import { ExitCode, FleetError } from '../errors.js';
import { run, which } from '../io/exec.js';

export const MIN_ANSIBLE: [number, number] = [2, 14];

/** Fail early, with the fix, when the controller lacks what fleet needs. */
export async function checkEnvironment(): Promise<{ ansibleVersion: string }> {
  const missing: string[] = [];
  for (const cmd of ['ansible-playbook', 'ansible-inventory', 'ssh']) if (!(await which(cmd))) missing.push(cmd);
  if (missing.length) {
    throw new FleetError(`${missing.join(', ')} not found on PATH`, ExitCode.environment, [
      'install them: sudo apt-get install ansible openssh-client (or pip install ansible-core, then ansible-galaxy collection install ansible.posix)',
    ]);
  }
  const r = await run('ansible-playbook', ['--version'], { env: { ANSIBLE_NOCOLOR: '1' } });
  const v = parseAnsibleVersion(r.stdout);
  if (!v) throw new FleetError(`cannot tell the Ansible version from \`ansible-playbook --version\`: ${r.stdout.split('\n')[0] ?? ''}${r.stderr}`, ExitCode.environment);
  if (v[0] < MIN_ANSIBLE[0] || (v[0] === MIN_ANSIBLE[0] && v[1] < MIN_ANSIBLE[1])) {
    throw new FleetError(`ansible-core ${v.join('.')} is too old; fleet needs ${MIN_ANSIBLE.join('.')} or newer`, ExitCode.environment, [
      'upgrade: sudo apt-get install ansible (Debian 12+) or pip install -U ansible-core',
    ]);
  }
  return { ansibleVersion: v.join('.') };
}

/** Messages Ansible prints when ansible.posix is missing; turned into an exit-3 error with the fix. */
export function missingCollection(stderr: string): FleetError | undefined {
  if (/ansible\.posix|couldn't resolve module\/action 'ansible\.posix|Invalid callback for stdout specified/i.test(stderr)) {
    return new FleetError('the ansible.posix collection is missing', ExitCode.environment, [
      'install it: sudo apt-get install ansible (includes it) or ansible-galaxy collection install ansible.posix',
    ]);
  }
  return undefined;
}
