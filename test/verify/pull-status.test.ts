import { describe, expect, it } from 'vitest';
import type { HostPlan } from '../../src/plan/desired.js';
import { mustParse } from '../../src/ports/portset.js';
import { parseQueryResponse, pullQuery, pullStatus, type PromSample } from '../../src/verify/pull-status.js';

const NOW = 1_800_000_000;
const SHA = 'a'.repeat(64);

function plan(host: string, desired: string, extra: Partial<HostPlan> = {}): HostPlan {
  return { host, groups: ['web'], desired: mustParse(desired), capacity: { total: 28232, reserved: 0, free: 28232 }, ...extra } as HostPlan;
}

/** What one host's textfile gives in Prometheus after a pull run `age` seconds ago. */
function hostSamples(
  host: string,
  o: { age?: number; sha?: string; compliant?: boolean; drift?: string[]; current?: string; persisted?: string; governed?: boolean; message?: string } = {},
): PromSample[] {
  const id = { host, policy: 'prod', policy_sha256: o.sha ?? SHA, fleet_version: '0.1.0', mode: 'check', instance: '198.18.18.11:9100', job: 'fleet' };
  const s = (name: string, value: number, labels: Record<string, string> = {}): PromSample => ({
    labels: { __name__: name, ...id, ...labels },
    value,
    at: NOW,
  });
  const out = [s('fleet_governed', o.governed === false ? 0 : 1), s('fleet_last_run_timestamp_seconds', NOW - (o.age ?? 30))];
  if (o.governed === false) return out;
  const drift = o.drift ?? [];
  out.push(s('fleet_compliant', (o.compliant ?? drift.length === 0) ? 1 : 0));
  for (const r of ['runtime', 'persisted', 'port_range', 'apply_failed', 'read_failed']) out.push(s('fleet_drift', drift.includes(r) ? 1 : 0, { reason: r }));
  out.push(
    s('fleet_host_info', 1, {
      desired: '5000-10000',
      current: o.current ?? '5000-10000',
      persisted: o.persisted ?? '5000-10000',
      port_range: '1024 65000',
      message: o.message ?? '',
    }),
  );
  return out;
}

const plans = [plan('h1', '5000-10000'), plan('h2', '5000-10000'), plan('h3', '5000-10000'), plan('h4', '5000-10000'), plan('h5', '5000-10000')];
const status = (samples: PromSample[], p = plans) => pullStatus({ plans: p, mode: 'exact', digest: SHA, samples, maxAgeSeconds: 300 });
const byHost = (r: ReturnType<typeof status>) => Object.fromEntries(r.map((h) => [h.host, h]));

