// Host names Ansible would read as something else (issue 15 case 8).
import { describe, expect, it } from 'vitest';
import { hostPatternProblem, nameProblem } from '../../src/policy/names.js';
import { errorsOf } from './helpers.js';

describe('inline host names are checked against how Ansible reads them', () => {
  it('db1:2222 is refused with how to write the port', () => {
    expect(errorsOf('version: 1\nreserved_ports: 5000\ninventory:\n  hosts:\n    "db1:2222":\n      ansible_host: 10.0.0.1\n')).toEqual([
      '5:5 inventory.hosts["db1:2222"]: host name "db1:2222" is read by Ansible as host "db1" with port 2222: name the host db1 and set its port with ansible_port: 2222',
    ]);
    expect(nameProblem('host', '[2001:db8::1]:22')).toContain('set its port with ansible_port: 22');
  });

  it('a range pattern is refused: Ansible would expand it', () => {
    expect(nameProblem('host', 'web[1:3]')).toBe('host name "web[1:3]" is a range pattern that Ansible expands into several hosts: list each host by name');
    expect(nameProblem('host', 'db-[a:c].example.com')).toContain('range pattern');
  });

  it('YAML specials are not host names', () => {
    for (const n of ['<<', '~', '? x', '- x', '!x', '&a', '*a']) expect(nameProblem('host', n), n).toBeDefined();
  });

  it('IPv6 addresses and ordinary names are fine', () => {
    for (const n of ['2001:db8::1', 'fe80::1', 'web-1.example.com', '10.0.0.1', 'db_2']) {
      expect(hostPatternProblem(n), n).toBeUndefined();
      expect(nameProblem('host', n), n).toBeUndefined();
    }
  });
});
