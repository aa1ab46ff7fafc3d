/**
 * Rollback's pure half: the state an apply records before it changes a host,
 * whether a host still holds what that apply left (else something else changed
 * it since, and rollback refuses it without --force), and the verdict after
 * restoring.
 */
import { format, parseKernel, rangeText as spanText } from '../ports/portset.js';
import { kernelValue } from './boot.js';
import { valueInFile, type Observed } from './readback.js';
import type { HostResult, PriorState } from './types.js';

const rangeText = (r: Observed['range']) => (r ? spanText(r) : undefined);

/**
 * What `fleet rollback` restores: runtime values of both keys, the persistence
 * file's bytes (as latin1 text, so they round-trip exactly) or its absence;
 * undefined when the file could not be read (nothing exact to restore).
 */
export function priorStateOf(obs: Observed, persistFile: string): PriorState | undefined {
  if (obs.persist.state === 'unreadable') return undefined;
  const range = rangeText(obs.range);
  return { reserved: format(obs.reserved), ...(range ? { range } : {}), file: persistFile, content: obs.persist.state === 'present' ? obs.persist.text : null };
}

const contentOf = (obs: Observed) => (obs.persist.state === 'present' ? obs.persist.text : null);

/** The persisted reserved ports as a report states them: canonical, the raw text when invalid, null when absent. */
function persistedValue(obs: Observed): string | null {
  const text = contentOf(obs);
  const v = text === null ? undefined : valueInFile(text, 'reserved');
  if (v === undefined) return null;
  return kernelValue('reserved', v) ?? v;
}

/**
 * Why a host no longer holds what the apply report says it left (runtime,
 * persisted value, port range); undefined when it still does.
 */
export function changedSince(after: HostResult, obs: Observed): string | undefined {
  const diffs: string[] = [];
  const now = format(obs.reserved);
  if (after.current !== undefined && now !== after.current) diffs.push(`runtime is ${now || '(empty)'}, the report left ${after.current || '(empty)'}`);
  const persisted = persistedValue(obs);
  if (after.persisted !== undefined && persisted !== after.persisted) {
    diffs.push(`persisted value is ${persisted ?? '(absent)'}, the report left ${after.persisted ?? '(absent)'}`);
  }
  const range = rangeText(obs.range);
  if (after.ephemeral?.current !== undefined && range !== after.ephemeral.current)
    diffs.push(`port range is ${range ?? 'unknown'}, the report left ${after.ephemeral.current}`);
  return diffs.length ? `changed since the report: ${diffs.join('; ')}` : undefined;
}

/** After restoring: does the host hold exactly the prior state? */
export function judgeRestore(host: string, groups: string[], prior: PriorState, obs: Observed): HostResult {
  const problems: string[] = [];
  const now = format(obs.reserved);
  if (now !== prior.reserved) problems.push(`runtime reads back ${now || '(empty)'}, expected ${prior.reserved || '(empty)'}`);
  const range = rangeText(obs.range);
  if (prior.range !== undefined && range !== prior.range) problems.push(`port range reads back ${range ?? 'unknown'}, expected ${prior.range}`);
  if (obs.persist.state === 'unreadable') problems.push(`${prior.file} cannot be read back`);
  else if (contentOf(obs) !== prior.content) {
    problems.push(prior.content === null ? `${prior.file} still exists, expected it absent` : `${prior.file} differs from the recorded content`);
  }
  return {
    host,
    groups,
    verdict: problems.length ? 'drift' : 'compliant',
    changed: true,
    desired: prior.reserved,
    current: now,
    persisted: persistedValue(obs),
    ...(range ? { ephemeral: { ...(prior.range ? { desired: prior.range } : {}), current: range } } : {}),
    ...(problems.length ? { message: `rollback: ${problems.join('; ')}` } : {}),
  };
}

const PORTS = /^(\d{1,5}(-\d{1,5})?(,\d{1,5}(-\d{1,5})?)*)?$/;
const RANGE = /^\d{1,5}-\d{1,5}$/;
// the policy's own rule for persist_file: it becomes an Ansible variable, so no template or shell characters
const FILE = /^(?!.*\/\.{1,2}\/)\/(?:[A-Za-z0-9_.+-]+\/)*[A-Za-z0-9_.+-]+\.conf$/;

/** A report's priorState is data from a file: check it before it goes near a host. */
export function checkPriorState(p: unknown): string | undefined {
  if (typeof p !== 'object' || p === null) return 'priorState is not an object';
  const o = p as Record<string, unknown>;
  if (typeof o.reserved !== 'string' || !PORTS.test(o.reserved) || !parseKernel(o.reserved).ok) return 'priorState.reserved is not a port list';
  if (o.range !== undefined && (typeof o.range !== 'string' || !RANGE.test(o.range))) return 'priorState.range is not lo-hi';
  if (typeof o.file !== 'string' || !FILE.test(o.file)) return 'priorState.file is not an absolute .conf path without template or shell characters';
  if (o.content !== null && typeof o.content !== 'string') return 'priorState.content is neither text nor null';
  return undefined;
}