describe('pullStatus', () => {
  it('every host of the inventory gets a verdict; hosts reporting compliant are compliant with their values', () => {
    const r = byHost(status(['h1', 'h2', 'h3'].flatMap((h) => hostSamples(h))));
    expect(Object.keys(r)).toEqual(['h1', 'h2', 'h3', 'h4', 'h5']);
    expect(r.h1).toMatchObject({ verdict: 'compliant', current: '5000-10000', persisted: '5000-10000', runtime: { missing: '', extra: '' } });
    expect(r.h4).toMatchObject({ verdict: 'not_run', message: expect.stringMatching(/no pull metrics/) });
  });

  it('drift names the reasons and the missing ports, computed here from the value the host read', () => {
    const r = byHost(status(hostSamples('h2', { drift: ['runtime'], current: '7000,20000' })));
    expect(r.h2).toMatchObject({ verdict: 'drift', current: '7000,20000', runtime: { missing: '5000-6999,7001-10000', extra: '20000' } });
    expect(r.h2!.message).toMatch(/pull run reports runtime; missing 5000-6999,7001-10000; extra 20000/);
  });

  it('an absent persistence file is reported as null, not as a value', () => {
    expect(byHost(status(hostSamples('h1', { drift: ['persisted'], persisted: '(absent)' }))).h1).toMatchObject({ verdict: 'drift', persisted: null });
  });

  it("a failed apply or read is failed, with the host's message", () => {
    const r = byHost(status(hostSamples('h3', { drift: ['apply_failed', 'runtime'], current: '', message: 'Read-only file system' })));
    expect(r.h3).toMatchObject({ verdict: 'failed' });
    expect(r.h3!.message).toMatch(/apply_failed.*Read-only file system/);
  });

  it('a host whose last run is older than the allowed age is stale (not_run), even if it was compliant then', () => {
    const r = byHost(status(hostSamples('h1', { age: 301 })));
    expect(r.h1).toMatchObject({ verdict: 'not_run', message: expect.stringMatching(/^stale: last pull run 301 s ago, older than the allowed 300 s/) });
    expect(byHost(status(hostSamples('h1', { age: 299 }))).h1!.verdict).toBe('compliant');
  });

  it('a host reporting another policy version is drift, whatever its own verdict', () => {
    const r = byHost(status(hostSamples('h5', { sha: 'b'.repeat(64) })));
    expect(r.h5).toMatchObject({ verdict: 'drift', message: expect.stringMatching(/policy version bbbbbbbbbbbb, this policy is aaaaaaaaaaaa/) });
  });

  it('a host of the inventory whose repository does not govern it is drift, nothing applied', () => {
    expect(byHost(status(hostSamples('h4', { governed: false, sha: 'c'.repeat(64) }))).h4).toMatchObject({
      verdict: 'drift',
      message: expect.stringMatching(/does not govern it/),
    });
  });

  it('two series of one host (a version change between scrapes): the newest run wins', () => {
    const r = byHost(status([...hostSamples('h1', { sha: 'b'.repeat(64), age: 200, drift: ['runtime'], current: '1' }), ...hostSamples('h1', { age: 10 })]));
    expect(r.h1!.verdict).toBe('compliant');
  });

  it('refused plans stay refused; samples for hosts not in the inventory are ignored', () => {
    const r = byHost(status(hostSamples('stranger'), [plan('h1', '5000', { refused: 'below min_ephemeral_ports' })]));
    expect(Object.keys(r)).toEqual(['h1']);
    expect(r.h1).toMatchObject({ verdict: 'refused', message: 'below min_ephemeral_ports' });
  });

  it('additive mode reports no extra ports', () => {
    const r = pullStatus({
      plans: [plan('h1', '5000-10000')],
      mode: 'additive',
      digest: SHA,
      samples: hostSamples('h1', { current: '5000-10000,30000', drift: ['runtime'] }),
      maxAgeSeconds: 300,
    });
    expect(r[0]!.runtime).toEqual({ missing: '', extra: '' });
  });
});

describe('parseQueryResponse', () => {
  it('reads an instant vector', () => {
    const r = parseQueryResponse({
      status: 'success',
      data: { resultType: 'vector', result: [{ metric: { __name__: 'fleet_compliant', host: 'h1' }, value: [1800000000.5, '1'] }] },
    });
    expect(r).toEqual({ ok: true, samples: [{ labels: { __name__: 'fleet_compliant', host: 'h1' }, value: 1, at: 1800000000.5 }] });
  });

  it.each([
    ['not an object', 'nope', /not a JSON object/],
    ['an error answer', { status: 'error', errorType: 'bad_data', error: 'parse error at char 3' }, /status error: parse error at char 3/],
    ['a matrix', { status: 'success', data: { resultType: 'matrix', result: [] } }, /instant vector, got matrix/],
    ['a malformed sample', { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: ['x'] }] } }, /malformed sample/],
    ['a non-number value', { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, 'abc'] }] } }, /malformed sample value/],
  ])('refuses %s', (_name, body, error) => {
    const r = parseQueryResponse(body);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });
});

describe('pullQuery', () => {
  it('selects the pull metrics of one policy, host series only, with the policy name escaped', () => {
    expect(pullQuery('prod')).toBe(
      '{__name__=~"fleet_governed|fleet_compliant|fleet_drift|fleet_last_run_timestamp_seconds|fleet_host_info",policy="prod",host!=""}',
    );
    expect(pullQuery('a"b\\c')).toContain('policy="a\\"b\\\\c"');
  });
});
