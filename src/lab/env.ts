/** Preflight: the lab needs root and a few system tools; say exactly what is missing. */
import { which } from '../io/exec.js';
import { ExitCode, FleetError } from '../errors.js';

const TOOLS: ReadonlyArray<readonly [tool: string, pkg: string]> = [
  ['ip', 'iproute2'],
  ['sshd', 'openssh-server'],
  ['ssh-keygen', 'openssh-client'],
  ['ssh', 'openssh-client'],
  ['unshare', 'util-linux'],
  ['nsenter', 'util-linux'],
  ['mount', 'mount'],
  ['sysctl', 'procps'],
];

export interface Probe {
  uid: number | undefined;
  which: (cmd: string) => Promise<string | undefined>;
}

const realProbe: Probe = { uid: process.getuid?.(), which };

/** Throw a FleetError (exit 3) naming every missing requirement and the fix. */
export async function checkLabEnvironment(probe: Probe = realProbe): Promise<Record<string, string>> {
  const problems: string[] = [];
  if (probe.uid !== 0) problems.push('not root: network namespaces need root; run with sudo (e.g. `sudo fleet lab up`)');
  const found: Record<string, string> = {};
  const missingPkgs = new Set<string>();
  for (const [tool, pkg] of TOOLS) {
    // sshd and ip live in /usr/sbin, which a non-root PATH often lacks.
    const path = (await probe.which(tool)) ?? (await probe.which(`/usr/sbin/${tool}`));
    if (path) found[tool] = path;
    else {
      problems.push(`missing \`${tool}\` (Debian package ${pkg})`);
      missingPkgs.add(pkg);
    }
  }
  if (missingPkgs.size > 0) problems.push(`install with: sudo apt-get install ${[...missingPkgs].join(' ')}  (or run scripts/bootstrap as root)`);
  if (problems.length > 0) {
    throw new FleetError(
      `the lab cannot start: ${problems.length === 1 ? problems[0] : 'missing requirements'}`,
      ExitCode.environment,
      problems.length === 1 ? [] : problems,
    );
  }
  return found;
}
