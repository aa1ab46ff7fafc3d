/**
 * A self-contained HTML page for people: inline CSS, no scripts, no external
 * resources (a Content-Security-Policy forbids them, so even a missed escape
 * could not load or run anything). Every value from hosts is escaped.
 */
import type { HostResult, RunReport, RunSummary, Verdict } from '../verify/types.js';
import { driftDetails, persistedState, plural, policyName, sanitize, verdictLabel } from './text.js';

/** Escape for HTML text and double- or single-quoted attributes. */
export function htmlEscape(s: string): string {
  return sanitize(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const CSS = `
:root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--bg:#f6f8fa;--compliant:#1a7f37;--drift:#9a6700;--failed:#cf222e;--unreachable:#a40e26;--not_run:#6e7781;--refused:#8250df;--changed:#0969da}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#fff}
main{max-width:1200px;margin:0 auto;padding:24px 32px 48px}
h1{font-size:24px;margin:0 0 4px}h1 .policy{color:var(--muted);font-weight:400}
h2{font-size:18px;margin:32px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:0 0 8px}h3.sub{margin-top:16px}
.meta{color:var(--muted);margin:0}
.banner{margin:16px 0 0;padding:10px 14px;border:1px solid var(--failed);border-radius:6px;background:#ffebe9;color:var(--failed)}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin-top:20px}
.card{min-width:104px;padding:10px 14px;border:1px solid var(--line);border-left:4px solid var(--line);border-radius:6px;background:var(--bg)}
.card .n{display:block;font-size:22px;font-weight:600}.card .l{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card.zero .n{color:var(--muted)}
${['compliant', 'drift', 'failed', 'unreachable', 'not_run', 'refused', 'changed'].map((v) => `.card.${v}:not(.zero){border-left-color:var(--${v})}.card.${v}:not(.zero) .n{color:var(--${v})}`).join('\n')}
table{width:100%;border-collapse:collapse;font-size:13px}
th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
th{background:var(--bg);font-weight:600;white-space:nowrap}
tbody tr:hover{background:#f6f8fa}
code,pre{font:12px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
td code{overflow-wrap:anywhere}
.none{color:var(--muted)}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;white-space:nowrap}
${['compliant', 'drift', 'failed', 'unreachable', 'not_run', 'refused'].map((v) => `.badge.${v}{background:var(--${v})}`).join('')}
.detail{border:1px solid var(--line);border-radius:6px;padding:12px 14px;margin:0 0 12px}
.detail pre{margin:0;white-space:pre-wrap;word-break:break-word;background:var(--bg);padding:8px 10px;border-radius:4px}
.msg{max-width:360px;white-space:pre-wrap;word-break:break-word}
footer{margin-top:40px;color:var(--muted);font-size:12px}
`;

const COUNTS: [keyof RunSummary, string][] = [
  ['hosts', 'Hosts'],
  ['changed', 'Changed'],
  ['compliant', 'Compliant'],
  ['drift', 'Drift'],
  ['failed', 'Failed'],
  ['unreachable', 'Unreachable'],
  ['not_run', 'Not run'],
  ['refused', 'Refused'],
  ['auditFindings', 'Audit findings'],
];

function cards(s: RunSummary): string {
  const items = COUNTS.map(([k, label]) => `<div class="card ${k}${s[k] === 0 ? ' zero' : ''}"><span class="n">${s[k]}</span><span class="l">${label}</span></div>`);
  return `<section class="cards">${items.join('')}</section>`;
}

function badge(v: Verdict): string {
  return `<span class="badge ${v}">${verdictLabel(v)}</span>`;
}

function ports(v: string | null | undefined): string {
  if (v === undefined) return '<span class="none">unknown</span>';
  if (v === null) return '<span class="none">absent</span>';
  return v === '' ? '<span class="none">none</span>' : `<code>${htmlEscape(v).replace(/,/g, ',<wbr>')}</code>`;
}

function hostTable(hosts: readonly HostResult[]): string {
  if (hosts.length === 0) return '<p class="none">No hosts.</p>';
  const head = ['Host', 'Groups', 'Verdict', 'Current', 'Desired', 'Missing', 'Extra', 'Persisted', 'Message'];
  const rows = hosts.map(
    (h) =>
      `<tr><td>${htmlEscape(h.host)}${h.changed ? ' <span class="none">(changed)</span>' : ''}</td><td>${htmlEscape(h.groups.join(', '))}</td><td>${badge(h.verdict)}</td>` +
      `<td>${ports(h.current)}</td><td>${ports(h.desired)}</td><td>${ports(h.runtime?.missing)}</td><td>${ports(h.runtime?.extra)}</td>` +
      `<td>${htmlEscape(persistedState(h))}</td><td class="msg">${htmlEscape(h.message ?? '')}</td></tr>`,
  );
  return `<table><thead><tr>${head.map((t) => `<th>${t}</th>`).join('')}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function details(hosts: readonly HostResult[]): string {
  const bad = hosts.filter((h) => h.verdict !== 'compliant');
  if (bad.length === 0) return '<p class="none">Every host is compliant.</p>';
  return bad.map((h) => `<div class="detail"><h3>${htmlEscape(h.host)} ${badge(h.verdict)}</h3><pre>${htmlEscape(driftDetails(h).join('\n'))}</pre></div>`).join('\n');
}

function audit(hosts: readonly HostResult[]): string {
  const rows = hosts.flatMap((h) =>
    (h.audit ?? []).map(
      (f) =>
        `<tr><td>${htmlEscape(h.host)}</td><td><code>${f.proto}/${f.port}</code></td><td>${htmlEscape(f.kind)}</td><td><code>${htmlEscape(f.local)}</code></td>` +
        `<td>${htmlEscape(f.peer ?? '')}</td><td>${htmlEscape(f.process ?? '')}</td><td class="msg">${htmlEscape(f.message)}</td></tr>`,
    ),
  );
  if (rows.length === 0) return '<p class="none">No audit findings.</p>';
  const head = ['Host', 'Port', 'Kind', 'Local', 'Peer', 'Process', 'Message'];
  return `<table><thead><tr>${head.map((t) => `<th>${t}</th>`).join('')}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

/** Render the report as one self-contained HTML page. */
export function renderHtml(report: RunReport): string {
  const title = `fleet ${report.command} — ${policyName(report)}`;
  const meta = [
    `policy ${report.policy}`,
    `mode ${report.mode}`,
    `started ${report.startedAt}`,
    `${report.durationSeconds.toFixed(1)} s`,
    `fleet ${report.version}`,
    ...(report.shard ? [`shard ${report.shard}`] : []),
    ...(report.provenance ? [`by ${report.provenance.operator}`] : []),
    ...(report.provenance?.policySha256 ? [`policy sha256 ${report.provenance.policySha256.slice(0, 12)}`] : []),
    ...(report.provenance?.git ? [`git ${report.provenance.git.commit.slice(0, 12)}${report.provenance.git.dirty ? ' (dirty)' : ''}`] : []),
  ].join(' · ');
  const parts = [
    `<header><h1>fleet ${htmlEscape(report.command)} <span class="policy">${htmlEscape(policyName(report))}</span></h1><p class="meta">${htmlEscape(meta)}</p></header>`,
    report.interrupted ? `<p class="banner">Interrupted: ${htmlEscape(report.interrupted)}</p>` : '',
    cards(report.summary),
    `<h2>Hosts</h2>\n${hostTable(report.hosts)}`,
    `<h2>Details for hosts that are not compliant</h2>\n${details(report.hosts)}`,
    `<h2>Audit findings</h2>\n${audit(report.hosts)}`,
  ];
  if (report.before) {
    parts.push(
      `<h2>Before remediation</h2>\n<p class="meta">${htmlEscape(plural(report.before.summary.hosts, 'host'))} checked before fleet remediated them.</p>`,
      cards(report.before.summary),
      `<h3 class="sub">Hosts before remediation</h3>\n${hostTable(report.before.hosts)}`,
      `<h3 class="sub">Details before remediation</h3>\n${details(report.before.hosts)}`,
    );
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${htmlEscape(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${parts.filter(Boolean).join('\n')}
<footer>Generated by fleet ${htmlEscape(report.version)}.</footer>
</main>
</body>
</html>
`;
}
