import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, test } from 'vitest';
import { renderJunit, xmlEscape } from '../../src/report/junit.js';
import { ALL_FIXTURES, checkReport, host, HOSTILE_MESSAGE, hostileReport, report } from '../fixtures/reports/build.js';

type Node = Record<string, unknown> & { '#text'?: string };
interface Case extends Node {
  '@_classname': string;
  '@_name': string;
  failure?: Node;
  error?: Node;
  skipped?: Node;
  'system-out'?: string;
}

const parser = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testcase' || name === 'property' });

function parse(xml: string) {
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = parser.parse(xml) as { testsuites: Node & { testsuite: Node & { testcase?: Case[] } } };
  return { suites: doc.testsuites, suite: doc.testsuites.testsuite, cases: doc.testsuites.testsuite.testcase ?? [] };
}

const byName = (cases: Case[], name: string) => cases.find((c) => c['@_name'] === name)!;

describe('renderJunit', () => {
  test.each(Object.keys(ALL_FIXTURES))('%s is well-formed XML with one testcase per host', (name) => {
    const r = ALL_FIXTURES[name]!();
    const { cases, suite } = parse(renderJunit(r));
    expect(cases).toHaveLength(r.hosts.length);
    expect(suite['@_tests']).toBe(String(r.hosts.length));
  });

  test('suite counts and attributes', () => {
    const { suites, suite } = parse(renderJunit(checkReport()));
    const counts = { '@_tests': '8', '@_failures': '3', '@_errors': '1', '@_skipped': '2', '@_time': '12.500' };
    expect(suite).toMatchObject({ '@_name': 'fleet check', ...counts, '@_timestamp': '2025-03-04T05:06:07' });
    expect(suites).toMatchObject(counts);
  });

  test('each verdict maps to the right element, with the text in the body', () => {
    const { cases } = parse(renderJunit(checkReport()));
    expect(cases.every((c) => c['@_classname'] === 'fleet.ports')).toBe(true);
    const ok = byName(cases, 'web-1');
    expect(ok.failure ?? ok.error ?? ok.skipped).toBeUndefined();

    const drift = byName(cases, 'db-1');
    expect(drift.failure?.['@_type']).toBe('drift');
    const body = drift.failure?.['#text'] ?? '';
    expect(body).toContain('runtime missing: 5500-5999,9100 (501 ports)');
    expect(body).toContain('runtime extra:   7000 (1 port)');
    expect(body).toContain('runtime value:   5000-5499,7000,8080');
    expect(body).toContain('persisted value: 5000-5999,8080');
    expect(body).toContain('persisted missing: 9100');
    expect(body).toContain('overridden at boot by: /etc/sysctl.d/99-zz-local.conf');
    expect(drift['system-out']).toContain('tcp/5001 reserved_port_in_use on 10.0.0.5:5001 peer 10.0.0.9:443 (curl)');

    expect(byName(cases, 'cache-1').failure?.['#text']).toContain('persisted value: (absent: file or line missing)');
    expect(byName(cases, 'app-1').failure).toMatchObject({ '@_type': 'failed' });
    expect(byName(cases, 'app-1').failure?.['#text']).toContain('read-only /proc/sys');
    expect(byName(cases, 'app-2').error).toMatchObject({ '@_type': 'unreachable' });
    expect(byName(cases, 'app-2').error?.['#text']).toContain('Connection timed out');
    expect(byName(cases, 'app-3').skipped?.['@_message']).toMatch(/^not run: rollout stopped/);
    expect(byName(cases, 'app-3').skipped?.['#text']).toContain('rollout stopped');
    expect(byName(cases, 'legacy-1').skipped?.['#text']).toContain('min_ephemeral_ports 1000');
  });

  test('test names are unique even for repeated hosts', () => {
    const { cases } = parse(renderJunit(report([host('a'), host('a'), host('a')])));
    expect(cases.map((c) => c['@_name'])).toEqual(['a', 'a (2)', 'a (3)']);
  });

  test('hostile strings are escaped; control characters never reach the XML', () => {
    const xml = renderJunit(hostileReport());
    expect(xml).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f]/);
    expect(xml).not.toContain('<script>');
    expect(xml).not.toContain('<b>');
    expect(xml).toContain('name="evil&quot;&lt;script&gt;alert(1)&lt;/script&gt;&amp;&apos; red\\x"');
    expect(xml).toContain('message: bad &lt;b&gt;&amp;amp; "quoted"');
    expect(xml).toContain('message="bad &lt;b&gt;&amp;amp; &quot;quoted&quot; &apos;single&apos;&#10;line2');
  });

  test('a parser gets the original text back, minus terminal escapes', () => {
    const { cases, suite } = parse(renderJunit(hostileReport()));
    expect(suite['@_tests']).toBe('3');
    const evil = cases[0]!;
    expect(evil['@_name']).toBe('evil"<script>alert(1)</script>&\' red\\x');
    expect(evil['@_classname']).toBe('fleet.<ports>&');
    const body = evil.failure?.['#text'] ?? '';
    expect(body).toContain(`message: bad <b>&amp; "quoted" 'single'\nline2\nALERT ␇bell ␀nul ]]> --> link`);
    expect(HOSTILE_MESSAGE).toContain('\x1b[1;31m');
    expect(body).not.toContain('[1;31m');
    expect(evil['system-out']).toContain('(<img src=x onerror=alert(1)>)');
    expect(cases[1]!.error?.['@_message']).toContain('line2');
  });

  test('xmlEscape', () => {
    expect(xmlEscape(`<a href="x">&'\n\t\x1b[0m\x01`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&#10;&#9;␁');
  });
});
