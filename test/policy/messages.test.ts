import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/policy/diagnostic.js';
import { parsePolicyText } from '../../src/policy/parse.js';
import { HEAD, errorsOf } from './helpers.js';

describe('acceptance: typo, port 70000 and a reversed range', () => {
  const text = `version: 1
inventory: ../inventories/lab.yml
reserved_port: 5000-10000
groups:
  proxies:
    reserved_ports: [8080, 70000]
  web:
    reserved_ports: 10000-5000
`;
  it('gives exactly those three errors, in file order, with line:col and path', () => {
    expect(errorsOf(text)).toEqual([
      '3:1 reserved_port: unknown key `reserved_port` (did you mean `reserved_ports`?)',
      '6:28 groups.proxies.reserved_ports[1]: 70000 is above 65535',
      '8:21 groups.web.reserved_ports: 10000-5000 is a reversed range (write 5000-10000)',
    ]);
  });
  it('formats a diagnostic as file:line:col path: message', () => {
    const [, second] = parsePolicyText(text, 'policy.yaml').errors;
    expect(formatDiagnostic(second!)).toBe('policy.yaml:6:28 groups.proxies.reserved_ports[1]: 70000 is above 65535');
  });
});

// Each case: the YAML after HEAD (which is 2 lines) -> the only expected error.
const table: [string, string, string][] = [
  ['port above 65535', 'reserved_ports: 70000\n', '3:17 reserved_ports: 70000 is above 65535'],
  ['port 0', 'reserved_ports: [0]\n', '3:18 reserved_ports[0]: 0 is below 1'],
  ['negative port', 'reserved_ports: [1, -5]\n', '3:21 reserved_ports[1]: -5 is below 1'],
  ['float port', 'reserved_ports: 12.5\n', '3:17 reserved_ports: 12.5 is not an integer'],
  [
    'boolean port',
    'reserved_ports: [true]\n',
    '3:18 reserved_ports[0]: true (a boolean) is not a port (expected a port like 8080 or a range like "5000-10000")',
  ],
  ['mapping port', 'reserved_ports:\n  - {a: 1}\n', '4:5 reserved_ports[0]: a mapping is not a port (expected a port like 8080 or a range like "5000-10000")'],
  ['reversed range', 'reserved_ports: 10000-5000\n', '3:17 reserved_ports: 10000-5000 is a reversed range (write 5000-10000)'],
  ['whitespace', 'reserved_ports: "5000, 6000"\n', '3:17 reserved_ports: "5000, 6000" contains whitespace (the kernel rejects it; write "5000,6000")'],
  ['empty string', 'reserved_ports: ""\n', '3:17 reserved_ports: an empty string is not a port (expected a port like 8080 or a range like "5000-10000")'],
  ['kernel form, one bad token', 'reserved_ports: "1-5,70000"\n', '3:17 reserved_ports: "1-5,70000": 70000 is above 65535'],
  ['empty value', 'reserved_ports:\n', '3:1 reserved_ports: an empty value is not a port (expected a port like 8080 or a range like "5000-10000")'],
  [
    'unknown nested key',
    'reserved_ports: 5000\ngroups:\n  web:\n    reservd_ports: 1\n',
    '6:5 groups.web.reservd_ports: unknown key `reservd_ports` (did you mean `reserved_ports`?)',
  ],
  ['unknown key, nothing close', 'reserved_ports: 5000\ncolour: red\n', '4:1 colour: unknown key `colour`'],
  ['mode typo', 'reserved_ports: 5000\nmode: exat\n', '4:7 mode: "exat" is not "exact" or "additive" (did you mean `exact`?)'],
  ['forks type', 'reserved_ports: 5000\nansible: {forks: "x"}\n', '4:18 ansible.forks: expected a number, got "x"'],
  [
    'become yes',
    'reserved_ports: 5000\nansible:\n  become: yes\n',
    '5:11 ansible.become: expected true or false, got "yes" (or write { method, user, reads })',
  ],
  [
    'become method',
    'reserved_ports: 5000\nansible:\n  become: {method: "sudo -i"}\n',
    '5:20 ansible.become.method: "sudo -i" is not a become plugin name (sudo, su, doas, ...)',
  ],
  ['targets with a space', 'reserved_ports: 5000\ntargets: "web db"\n', '4:10 targets: "web db" is not a host pattern (no spaces; e.g. "linux:!windows")'],
  ['serial', 'reserved_ports: 5000\nansible: {serial: 0}\n', '4:19 ansible.serial: 0 is below 1'],
  ['timeout', 'reserved_ports: 5000\nansible: {timeout: 0}\n', '4:20 ansible.timeout: 0 is below 1'],
  [
    'persist file',
    'reserved_ports: 5000\npersist_file: /etc/x.txt\n',
    '4:15 persist_file: "/etc/x.txt" must be an absolute path ending in .conf, without spaces or shell characters',
  ],
  [
    'persist file dot-dot',
    'reserved_ports: 5000\npersist_file: /etc/sysctl.d/../x.conf\n',
    '4:15 persist_file: "/etc/sysctl.d/../x.conf" must be an absolute path ending in .conf, without spaces or shell characters',
  ],
  ['ephemeral reversed', 'reserved_ports: 5000\nephemeral_range: 60999-32768\n', '4:18 ephemeral_range: 60999-32768 is a reversed range (write 32768-60999)'],
  [
    'ephemeral three numbers',
    'reserved_ports: 5000\nephemeral_range: [1, 2, 3]\n',
    '4:18 ephemeral_range: a range needs exactly two numbers like [32768, 60999], got 3',
  ],
  ['ephemeral bad item', 'reserved_ports: 5000\nephemeral_range: [32768, 70000]\n', '4:26 ephemeral_range[1]: 70000 is above 65535'],
  [
    'group name',
    'reserved_ports: 5000\ngroups:\n  web-1: {reserved_ports: 1}\n',
    '5:3 groups.web-1: group name "web-1" is not a valid Ansible group name (letters, digits and _, not starting with a digit)',
  ],
  [
    'host name with jinja',
    'reserved_ports: 5000\nhosts:\n  "{{x}}": {reserved_ports: 1}\n',
    '5:3 hosts["{{x}}"]: host name "{{x}}" contains Jinja template syntax `{{`',
  ],
  [
    'host name with backtick',
    'reserved_ports: 5000\nhosts:\n  "a`b": {reserved_ports: 1}\n',
    '5:3 hosts["a`b"]: host name "a`b" contains the shell metacharacter "`"',
  ],
  ['min_ephemeral_ports', 'reserved_ports: 5000\nmin_ephemeral_ports: 1.5\n', '4:22 min_ephemeral_ports: expected an integer, got 1.5'],
];

