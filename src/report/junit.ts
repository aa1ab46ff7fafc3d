/**
 * JUnit XML for CI (GitLab, Jenkins): one test case per host. GitLab keeps
 * only the first of duplicate test names and ignores `message` attributes,
 * so names are made unique and the explanation goes in the element body.
 */
import { summarize, type HostResult, type RunReport } from '../verify/types.js';
import { auditLine, driftDetails, plural, policyName, portCount, sanitize, verdictLabel } from './text.js';

/** Escape for XML text and attribute values; `sanitize` first removes characters XML 1.0 forbids. */
export function xmlEscape(s: string): string {
  return (
    sanitize(s)
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // Newlines and tabs in attributes would be normalised to spaces by parsers.
      .replace(/\n/g, '&#10;')
      .replace(/\t/g, '&#9;')
  );
}

function textEscape(s: string): string {
  return sanitize(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attrs(a: Record<string, string | number>): string {
  return Object.entries(a)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`)
    .join('');
}

/**
 * JUnit's timestamp type is a dateTime without zone (Jenkins' XSD), so
 * print UTC as `YYYY-MM-DDTHH:MM:SS`; an unparsable value is passed through.
 */
function junitTimestamp(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Date(t).toISOString().slice(0, 19);
}

/** Test names must be unique per suite: suffix ` (2)`, ` (3)` on repeats (after sanitising). */
function uniqueNames(hosts: readonly HostResult[]): string[] {
  const seen = new Set<string>();
  return hosts.map((h) => {
    const base = sanitize(h.host, true);
    let name = base;
    for (let i = 2; seen.has(name); i++) name = `${base} (${i})`;
    seen.add(name);
    return name;
  });
}

function outcome(h: HostResult): string {
  const body = textEscape(driftDetails(h).join('\n'));
  switch (h.verdict) {
    case 'compliant':
      return '';
    case 'drift': {
      const missing = portCount(h.runtime?.missing) ?? 0;
      const extra = portCount(h.runtime?.extra) ?? 0;
      const msg = h.runtime && (missing || extra) ? `runtime: ${missing} missing, ${extra} extra` : 'persisted value differs from the policy';
      return `      <failure${attrs({ type: 'drift', message: msg })}>${body}</failure>\n`;
    }
    case 'failed':
      return `      <failure${attrs({ type: 'failed', message: h.message ?? 'task failed' })}>${body}</failure>\n`;
    case 'unreachable':
      return `      <error${attrs({ type: 'unreachable', message: h.message ?? 'host unreachable' })}>${body}</error>\n`;
    case 'not_run':
    case 'refused':
      return `      <skipped${attrs({ message: `${verdictLabel(h.verdict)}: ${h.message ?? ''}` })}>${body}</skipped>\n`;
  }
}

function systemOut(h: HostResult): string {
  if (!h.audit?.length) return '';
  const lines = [`${plural(h.audit.length, 'audit finding')}:`, ...h.audit.map(auditLine)];
  return `      <system-out>${textEscape(lines.join('\n'))}</system-out>\n`;
}

/** Render the report as JUnit XML: `<testsuites>` with one `<testsuite>`, one `<testcase>` per host. */
export function renderJunit(report: RunReport): string {
  // Counted from the hosts, not report.summary, so the attributes always match the elements.
  const s = summarize(report.hosts);
  const counts = {
    tests: report.hosts.length,
    failures: s.drift + s.failed,
    errors: s.unreachable,
    skipped: s.not_run + s.refused,
    time: report.durationSeconds.toFixed(3),
  };
  const classname = `fleet.${policyName(report)}`;
  const names = uniqueNames(report.hosts);
  const props: Record<string, string> = { policy: report.policy, mode: report.mode, version: report.version };
  if (report.shard) props.shard = report.shard;
  if (report.interrupted) props.interrupted = report.interrupted;

  let xml = '<?xml version="1.0" encoding="UTF-8"?>\n';
  xml += `<testsuites${attrs({ name: 'fleet', ...counts })}>\n`;
  xml += `  <testsuite${attrs({ name: `fleet ${report.command}`, ...counts, timestamp: junitTimestamp(report.startedAt) })}>\n`;
  xml += '    <properties>\n';
  for (const [name, value] of Object.entries(props)) xml += `      <property${attrs({ name, value })}/>\n`;
  xml += '    </properties>\n';
  report.hosts.forEach((h, i) => {
    // HostResult has no per-host timing; 0 keeps viewers from summing a misleading figure.
    const open = `    <testcase${attrs({ classname, name: names[i]!, time: 0 })}`;
    const inner = outcome(h) + systemOut(h);
    xml += inner ? `${open}>\n${inner}    </testcase>\n` : `${open}/>\n`;
  });
  xml += '  </testsuite>\n</testsuites>\n';
  return xml;
}
