import type { HostPlan } from '../plan/desired.js';
import type { Mode } from '../policy/types.js';
import { capacity, DEFAULT_EPHEMERAL } from '../ports/capacity.js';
import { KEY_RANGE, KEY_RESERVED } from '../ansible/scripts.js';
import {
  difference,
  EMPTY,
  format,
  intersect,
  formatPortRange,
  mustParse,
  parseKernel,
  rangeText as spanText,
  type PortRange,
  type PortSet,
} from '../ports/portset.js';
import { kernelValue, predictBoot, type BootKey, type BootPrediction } from './boot.js';
import { valueInFile, type Observed } from './readback.js';
import { droppedPorts, holdsOf } from './owned.js';
import type { BootValue, HostResult, PortDiff } from './types.js';

/**
 * What the host lacks and what it has too much of. In additive mode only the
 * `unwanted` ports (fleet added them, the policy dropped them) are extra.
 */
export function diffSets(desired: PortSet, actual: PortSet, mode: Mode, unwanted: PortSet = EMPTY): PortDiff {
  return {
    missing: format(difference(desired, actual)),
    extra: format(mode === 'exact' ? difference(actual, desired) : intersect(actual, unwanted)),
  };
}

const clean = (d: PortDiff) => d.missing === '' && d.extra === '';
const rangeText = (r: PortRange | undefined) => (r ? spanText(r) : undefined);

const KEY_NAME: Record<BootKey, string> = { reserved: KEY_RESERVED, range: KEY_RANGE };
const utf8 = (latin1: string) => Buffer.from(latin1, 'latin1').toString('utf8');

/** The boot prediction as the report carries it. */
function bootResult(p: BootPrediction): BootValue {
  return {
    value: p.value,
    ...(p.file !== undefined ? { file: p.file, line: p.line! } : {}),
    ...(p.written !== undefined ? { written: utf8(p.written) } : {}),
    ...(p.rejected ? { rejected: true } : {}),
    ...(p.unreadable.length ? { unreadable: p.unreadable } : {}),
  };
}

/** Where a boot value comes from, in words. */
function source(p: BootPrediction): string {
  if (p.file === undefined) return 'no boot file sets it, so the kernel default stays';
  if (p.written === undefined) return `${p.file}:${p.line} cancels it (-key), so the kernel default stays`;
  if (p.rejected) return `${p.file}:${p.line} sets "${utf8(p.written)}", which the kernel refuses, so the default stays`;
  return `set by ${p.file}:${p.line}`;
}

/**
 * Compare what a host reports with what the policy wants, at run time and at
 * the next boot (the value systemd-sysctl will write, from every file it reads).
 */
