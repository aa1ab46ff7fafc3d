/**
 * Inline connection settings that would run code on the controller (the
 * machine running fleet) rather than reach a host: SSH options that start
 * local commands or load local code, and the `local` connection. A policy is
 * configuration with the power of an inventory; these checks keep an inline
 * inventory from being more than "where the hosts are and how to log in".
 * Pure.
 */

/** Host variables whose value is passed to ssh (or scp/sftp) as arguments. */
export const SSH_ARG_KEYS = new Set([
  'ansible_ssh_common_args',
  'ansible_ssh_extra_args',
  'ansible_ssh_args',
  'ansible_scp_extra_args',
  'ansible_sftp_extra_args',
]);

/** ssh_config keywords that run a command or load code on the controller, and why. */
const CONTROLLER_OPTIONS: Record<string, string> = {
  proxycommand: 'runs a command on the controller to open each connection',
  localcommand: 'runs a command on the controller after each connection',
  permitlocalcommand: 'enables LocalCommand, which runs a command on the controller',
  knownhostscommand: 'runs a command on the controller to look up host keys',
  match: '(Match exec) runs a command on the controller to choose settings',
  include: 'reads another ssh config file, which can run commands on the controller',
  pkcs11provider: 'loads a shared library into ssh on the controller',
  securitykeyprovider: 'loads a shared library into ssh on the controller',
};

// the keyword as an option: after `-o` (with or without a space or quote), a quote or a space; never as a value after `=`
const OPTION = new RegExp(`(?:^|[\\s'"]|-o)\\s*['"]?(${Object.keys(CONTROLLER_OPTIONS).join('|')})(?=[\\s='"]|$)`, 'i');
// ssh flags that name a config file (-F) or a PKCS#11 library (-I), alone or in a cluster like -vF
const FLAG = /(?:^|\s)-[A-Za-z]*([FI])/;

const ADVICE = 'set such options in your own ~/.ssh/config or in a source inventory you control, not inline in a policy';

/** Why an ssh argument string is refused, or undefined. */
export function sshArgsProblem(key: string, value: string): string | undefined {
  const o = OPTION.exec(value);
  if (o) {
    const word = o[1]!;
    return `${key} sets ${word}, which ${CONTROLLER_OPTIONS[word.toLowerCase()]} (even on fleet check); ${ADVICE}`;
  }
  const f = FLAG.exec(value);
  if (f) {
    const why = f[1] === 'F' ? 'reads another ssh config file, which can run commands on the controller' : 'loads a PKCS#11 library into ssh on the controller';
    return `${key} passes -${f[1]}, which ${why}; ${ADVICE}`;
  }
  return undefined;
}

/** Connection plugins that reach a host over SSH; `local` only when the policy allows it. */
const SSH_CONNECTIONS = new Set(['ssh', 'paramiko', 'paramiko_ssh', 'smart', 'ansible.builtin.ssh', 'ansible.builtin.paramiko_ssh']);
const LOCAL_CONNECTIONS = new Set(['local', 'ansible.builtin.local']);

/** Why an inline `ansible_connection` value is refused, or undefined. */
export function connectionProblem(value: string, allowLocal: boolean): string | undefined {
  if (SSH_CONNECTIONS.has(value)) return undefined;
  if (LOCAL_CONNECTIONS.has(value)) {
    return allowLocal
      ? undefined
      : `ansible_connection: ${value} runs the tasks on the controller itself (apply would change this machine's sysctls); if that is really meant, set inventory.allow_local_connection: true`;
  }
  return `ansible_connection: ${JSON.stringify(value)} is not an SSH connection (ssh or paramiko); fleet reaches hosts over SSH, put other connections in a source inventory`;
}
