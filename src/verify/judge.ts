import type { HostPlan } from '../plan/desired.js';
import type { Mode } from '../policy/types.js';
import { capacity, DEFAULT_EPHEMERAL } from '../ports/capacity.js';
import { difference, format, parseKernel, parsePortRange, type PortRange, type PortSet } from '../ports/portset.js';
import { valueInFile, type Observed } from './readback.js';
import type { HostResult, PortDiff } from './types.js';

export function diffSets(desired: PortSet, actual: PortSet, mode: Mode): PortDiff {
  return {
    missing: format(difference(desired, actual)),
    extra: mode === 'exact' ? format(difference(actual, desired)) : '',
  };
}

const clean = (d: PortDiff) => d.missing === '' && d.extra === '';
const rangeText = (r: PortRange | undefined) => (r ? `${r[0]}-${r[1]}` : undefined);

/**
 * Compare what a host reports with what the policy wants, at run time and at
 * the next boot (our persistence file, and any file that sorts after it).
 */
export function judge(plan: HostPlan, mode: Mode, persistPath: string, obs: Observed): Omit<HostResult, 'changed'> {
  const problems: string[] = [];
  const runtime = diffSets(plan.desired, obs.reserved, mode);
  if (!clean(runtime)) problems.push(describeDiff('runtime', runtime));

  let persisted: string | null = null;
  let persistedDiff: PortDiff | undefined;
  const fileValue = obs.persistFile === null ? undefined : valueInFile(obs.persistFile, 'reserved');
  if (obs.persistFile === null) {
    problems.push(`${persistPath} is missing: the value would be lost at reboot`);
  } else if (fileValue === undefined) {
    problems.push(`${persistPath} does not set net.ipv4.ip_local_reserved_ports: the value would be lost at reboot`);
  } else {
    const parsed = parseKernel(fileValue);
    if (!parsed.ok) {
      problems.push(`${persistPath} holds an invalid value "${fileValue}" (${parsed.error}); the kernel would reject it at boot`);
      persisted = fileValue;
    } else {
      persisted = format(parsed.value);
      persistedDiff = diffSets(plan.desired, parsed.value, mode);
      if (!clean(persistedDiff)) problems.push(describeDiff('persisted', persistedDiff));
    }
  }

  const overriddenBy = overriders(obs, persistPath, plan.desired, mode);
  if (overriddenBy.length) problems.push(`at boot ${overriddenBy.join(', ')} sorts after ${persistPath} and sets another value`);

  let ephemeral: HostResult['ephemeral'];
  if (plan.ephemeral) {
    ephemeral = { desired: rangeText(plan.ephemeral), current: rangeText(obs.range) };
    if (ephemeral.desired !== ephemeral.current) problems.push(`ip_local_port_range is ${ephemeral.current ?? 'unknown'}, policy wants ${ephemeral.desired}`);
    const persistedRange = obs.persistFile === null ? undefined : valueInFile(obs.persistFile, 'range');
    const pr = persistedRange === undefined ? undefined : parsePortRange(persistedRange);
    if (obs.persistFile !== null && !(pr?.ok && rangeText(pr.value) === ephemeral.desired)) {
      problems.push(`${persistPath} does not persist ip_local_port_range ${ephemeral.desired}`);
    }
  } else if (obs.range) {
    ephemeral = { current: rangeText(obs.range) };
  }

  return {
    host: plan.host,
    groups: plan.groups,
    verdict: problems.length ? 'drift' : 'compliant',
    desired: format(plan.desired),
    current: format(obs.reserved),
    runtime,
    persisted,
    ...(persistedDiff ? { persistedDiff } : {}),
    ...(overriddenBy.length ? { overriddenBy } : {}),
    ...(ephemeral ? { ephemeral } : {}),
    freeEphemeral: capacity(obs.reserved, obs.range ?? DEFAULT_EPHEMERAL).free,
    ...(problems.length ? { message: problems.join('; ') } : {}),
  };
}

function describeDiff(what: string, d: PortDiff): string {
  const parts = [d.missing && `missing ${d.missing}`, d.extra && `extra ${d.extra}`].filter(Boolean);
  return `${what}: ${parts.join(', ')}`;
}

/** Files applied after ours at boot that set the reserved ports to a value the policy would not accept. */
function overriders(obs: Observed, persistPath: string, desired: PortSet, mode: Mode): string[] {
  const reserved = obs.settings.filter((s) => s.key === 'reserved');
  const ours = reserved.findIndex((s) => s.file === persistPath);
  const after = ours < 0 ? reserved : reserved.slice(ours + 1);
  const last = after[after.length - 1];
  if (!last) return [];
  const v = parseKernel(last.value);
  if (v.ok && clean(diffSets(desired, v.value, mode))) return [];
  return [...new Set(after.map((s) => s.file))];
}