export function judge(plan: HostPlan, mode: Mode, persistPath: string, obs: Observed): Omit<HostResult, 'changed'> {
  const problems: string[] = [];
  const unknown: string[] = [];
  // a problem already reported about our own file for this key explains its boot value too
  const ownProblem: Record<BootKey, boolean> = { reserved: obs.persist.state !== 'unreadable', range: obs.persist.state !== 'unreadable' };
  const dropped = mode === 'additive' ? droppedPorts(plan.desired, holdsOf(obs, persistPath)) : EMPTY;
  const describeDiff = (what: string, d: PortDiff) => describe(what, d, mode);
  const runtime = diffSets(plan.desired, obs.reserved, mode, dropped);
  if (!clean(runtime)) problems.push(describeDiff('runtime', runtime));

  let persisted: string | null = null;
  let persistedDiff: PortDiff | undefined;
  const persistText = obs.persist.state === 'present' ? obs.persist.text : undefined;
  const fileValue = persistText === undefined ? undefined : valueInFile(persistText, 'reserved');
  if (obs.persist.state === 'absent') {
    problems.push(`${persistPath} is missing: the value would be lost at reboot`);
  } else if (obs.persist.state === 'unreadable') {
    unknown.push(`${persistPath} cannot be read by the reading user: the persisted value is unknown`);
  } else if (fileValue === undefined) {
    problems.push(`${persistPath} does not set ${KEY_RESERVED}: the value would be lost at reboot`);
  } else {
    const kernel = kernelValue('reserved', fileValue);
    if (kernel === undefined) {
      const parsed = parseKernel(fileValue);
      const why = parsed.ok ? "not in the kernel's ASCII form" : parsed.error;
      persisted = utf8(fileValue);
      problems.push(`${persistPath} holds an invalid value "${persisted}" (${why}); the kernel would reject it at boot`);
    } else {
      const parsed = mustParse(kernel);
      persisted = format(parsed);
      persistedDiff = diffSets(plan.desired, parsed, mode, dropped);
      ownProblem.reserved = !clean(persistedDiff);
      if (ownProblem.reserved) problems.push(describeDiff('persisted', persistedDiff));
    }
  }

  const overriddenBy = new Set<string>();
  const boot: { reserved?: BootValue; range?: BootValue } = {};
  const judgeBoot = (key: BootKey, accepts: (value: string) => boolean) => {
    const p = predictBoot(obs.files, key, obs.unreadableDirs);
    boot[key] = bootResult(p);
    if (p.value === null) {
      unknown.push(`cannot read ${p.unreadable.join(', ')}: the boot value of ${KEY_NAME[key]} is unknown`);
      return;
    }
    if (accepts(p.value)) return;
    const other = p.file !== undefined && p.file !== persistPath;
    if (other) overriddenBy.add(p.file!);
    else if (ownProblem[key]) return;
    // our file is right, so another file read after it decides: say how to resolve it
    const fix = other && !ownProblem[key] ? `; ${overrideFix(key, mode, persistPath, p.file!)}` : '';
    problems.push(`at boot ${KEY_NAME[key]} becomes "${p.value}": ${source(p)}${fix}`);
  };
  judgeBoot('reserved', (v) => clean(diffSets(plan.desired, mustParse(v), mode, dropped)));

  let ephemeral: HostResult['ephemeral'];
  if (plan.ephemeral) {
    ephemeral = { desired: rangeText(plan.ephemeral), current: rangeText(obs.range) };
    if (ephemeral.desired !== ephemeral.current) problems.push(`ip_local_port_range is ${ephemeral.current ?? 'unknown'}, policy wants ${ephemeral.desired}`);
    const persistedRange = persistText === undefined ? undefined : valueInFile(persistText, 'range');
    const pr = persistedRange === undefined ? undefined : kernelValue('range', persistedRange);
    ownProblem.range = persistText === undefined || pr !== formatPortRange(plan.ephemeral);
    if (persistText !== undefined && ownProblem.range) {
      problems.push(`${persistPath} does not persist ip_local_port_range ${ephemeral.desired}`);
    }
    const want = formatPortRange(plan.ephemeral);
    judgeBoot('range', (v) => v === want);
  } else if (obs.range) {
    ephemeral = { current: rangeText(obs.range) };
  }

  const messages = [...unknown, ...problems];
  return {
    host: plan.host,
    groups: plan.groups,
    verdict: unknown.length ? 'failed' : problems.length ? 'drift' : 'compliant',
    desired: format(plan.desired),
    current: format(obs.reserved),
    runtime,
    persisted,
    ...(persistedDiff ? { persistedDiff } : {}),
    ...(overriddenBy.size ? { overriddenBy: [...overriddenBy] } : {}),
    boot: boot as NonNullable<HostResult['boot']>,
    ...(ephemeral ? { ephemeral } : {}),
    freeEphemeral: capacity(obs.reserved, obs.range ?? DEFAULT_EPHEMERAL).free,
    ...(messages.length ? { message: messages.join('; ') } : {}),
  };
}

function describe(what: string, d: PortDiff, mode: Mode): string {
  const extra = mode === 'exact' ? `extra ${d.extra}` : `still reserves ${d.extra}, which fleet added and the policy no longer wants`;
  const parts = [d.missing && `missing ${d.missing}`, d.extra && extra].filter(Boolean);
  return `${what}: ${parts.join(', ')}`;
}

/** A suggested persist_file that systemd-sysctl reads after the usual other writers (99-sysctl.conf). */
export const LAST_PERSIST_FILE = '/etc/sysctl.d/99-zz-fleet-reserved-ports.conf';

/** How to resolve a later boot file of another tool that overrides fleet's file. */
function overrideFix(key: BootKey, mode: Mode, persistPath: string, file: string): string {
  if (key === 'range') return `${file} is read after ${persistPath}: remove ${KEY_RANGE} from it, or set persist_file to a name that sorts after it`;
  if (mode === 'additive') {
    return `${file} is read after ${persistPath}: set persist_file to a name that sorts after it (e.g. ${LAST_PERSIST_FILE}); fleet then persists the union of the policy and the ports that file reserves (docs/kubernetes.md)`;
  }
  return `${file} is read after ${persistPath}: remove the key from it (or stop the tool that writes it), or use mode: additive with a persist_file that sorts after it (docs/kubernetes.md)`;
}
