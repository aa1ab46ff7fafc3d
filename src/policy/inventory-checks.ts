/**
 * Checks that tie the policy to its files on the hosts: where the persist
 * file lies among systemd-sysctl's folders, and, for an inline inventory
 * (a source inventory is only read later, by Ansible), that its
 * groups, children and hosts are consistent with the policy.
 */
import type { Problem } from './diagnostic.js';
import type { CheckResult } from './checks.js';
import { SYSCTL_DIRS, type Policy } from './types.js';

function persistWarnings(p: Policy): Problem[] {
  const f = p.persistFile;
  // directly in folder `d` (a persist file in a subfolder is never read)
  const inDir = (d: string) => f.startsWith(`${d}/`) && !f.slice(d.length + 1).includes('/');
  const read = f === '/etc/sysctl.conf' || SYSCTL_DIRS.some(inDir);
  if (!read)
    return [
      {
        path: ['persist_file'],
        message: `${f} is not in a folder systemd-sysctl reads at boot (${SYSCTL_DIRS[0]}/...), so the setting would not survive a reboot`,
      },
    ];
  if (inDir('/run/sysctl.d'))
    return [
      {
        path: ['persist_file'],
        message: `${f} is under /run, a tmpfs emptied at every boot: the file and the setting are gone after a reboot (use /etc/sysctl.d/)`,
      },
    ];
  const pkg = ['/usr/lib/sysctl.d', '/lib/sysctl.d'].find(inDir);
  if (pkg)
    return [
      {
        path: ['persist_file'],
        message: `${f} is in ${pkg}/, which belongs to packages: a package update can replace or remove it, and a file of the same name in /etc/sysctl.d masks it (use /etc/sysctl.d/)`,
      },
    ];
  return p.mode === 'additive' ? sortsBeforeOthers(f) : [];
}

/** The usual other writer's file (kubespray; Debian's link to /etc/sysctl.conf). */
const OTHER_WRITER = '99-sysctl.conf';

/**
 * Additive mode keeps other tools' ports in fleet's file; that only holds at
 * boot when systemd-sysctl reads fleet's file last (the last file setting the key decides).
 */
function sortsBeforeOthers(f: string): Problem[] {
  if (f === '/etc/sysctl.conf') {
    return [
      {
        path: ['persist_file'],
        message: `${f} is the file kubespray and other tools rewrite (Debian links it as /etc/sysctl.d/${OTHER_WRITER}): their next run overwrites fleet's value; use a file of fleet's own that sorts last, e.g. /etc/sysctl.d/99-zz-fleet-reserved-ports.conf`,
      },
    ];
  }
  const name = f.slice(f.lastIndexOf('/') + 1);
  if (Buffer.compare(Buffer.from(name), Buffer.from(OTHER_WRITER)) > 0) return [];
  return [
    {
      path: ['persist_file'],
      message: `in additive mode fleet's file should be read last at boot, but ${name} sorts before ${OTHER_WRITER} (kubespray's file, and Debian's link to /etc/sysctl.conf): when that file sets the key, it decides the boot value without the policy's ports; use e.g. /etc/sysctl.d/99-zz-fleet-reserved-ports.conf`,
    },
  ];
}

/** Inline inventory consistency, plus the persist file location. */
export function checkInventory(p: Policy): CheckResult {
  const errors: Problem[] = [];
  const warnings = persistWarnings(p);
  const inv = p.inventory;
  if (inv.kind !== 'inline') return { errors, warnings };
  if (Object.keys(inv.hosts).length === 0) errors.push({ path: ['inventory', 'hosts'], message: 'the inline inventory has no hosts' });
  for (const [g, def] of Object.entries(inv.groups)) {
    def.children.forEach((child, i) => {
      if (!(child in inv.groups))
        errors.push({ path: ['inventory', 'groups', g, 'children', i], message: `child group \`${child}\` is not defined under inventory.groups` });
    });
  }
  for (const g of Object.keys(p.groups)) {
    if (!(g in inv.groups))
      warnings.push({ path: ['groups', g], at: 'key', message: `group \`${g}\` is not in the inline inventory, so these ports apply to no host` });
  }
  for (const h of Object.keys(p.hosts)) {
    if (!(h in inv.hosts))
      warnings.push({ path: ['hosts', h], at: 'key', message: `host \`${h}\` is not in the inline inventory, so these ports apply to no host` });
  }
  return { errors, warnings };
}
