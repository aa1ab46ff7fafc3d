/**
 * A self-contained HTML page for people: inline CSS, one inline script (the
 * verdict filter and host search, so a 10,000-host page stays usable
 * offline), no external resources. The Content-Security-Policy allows that
 * one script by its sha256 and nothing else, so even a missed escape could
 * not load or run anything. Every value from hosts is escaped.
 */
import { createHash } from 'node:crypto';
import type { HostResult, RunReport, RunSummary, TrendPoint, Verdict } from '../verify/types.js';
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
.filter{display:flex;gap:8px;align-items:center;margin:0 0 10px}.filter input{flex:0 1 280px;padding:4px 8px}.filter .n{color:var(--muted)}
.trend svg{display:block;max-width:100%;height:auto}.trend .legend{color:var(--muted);font-size:12px}
.legend i{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}
`;

// Filters rows of #hosts by verdict and host name; data-h holds the escaped, lower-cased name.
const SCRIPT = `(function(){var q=document.getElementById('q'),v=document.getElementById('v'),n=document.getElementById('n');if(!q||!v||!n)return;var rows=document.querySelectorAll('#hosts tbody tr');function f(){var s=q.value.toLowerCase(),w=v.value,c=0;for(var i=0;i<rows.length;i++){var r=rows[i],ok=(!w||r.getAttribute('data-v')===w)&&(!s||r.getAttribute('data-h').indexOf(s)>=0);r.hidden=!ok;if(ok)c++}n.textContent=c+' of '+rows.length+' hosts shown'}q.addEventListener('input',f);v.addEventListener('change',f);f()})();`;
const SCRIPT_HASH = createHash('sha256').update(SCRIPT).digest('base64');
/** The page's Content-Security-Policy: inline styles, and the one script by hash. */
export const CSP = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${SCRIPT_HASH}'`;

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
  const items = COUNTS.map(
    ([k, label]) => `<div class="card ${k}${s[k] === 0 ? ' zero' : ''}"><span class="n">${s[k]}</span><span class="l">${label}</span></div>`,
  );
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

/** Hosts that are not compliant first; the report's (natural) order within each part. */
function badFirst(hosts: readonly HostResult[]): HostResult[] {
  return [...hosts.filter((h) => h.verdict !== 'compliant'), ...hosts.filter((h) => h.verdict === 'compliant')];
}

function filterBar(): string {
  const options = ['compliant', 'drift', 'failed', 'unreachable', 'not_run', 'refused']
    .map((v) => `<option value="${v}">${v.replace('_', ' ')}</option>`)
    .join('');
  return `<div class="filter"><input id="q" type="search" placeholder="search hosts" aria-label="search hosts"><select id="v" aria-label="verdict"><option value="">all verdicts</option>${options}</select><span class="n" id="n"></span></div>`;
}

function hostTable(hosts: readonly HostResult[], id?: string): string {
  if (hosts.length === 0) return '<p class="none">No hosts.</p>';
  const head = ['Host', 'Groups', 'Verdict', 'Current', 'Desired', 'Missing', 'Extra', 'Persisted', 'Message'];
  const rows = badFirst(hosts).map(
    (h) =>
      `<tr data-v="${h.verdict}" data-h="${htmlEscape(h.host.toLowerCase())}"><td>${htmlEscape(h.host)}${h.changed ? ' <span class="none">(changed)</span>' : ''}</td><td>${htmlEscape(h.groups.join(', '))}</td><td>${badge(h.verdict)}</td>` +
      `<td>${ports(h.current)}</td><td>${ports(h.desired)}</td><td>${ports(h.runtime?.missing)}</td><td>${ports(h.runtime?.extra)}</td>` +
      `<td>${htmlEscape(persistedState(h))}</td><td class="msg">${htmlEscape(h.message ?? '')}</td></tr>`,
  );
  return `<table${id ? ` id="${id}"` : ''}><thead><tr>${head.map((t) => `<th>${t}</th>`).join('')}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

const TREND_COLORS = { compliant: '#1a7f37', drift: '#9a6700', unreachable: '#a40e26' } as const;

/** Stacked bars per kept run (compliant, drift, unreachable), inline SVG, newest right. */
export function trendChart(points: readonly TrendPoint[]): string {
  if (points.length === 0) return '';
  const W = 720;
  const H = 120;
  const max = Math.max(1, ...points.map((p) => p.hosts));
  const step = W / points.length;
  const bar = Math.max(1, Math.min(24, step * 0.7));
  const bars = points.map((p, i) => {
    let y = H;
    const x = (i * step + (step - bar) / 2).toFixed(1);
    const parts = (['compliant', 'drift', 'unreachable'] as const).map((k) => {
      const h = (p[k] / max) * H;
      y -= h;
      return h > 0 ? `<rect x="${x}" y="${y.toFixed(1)}" width="${bar.toFixed(1)}" height="${h.toFixed(1)}" fill="${TREND_COLORS[k]}"/>` : '';
    });
    return `<g><title>${htmlEscape(`${p.startedAt} ${p.command}: ${p.compliant} compliant, ${p.drift} drift, ${p.unreachable} unreachable of ${p.hosts}`)}</title>${parts.join('')}</g>`;
  });
  const legend = (['compliant', 'drift', 'unreachable'] as const).map((k) => `<i style="background:${TREND_COLORS[k]}"></i>${k}`).join('');
  return `<section class="trend"><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="compliant, drift and unreachable hosts per run">${bars.join('')}</svg><p class="legend">${points.length} runs, oldest left:${legend}</p></section>`;
}

function sinceLastText(r: RunReport): string {
  const s = r.since_last;
  if (!s) return '';
  const list = (hosts: string[]) => (hosts.length ? htmlEscape(hosts.join(', ')) : '<span class="none">none</span>');
  return `<p class="meta">Since the previous run (${htmlEscape(s.previous)}): new drift ${list(s.new_drift)}; fixed ${list(s.fixed)}; new unreachable ${list(s.new_unreachable)}.</p>`;
}

function details(hosts: readonly HostResult[]): string {
  const bad = badFirst(hosts).filter((h) => h.verdict !== 'compliant');
  if (bad.length === 0) return '<p class="none">Every host is compliant.</p>';
  return bad
    .map((h) => `<div class="detail"><h3>${htmlEscape(h.host)} ${badge(h.verdict)}</h3><pre>${htmlEscape(driftDetails(h).join('\n'))}</pre></div>`)
    .join('\n');
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
    sinceLastText(report),
    report.trend?.length ? `<h2>Trend</h2>\n${trendChart(report.trend)}` : '',
    `<h2>Hosts</h2>\n${report.hosts.length ? filterBar() : ''}${hostTable(report.hosts, 'hosts')}`,
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
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>${htmlEscape(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${parts.filter(Boolean).join('\n')}
<footer>Generated by fleet ${htmlEscape(report.version)}.</footer>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
