/**
 * Why a plan changes a host, in a few words per reason, from the structured
 * fields of the read (runtime, persisted file, port range, a later file that
 * wins at boot). Shared by the plan table and the markdown plan.
 */
import type { HostResult } from '../verify/types.js';
import { sanitize, verdictLabel } from './text.js';

const baseName = (p: string) => p.split('/').pop() || p;

/** Reasons a planned host changes; the read's message when no structured field explains it. */
export function changeReasons(h: HostResult): string[] {
  if (h.verdict !== 'drift') {
    const msg = h.message ? `: ${sanitize(h.message, true)}` : '';
    return h.verdict === 'compliant' ? ['compliant'] : [`${verdictLabel(h.verdict)}${msg}`];
  }
  const reasons: string[] = [];
  if (h.runtime && (h.runtime.missing || h.runtime.extra)) reasons.push('runtime differs');
  if (h.persisted === null) reasons.push('persisted file absent or without the key');
  else if (h.persistedDiff && (h.persistedDiff.missing || h.persistedDiff.extra)) {
    const d = h.persistedDiff;
    reasons.push(`persisted file ${[d.missing && `lacks ${d.missing}`, d.extra && `has extra ${d.extra}`].filter(Boolean).join(', ')}`);
  } else if (h.persisted !== undefined && h.persistedDiff === undefined) reasons.push('persisted file holds an invalid value');
  const e = h.ephemeral;
  if (e?.desired && e.desired !== e.current) reasons.push(`port range ${e.current ?? '?'} → ${e.desired}`);
  if (h.overriddenBy?.length) reasons.push(`overridden at boot by ${h.overriddenBy.map(baseName).join(', ')}`);
  if (reasons.length === 0 && h.message) reasons.push(sanitize(h.message, true));
  return reasons;
}
