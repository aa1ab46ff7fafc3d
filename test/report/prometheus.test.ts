import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { escapeLabelValue, renderPrometheus } from '../../src/report/prometheus.js';
import { ALL_FIXTURES, checkReport, cleanReport, host, HOSTILE_HOST, hostileReport, planReport, report } from '../fixtures/reports/build.js';
import { checkExposition, type Sample } from './prom-format.js';

const FAMILIES = [
  'fleet_host_compliant',
  'fleet_host_verdict',
  'fleet_host_missing_ports',
  'fleet_host_extra_ports',
  'fleet_host_ephemeral_ports_free',
  'fleet_hosts',
  'fleet_audit_findings',
  'fleet_last_run_timestamp_seconds',
  'fleet_last_run_duration_seconds',
  'fleet_last_run_success',
];

const promtool = spawnSync('promtool', ['--version']).status === 0;

function value(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('renderPrometheus', () => {
  test.each(Object.keys(ALL_FIXTURES))('%s passes the strict exposition check', (name) => {
    const text = renderPrometheus(ALL_FIXTURES[name]!());
    const { problems, families } = checkExposition(text);
    expect(problems).toEqual([]);
    expect(families).toEqual(FAMILIES);
  });

  test.skipIf(!promtool).each(Object.keys(ALL_FIXTURES))('%s passes promtool check metrics', (name) => {
    const out = execFileSync('promtool', ['check', 'metrics'], { input: renderPrometheus(ALL_FIXTURES[name]!()), encoding: 'utf8' });
    expect(out).toBe('');
  });

  test('the checker itself rejects bad input', () => {
    expect(checkExposition('fleet_x 1\n').problems[0]).toMatch(/before HELP and TYPE/);
    expect(checkExposition('# HELP a x\n# TYPE a gauge\na 1 1700000000000\n').problems[0]).toMatch(/not a HELP/);
    expect(checkExposition('# HELP a x\n# TYPE a gauge\na{h="1"} 1\na{h="1"} 2\n').problems[0]).toMatch(/duplicate series/);
    expect(checkExposition('# HELP a x\n# TYPE a gauge\na{h="x\ny"} 1\n').problems.length).toBeGreaterThan(0);
  });

  test('per-host values for the check fixture', () => {
    const { samples } = checkExposition(renderPrometheus(checkReport()));
    const p = { policy: 'ports' };
    expect(value(samples, 'fleet_host_compliant', { ...p, host: 'web-1' })).toBe(1);
    expect(value(samples, 'fleet_host_compliant', { ...p, host: 'db-1' })).toBe(0);
    // 5500-5999,9100 is 501 ports, 7000 is one: counted with the port-set algebra.
    expect(value(samples, 'fleet_host_missing_ports', { ...p, host: 'db-1' })).toBe(501);
    expect(value(samples, 'fleet_host_extra_ports', { ...p, host: 'db-1' })).toBe(1);
    expect(value(samples, 'fleet_host_missing_ports', { ...p, host: 'app-2' })).toBeUndefined();
    expect(value(samples, 'fleet_audit_findings', { ...p, host: 'db-1' })).toBe(2);
    expect(value(samples, 'fleet_host_ephemeral_ports_free', { ...p, host: 'legacy-1' })).toBe(900);
    const verdicts = samples.filter((s) => s.name === 'fleet_host_verdict' && s.labels.host === 'app-2');
    expect(verdicts).toHaveLength(6);
    expect(verdicts.filter((s) => s.value === 1).map((s) => s.labels.verdict)).toEqual(['unreachable']);
    const totals = Object.fromEntries(samples.filter((s) => s.name === 'fleet_hosts').map((s) => [s.labels.verdict, s.value]));
    expect(totals).toEqual({ compliant: 2, drift: 2, failed: 1, unreachable: 1, not_run: 1, refused: 1 });
    expect(value(samples, 'fleet_last_run_timestamp_seconds', p)).toBe(Date.parse('2025-03-04T05:06:07.890Z') / 1000);
    expect(value(samples, 'fleet_last_run_duration_seconds', p)).toBe(12.5);
    expect(value(samples, 'fleet_last_run_success', p)).toBe(0);
  });

  test('success is 1 only when every host is compliant and the run finished', () => {
    const ok = checkExposition(renderPrometheus(cleanReport())).samples;
    expect(value(ok, 'fleet_last_run_success', {})).toBe(1);
    const cut = checkExposition(renderPrometheus({ ...cleanReport(), interrupted: 'SIGTERM' })).samples;
    expect(value(cut, 'fleet_last_run_success', {})).toBe(0);
    const none = checkExposition(renderPrometheus(report([]))).samples;
    expect(value(none, 'fleet_last_run_success', {})).toBe(0);
  });

  test('plans report the free ephemeral ports after the change', () => {
    const { samples } = checkExposition(renderPrometheus(planReport()));
    expect(value(samples, 'fleet_host_ephemeral_ports_free', { host: 'db-1' })).toBe(27232);
  });

  test('hostile host names are escaped and round-trip', () => {
    const text = renderPrometheus(hostileReport());
    const { problems, samples } = checkExposition(text);
    expect(problems).toEqual([]);
    expect(value(samples, 'fleet_host_compliant', { host: HOSTILE_HOST })).toBe(0);
    expect(samples.find((s) => s.labels.host === HOSTILE_HOST)?.labels.policy).toBe('<ports>&');
  });

  test('escapeLabelValue', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });

  test('a repeated host yields no duplicate series', () => {
    const text = renderPrometheus(report([host('a'), host('a', { verdict: 'drift' })]));
    expect(checkExposition(text).problems).toEqual([]);
    expect(text).toContain('fleet_host_compliant{host="a",policy="ports"} 1');
  });
});