const inline = (host: string) => `version: 1\nreserved_ports: 5000\ninventory:\n  hosts:\n    h1: ${host}\n`;
describe('inline host variables that are not a mapping say so (not zod\'s "Invalid input")', () => {
  it.each([
    ['5', '5:9 inventory.hosts.h1: expected a mapping, got 5'],
    ['[a]', '5:9 inventory.hosts.h1: expected a mapping, got a list'],
    ['"x"', '5:9 inventory.hosts.h1: expected a mapping, got "x"'],
  ])('h1: %s', (value, expected) => expect(errorsOf(inline(value))).toEqual([expected]));
});

describe('one problem -> one exact message', () => {
  it.each(table)('%s', (_, body, expected) => {
    expect(errorsOf(HEAD + body)).toEqual([expected]);
  });
});

describe('document-level problems point at 1:1 or at the YAML error', () => {
  it.each([
    ['empty file', '', '1:1 (document): the file is empty; a policy needs at least `version: 1`, `inventory` and `reserved_ports`'],
    ['comments only', '# nothing\n', '1:1 (document): the file is empty; a policy needs at least `version: 1`, `inventory` and `reserved_ports`'],
    ['a list', '- 1\n', '1:1 (document): the top level must be a mapping of keys like `version: 1`, but it is a list'],
    ['a scalar', 'hello\n', '1:1 (document): the top level must be a mapping of keys like `version: 1`, but it is a single value ("hello")'],
    ['missing version', 'inventory: x\nreserved_ports: 1\n', '1:1 version: required key `version` is missing; add `version: 1` at the top'],
    ['wrong version', 'version: "1"\ninventory: x\nreserved_ports: 1\n', '1:10 version: expected 1, got "1"'],
    ['duplicate key', 'version: 1\nversion: 1\n', '2:1 version: duplicate key "version" (each key may appear once in a mapping)'],
    ['NUL byte', 'version: 1\nab\0c\n', '2:3 (document): the file contains binary data (a NUL, control character or invalid UTF-8); a policy is YAML text'],
  ])('%s', (_, text, expected) => {
    expect(errorsOf(text)).toEqual([expected]);
  });

  it('reports a YAML syntax error with its position', () => {
    const [e] = errorsOf(`${HEAD}reserved_ports: [1, 2\nmode: exact\n`);
    expect(e).toMatch(/^\d+:\d+ \S+: YAML syntax error: /);
  });

  it('reports every problem at once', () => {
    const text = `version: 3\nmode: fast\nreserved_ports: [0, 70000, 5-1]\nextra: 1\n`;
    expect(errorsOf(text)).toEqual([
      '1:1 inventory: required key `inventory` is missing; add `inventory: path/to/inventory` or an inline `inventory: { hosts: ..., groups: ... }`',
      '1:10 version: expected 1, got 3',
      '2:7 mode: "fast" is not "exact" or "additive"',
      '3:18 reserved_ports[0]: 0 is below 1',
      '3:21 reserved_ports[1]: 70000 is above 65535',
      '3:28 reserved_ports[2]: 5-1 is a reversed range (write 1-5)',
      '4:1 extra: unknown key `extra`',
    ]);
  });
});
