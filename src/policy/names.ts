/**
 * Host names, group names and inline host variables end up in files Ansible
 * reads and templates. Anything that Jinja or a shell could interpret is
 * rejected here, at the boundary, rather than escaped later.
 */

/** Ansible's own rule for group names (it warns and mangles anything else). */
export const GROUP_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** DNS names, IPv4 and IPv6 literals; nothing a shell or Jinja would read specially, and no `name:port` (see hostPatternProblem). */
export const HOST_NAME = /^(?![^:]*:\d+$)[A-Za-z0-9][A-Za-z0-9._:-]*$/;
export const MAX_HOST_NAME = 253;
/** A host name with no `:` and no character a shell or Jinja reads specially: always valid. */
const PLAIN_HOST = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Connection variables an inline inventory may set; everything else belongs in a real inventory. */
export const HOST_VAR_KEYS = [
  'ansible_host',
  'ansible_port',
  'ansible_user',
  'ansible_ssh_private_key_file',
  'ansible_ssh_common_args',
  'ansible_python_interpreter',
  'ansible_become',
  'ansible_connection',
] as const;

/** Host variable strings: no Jinja, no `$`, no backticks, no line breaks (same rule as hostVarProblem). */
export const SAFE_VAR_STRING = /^(?![\s\S]*\{[{%#])[^$`\r\n\0]*$/;

const JINJA = /\{[{%#]/;
const SHELL_META = /[;&|`$()<>\\"'*?[\]{}!#~\s\0]/;

function jinjaOrShell(text: string): string | undefined {
  const j = JINJA.exec(text);
  if (j) return `contains Jinja template syntax \`${j[0]}\``;
  const s = SHELL_META.exec(text);
  if (s) return `contains the shell metacharacter ${JSON.stringify(s[0])}`;
  return undefined;
}

/**
 * How Ansible's inventory parser would misread `name` as a host name, or
 * undefined. It splits `db1:2222` (and `[::1]:22`) into a host and a port,
 * and expands `web[1:3]` into web1..web3, so fleet would wait for a host that
 * never reports. IPv6 addresses (more than one `:`) are read as they are.
 */
export function hostPatternProblem(name: string): string | undefined {
  const shown = JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name);
  const port = /^([^:[\]]+):(\d+)$/.exec(name) ?? /^\[([^\]]+)\]:(\d+)$/.exec(name);
  if (port)
    return `host name ${shown} is read by Ansible as host ${JSON.stringify(port[1])} with port ${port[2]}: name the host ${port[1]} and set its port with ansible_port: ${port[2]}`;
  if (/\[[^\]]*:[^\]]*\]/.test(name)) return `host name ${shown} is a range pattern that Ansible expands into several hosts: list each host by name`;
  return undefined;
}

/** Why `name` is not a valid group or host name, or undefined when it is fine. */
export function nameProblem(kind: 'group' | 'host', name: string): string | undefined {
  // the common case, decided at once: these characters are safe for Ansible, Jinja and a shell
  if (kind === 'group' ? GROUP_NAME.test(name) : name.length <= MAX_HOST_NAME && PLAIN_HOST.test(name)) return undefined;
  const shown = JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name);
  if (name === '') return `an empty ${kind} name is not allowed`;
  const pattern = kind === 'host' ? hostPatternProblem(name) : undefined;
  if (pattern) return pattern;
  const bad = jinjaOrShell(name);
  if (bad) return `${kind} name ${shown} ${bad}`;
  if (kind === 'group') {
    return GROUP_NAME.test(name) ? undefined : `group name ${shown} is not a valid Ansible group name (letters, digits and _, not starting with a digit)`;
  }
  if (name.length > MAX_HOST_NAME) return `host name ${shown} is longer than ${MAX_HOST_NAME} characters`;
  return HOST_NAME.test(name)
    ? undefined
    : `host name ${shown} is not a valid host name (letters, digits, ".", "-", "_", and ":" in IPv6 addresses; starting with a letter or digit)`;
}

/**
 * Characters a plain connection value (address, user, path) never needs. SSH
 * options in ansible_ssh_common_args legitimately hold spaces, quotes and `%`,
 * so that one key only loses the characters that chain or redirect commands.
 */
const VALUE_META = /[;&|`$()<>\\"'*?[\]{}!#~\s\0]/;
const SSH_ARGS_META = /[;&|`$<>\\\0]/;

/** Why an inline host variable's string value is unsafe, or undefined. */
export function hostVarProblem(value: string, key?: string): string | undefined {
  const j = JINJA.exec(value);
  if (j) return `${JSON.stringify(value)} contains Jinja template syntax \`${j[0]}\``;
  // Without a key: the rule the JSON Schema publishes (SAFE_VAR_STRING); with one, the stricter per-key rule.
  const strict = key === undefined ? undefined : key === 'ansible_ssh_common_args' ? SSH_ARGS_META : VALUE_META;
  const s = /[$`\r\n\0]/.exec(value) ?? strict?.exec(value);
  if (s) return `${JSON.stringify(value)} contains ${JSON.stringify(s[0])}, which Ansible or a shell would interpret`;
  return undefined;
}
