import { describe, expect, test } from 'vitest';
import { FleetError } from '../../src/errors.js';
import { parseReportSpec, REPORT_FORMATS, renderReport } from '../../src/report/index.js';
import { renderJunit } from '../../src/report/junit.js';
import { checkReport } from '../fixtures/reports/build.js';

describe('parseReportSpec', () => {
  test.each([
    ['junit=out/x.xml', { format: 'junit', path: 'out/x.xml' }],
    ['json=report.json', { format: 'json', path: 'report.json' }],
    ['prometheus=/var/lib/node_exporter/fleet.prom', { format: 'prometheus', path: '/var/lib/node_exporter/fleet.prom' }],
    ['HTML=a=b.html', { format: 'html', path: 'a=b.html' }],
  ])('%s', (spec, want) => {
    expect(parseReportSpec(spec)).toEqual(want);
  });

  test.each([
    ['junit', /must be FORMAT=PATH/],
    ['xml=out.xml', /unknown format "xml" \(formats: json, junit, prometheus, html\)/],
    ['junit=', /missing file path after "=", e.g. junit=out\/fleet.xml/],
    ['=x.json', /unknown format ""/],
  ])('%s is rejected with exit 2', (spec, message) => {
    let err: unknown;
    try {
      parseReportSpec(spec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FleetError);
    expect((err as FleetError).exitCode).toBe(2);
    expect((err as FleetError).message).toMatch(message);
  });
});

describe('renderReport', () => {
  test('dispatches by format', () => {
    const r = checkReport();
    expect(renderReport('junit', r)).toBe(renderJunit(r));
    expect(renderReport('json', r).startsWith('{\n  "tool": "fleet"')).toBe(true);
    expect(renderReport('prometheus', r)).toMatch(/^# HELP fleet_host_compliant /);
    expect(renderReport('html', r)).toMatch(/^<!doctype html>/);
    expect(REPORT_FORMATS).toEqual(['json', 'junit', 'prometheus', 'html']);
  });
});
