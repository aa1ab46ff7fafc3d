import { describe, expect, test } from 'vitest';
import { htmlEscape, renderHtml } from '../../src/report/html.js';
import { ALL_FIXTURES, checkReport, hostileReport, remediateReport } from '../fixtures/reports/build.js';

/** Text between `<tag ...>` and its closing tag, for every occurrence. */
function sections(html: string, heading: string): string {
  const start = html.indexOf(`<h2>${heading}`);
  expect(start).toBeGreaterThan(-1);
  const next = html.indexOf('<h2>', start + 4);
  return html.slice(start, next < 0 ? undefined : next);
}

describe('renderHtml', () => {
  test.each(Object.keys(ALL_FIXTURES))('%s is self-contained: no external resources, no scripts', (name) => {
    const html = renderHtml(ALL_FIXTURES[name]!());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/https?:|\/\/[a-z]/i);
    expect(html).not.toMatch(/<(script|link|img|iframe|object|embed)\b/i);
    // Attribute names of every real tag (quoted values removed, they are escaped data).
    const attributes = [...html.matchAll(/<[a-z][^>]*>/gi)].map((m) => m[0].replace(/"[^"]*"/g, '""'));
    expect(attributes.filter((t) => /\b(src|href|on[a-z]+)=/i.test(t))).toEqual([]);
    expect(html).not.toMatch(/url\(|@import/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
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
    expect(hosts.match(/<tr><td>/g)).toHaveLength(8);
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

  test('htmlEscape', () => {
    expect(htmlEscape(`<a title='x'>&"\x1b[31m`)).toBe('&lt;a title=&#39;x&#39;&gt;&amp;&quot;');
  });
});
