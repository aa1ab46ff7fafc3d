/**
 * Environment errors at the real CLI (issue 6): Ansible missing or too old,
 * ansible.posix missing, ssh missing, an inventory that cannot be read. Each
 * exits 3 with a message that says how to fix it.
 *
 * These tests stub the ENVIRONMENT (what is on PATH, which collections Ansible
 * can see, which inventory file exists), never Ansible's behaviour: wherever
 * Ansible runs here it is the real one. The one fake program is an
 * `ansible-playbook` that only answers `--version` like an old release would.
 * In process (runCli), not the lab.
 */
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { which } from '../../src/io/exec.js';
import { runCli } from '../support/cli.js';
import { sharedTempDir } from '../support/tmp.js';

const tmp = sharedTempDir('env');
const real: Record<string, string> = {};

/** A policy with an inline inventory: loading it needs no Ansible, so the environment check is what fails. */
function policy(inventory: unknown = { hosts: { web1: { ansible_host: '127.0.0.1', ansible_port: 1 } } }): string {
  const file = join(tmp, `policy-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify({ version: 1, inventory, reserved_ports: '40000-40100' }));
  return file;
}

/** A PATH folder holding only the named programs (symlinks to the real ones, or scripts). */
function binDir(name: string, entries: Record<string, { link: string } | { script: string }>): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  for (const [prog, e] of Object.entries(entries)) {
    if ('link' in e) symlinkSync(e.link, join(dir, prog));
    else {
      writeFileSync(join(dir, prog), e.script);
      chmodSync(join(dir, prog), 0o755);
    }
  }
  return dir;
}

function fleet(args: string[], env: Record<string, string> = {}) {
  // in process: PATH can be anything the test needs, it is this process's for the run only
  return runCli(args, { env: { FLEET_STATE_DIR: join(tmp, 'state'), ...env } });
}

describe('environment errors: exit 3 with the fix', () => {
  beforeAll(async () => {
    for (const p of ['ansible-playbook', 'ansible-inventory', 'ansible-config', 'ansible', 'ssh']) {
      const found = await which(p);
      if (!found) throw new Error(`${p} is not installed here; these tests need the real one to build their PATHs`);
      real[p] = found;
    }
  });

  it('no Ansible (nor ssh) on PATH: names what is missing and how to install it', async () => {
    const bin = binDir('bare', { node: { link: process.execPath } });
    const r = await fleet(['check', policy()], { PATH: bin });
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/ansible-playbook, ansible-inventory, ansible-config, ssh not found on PATH/);
    expect(r.stderr).toMatch(/apt-get install ansible|pip install ansible-core/);
  });

  it('ansible-core 2.9 on PATH: "too old", with the version needed and how to upgrade', async () => {
    const bin = binDir('old', {
      'ansible-playbook': { script: '#!/bin/sh\necho "ansible-playbook [core 2.9.27]"\necho "  python version = 3.11"\n' },
      'ansible-inventory': { link: real['ansible-inventory']! },
      'ansible-config': { link: real['ansible-config']! },
      ssh: { link: real.ssh! },
    });
    const r = await fleet(['check', policy()], { PATH: bin });
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/ansible-core 2\.9\.27 is too old; fleet needs 2\.14 or newer/);
    expect(r.stderr).toMatch(/upgrade: /);
  });

  it('Ansible but no ssh on PATH: names ssh and openssh-client', async () => {
    const bin = binDir('nossh', {
      'ansible-playbook': { link: real['ansible-playbook']! },
      'ansible-inventory': { link: real['ansible-inventory']! },
      'ansible-config': { link: real['ansible-config']! },
    });
    const r = await fleet(['check', policy()], { PATH: bin });
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/fleet: ssh not found on PATH/);
    expect(r.stderr).toMatch(/openssh-client/);
  });

  it('Ansible without the ansible.posix collection: names the collection and how to install it', async () => {
    const empty = join(tmp, 'no-collections');
    mkdirSync(empty);
    const r = await fleet(['check', policy()], { ANSIBLE_COLLECTIONS_PATH: empty, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH: 'False' });
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/ansible\.posix collection is missing/);
    expect(r.stderr).toMatch(/ansible-galaxy collection install ansible\.posix/);
  });

  // As root (how the lab runs) a chmod 000 file is still readable, so "unreadable" is modelled by a file
  // Ansible cannot parse as an inventory; "missing" is a path that does not exist.
  it.each([
    ['does not exist', () => join(tmp, 'no-such-inventory.yml')],
    [
      'cannot be parsed',
      () => {
        const f = join(tmp, 'garbage-inventory.yml');
        writeFileSync(f, 'all:\n  hosts: [unclosed\n');
        return f;
      },
    ],
  ])('an inventory file that %s: exit 3, names the file and how to check it', async (_what, make) => {
    const inv = make();
    for (const args of [
      ['check', policy(inv)],
      ['apply', policy(), '--yes', '-i', inv],
    ]) {
      const r = await fleet(args);
      expect(r.exitCode, r.stderr).toBe(3);
      expect(r.stderr).toContain(`cannot read inventory ${inv}`);
      expect(r.stderr).toMatch(/ansible-inventory -i PATH --list/);
    }
  });
});
