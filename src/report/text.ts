/**
 * Text helpers shared by the report formatters. Host names, messages and
 * audit details come from remote machines, so every formatter treats them as
 * hostile: terminal escapes are removed and control characters made visible.
 */
import { parseKernel, size } from '../ports/portset.js';
import type { BootValue, HostResult, RunReport, Verdict } from '../verify/types.js';

/** Every verdict, in the order reports list them (best first). */
export const VERDICTS: readonly Verdict[] = ['compliant', 'drift', 'failed', 'unreachable', 'not_run', 'refused'];

// CSI (`ESC [ ... final`) and OSC (`ESC ] ... BEL|ST`) sequences, plus lone two-byte escapes.
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]/g;

/** Remove terminal escape sequences (colours, cursor moves, OSC titles/links). */
export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

/**
 * Make untrusted text safe to print or embed: escape sequences removed, C0
 * controls shown as Unicode control pictures (U+2400 block, so `\x07` reads
 * as `␇` instead of ringing a bell), C1 controls, lone surrogates and
 * non-characters replaced by U+FFFD. Tab and newline are kept unless `oneLine`.
 * The result contains only characters legal in XML 1.0.
 */
export function sanitize(s: string, oneLine = false): string {
  let out = stripAnsi(s).replace(/\r\n/g, '\n');
  if (oneLine) out = out.replace(/[\r\n\t]/g, ' ');
  return out
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, (c) => String.fromCharCode(0x2400 + c.charCodeAt(0)))
    .replace(/\r/g, '␍')
    .replace(/\x7f/g, '␡')
    .replace(/[\x80-\x9f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** Number of ports in a canonical kernel string; undefined when it does not parse. */
export function portCount(canonical: string | undefined): number | undefined {
  if (canonical === undefined) return undefined;
  const r = parseKernel(canonical);
  return r.ok ? size(r.value) : undefined;
}

/**
 * The policy's short name (`/etc/fleet/ports.yaml` -> `ports`), used where a
 * path would be noise or would differ between controllers (JUnit classname,
 * Prometheus label).
 */
export function policyName(report: Pick<RunReport, 'policy'>): string {
  const base = report.policy.split(/[\\/]/).filter(Boolean).pop() ?? report.policy;
  return base.replace(/\.(ya?ml|json)$/i, '') || base;
}

/** Plural helper: `plural(1, 'host')` -> `1 host`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Human label for a verdict (`not_run` -> `not run`). */
export function verdictLabel(v: Verdict): string {
  return v.replace('_', ' ');
}

/**
 * Short description of the persistence file's state, e.g. `absent`,
 * `differs`, `ok, overridden by 99-zz.conf`. `-` when it was not read.
 */
export function persistedState(h: HostResult): string {
  if (h.persisted === undefined) return '-';
  const parts: string[] = [];
  if (h.persisted === null) parts.push('absent');
  else if (h.persistedDiff && (h.persistedDiff.missing || h.persistedDiff.extra)) parts.push('differs');
  else parts.push('ok');
  if (h.overriddenBy?.length) parts.push(`overridden by ${h.overriddenBy.map(baseName).join(', ')}`);
  return parts.join(', ');
}

function baseName(p: string): string {
  return p.split('/').pop() || p;
}

/**
 * Plain-text lines explaining why a host is not compliant: runtime and
 * persisted differences, which files override ours, and the message.
 * Shared by the JUnit failure body and the HTML drift details.
 */
export function driftDetails(h: HostResult): string[] {
  const lines: string[] = [];
  if (h.runtime) lines.push(...diffLines('runtime', h.runtime));
  if (h.current !== undefined || h.persisted !== undefined) {
    lines.push(`runtime value:   ${show(h.current)}`);
    lines.push(`persisted value: ${h.persisted === null ? '(absent: file or line missing)' : show(h.persisted)}`);
    lines.push(`desired value:   ${show(h.desired)}`);
  }
  if (h.persistedDiff) lines.push(...diffLines('persisted', h.persistedDiff));
  if (h.boot) lines.push(bootLine('reserved', h.boot.reserved), ...(h.boot.range ? [bootLine('range', h.boot.range)] : []));
  if (h.overriddenBy?.length) lines.push(`overridden at boot by: ${h.overriddenBy.join(', ')}`);
  if (h.message) lines.push(`message: ${h.message}`);
  return lines;
}

/** `reserved at boot: 7000, set by /etc/sysctl.d/99-x.conf:3`. */
function bootLine(key: 'reserved' | 'range', b: BootValue): string {
  const label = key === 'reserved' ? 'reserved at boot: ' : 'range at boot:    ';
  if (b.value === null) return `${label}(unknown: cannot read ${(b.unreadable ?? []).join(', ')})`;
  const from =
    b.file === undefined
      ? 'kernel default, no boot file sets it'
      : b.rejected
        ? `kernel default, ${b.file}:${b.line} is refused`
        : b.written === undefined
          ? `kernel default, cancelled by ${b.file}:${b.line}`
          : `set by ${b.file}:${b.line}`;
  return `${label}${show(b.value)}, ${from}`;
}

function diffLines(where: string, d: { missing: string; extra: string }): string[] {
  const out: string[] = [];
  if (d.missing) out.push(`${where} missing: ${d.missing} (${plural(portCount(d.missing) ?? 0, 'port')})`);
  if (d.extra) out.push(`${where} extra:   ${d.extra} (${plural(portCount(d.extra) ?? 0, 'port')})`);
  return out;
}

function show(v: string | null | undefined): string {
  if (v === undefined || v === null) return '(unknown)';
  return v === '' ? '(empty)' : v;
}

/** One line per audit finding, e.g. `tcp 8080 listener_outside_policy (nginx): ...`. */
export function auditLine(f: NonNullable<HostResult['audit']>[number]): string {
  const who = f.process ? ` (${f.process})` : '';
  const peer = f.peer ? ` peer ${f.peer}` : '';
  return `${f.proto}/${f.port} ${f.kind} on ${f.local}${peer}${who}: ${f.message}`;
}
