import { describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { CSP, htmlEscape, renderHtml, trendChart } from '../../src/report/html.js';
import { ALL_FIXTURES, checkReport, hostileReport, remediateReport } from '../fixtures/reports/build.js';

/** Text between `<tag ...>` and its closing tag, for every occurrence. */
function sections(html: string, heading: string): string {
  const start = html.indexOf(`<h2>${heading}`);
  expect(start).toBeGreaterThan(-1);
  const next = html.indexOf('<h2>', start + 4);
  return html.slice(start, next < 0 ? undefined : next);
}

describe('renderHtml', () => {
  test.each(Object.keys(ALL_FIXTURES))('%s is self-contained: no external resources, one inline script allowed by its hash and nothing else', (name) => {
    const html = renderHtml(ALL_FIXTURES[name]!());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/https?:|\/\/[a-z]/i);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]![1]).toBe('');
    expect(CSP).toBe(`default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${createHash('sha256').update(scripts[0]![2]!).digest('base64')}'`);
    expect(html.replace(scripts[0]![0], '')).not.toMatch(/<(script|link|img|iframe|object|embed)\b/i);
    // Attribute names of every real tag (quoted values removed, they are escaped data).
    const attributes = [...html.matchAll(/<[a-z][^>]*>/gi)].map((m) => m[0].replace(/"[^"]*"/g, '""'));
    expect(attributes.filter((t) => /\b(src|href|on[a-z]+)=/i.test(t))).toEqual([]);
    expect(html).not.toMatch(/url\(|@import/i);
    expect(html).toContain(`content="${CSP}"`);
    expect(html).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f]/);
  });

  test('hostile strings are escaped everywhere', () => {
    const html = renderHtml(hostileReport());
    expect(html).toContain('evil&quot;&lt;script&gt;alert(1)&lt;/script&gt;&amp;&#39;');
    expect(html).toContain('bad &lt;b&gt;&amp;amp; &quot;quoted&quot; &#39;single&#39;');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('<title>fleet check — &lt;ports&gt;&amp;</title>');
    expect(html).toContain('Interrupted: SIGINT &quot;now&quot;');
    expect(html).not.toContain('<b>');
    expect(html).not.toContain('[1;31m');
  });

  test('summary counts, host table, drift details and audit findings', () => {
    const html = renderHtml(checkReport());
    expect(html).toContain('<div class="card drift"><span class="n">2</span><span class="l">Drift</span></div>');
    expect(html).toContain('<div class="card failed"><span class="n">1</span><span class="l">Failed</span></div>');
    expect(html).toContain('<div class="card hosts"><span class="n">8</span>');
    const hosts = sections(html, 'Hosts');
    expect(hosts.match(/<tr data-v="/g)).toHaveLength(8);
    // not compliant first, natural order within
    expect([...hosts.matchAll(/<tr data-v="(\w+)" data-h="([^"]*)"/g)].map((m) => m[2])).toEqual([
      'db-1',
      'cache-1',
      'app-1',
      'app-2',
      'app-3',
      'legacy-1',
      'web-1',
      'web-2',
    ]);
    expect(hosts).toContain('<input id="q" type="search"');
    expect(hosts).toContain('<option value="drift">drift</option>');
    for (const h of ['Host', 'Groups', 'Verdict', 'Current', 'Desired', 'Missing', 'Extra', 'Persisted', 'Message']) expect(hosts).toContain(`<th>${h}</th>`);
    expect(hosts).toContain('<td>db, prod</td><td><span class="badge drift">drift</span></td>');
    expect(hosts).toContain('<td>differs, overridden by 99-zz-local.conf</td>');
    const details = sections(html, 'Details');
    expect(details.match(/class="detail"/g)).toHaveLength(6);
    expect(details).toContain('runtime missing: 5500-5999,9100 (501 ports)');
    expect(details).toContain('persisted value: (absent: file or line missing)');
    const audit = sections(html, 'Audit findings');
    expect(audit).toContain('<code>tcp/5001</code>');
    expect(audit).toContain('outgoing connection uses a reserved port');
    expect(html).not.toContain('Before remediation');
  });

  test('remediation shows both states', () => {
    const html = renderHtml(remediateReport());
    const before = sections(html, 'Before remediation');
    expect(before).toContain('<span class="badge drift">drift</span>');
    expect(before).toContain('<div class="card drift"><span class="n">2</span>');
    const after = sections(html, 'Hosts');
    expect(after).not.toContain('badge drift');
    expect(after.match(/badge compliant/g)).toHaveLength(4);
  });

  test('with --history: a trend chart (inline SVG, one bar per run) and what changed since the last run', () => {
    const trend = [
      { startedAt: '2025-03-03T05:00:00.000Z', command: 'check', hosts: 8, compliant: 8, drift: 0, unreachable: 0 },
      { startedAt: '2025-03-04T05:06:07.890Z', command: 'check', hosts: 8, compliant: 2, drift: 2, unreachable: 1 },
    ];
    const html = renderHtml({
      ...checkReport(),
      trend,
      since_last: { previous: trend[0]!.startedAt, new_drift: ['db-1', 'cache-1'], fixed: [], new_unreachable: ['app-2'] },
    });
    const section = sections(html, 'Trend');
    expect(section.match(/<g><title>/g)).toHaveLength(2);
    expect(section).toContain('<title>2025-03-04T05:06:07.890Z check: 2 compliant, 2 drift, 1 unreachable of 8</title>');
    expect(html).toContain('new drift db-1, cache-1; fixed <span class="none">none</span>; new unreachable app-2');
    expect(trendChart([])).toBe('');
    expect(renderHtml(checkReport())).not.toContain('<h2>Trend');
  });

  test('htmlEscape', () => {
    expect(htmlEscape(`<a title='x'>&"\x1b[31m`)).toBe('&lt;a title=&#39;x&#39;&gt;&amp;&quot;');
  });
});
