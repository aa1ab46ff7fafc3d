import { expect, test } from 'vitest';
import { compareNatural } from '../../src/ports/order.js';
import { makeReport } from '../../src/verify/report.js';
import { host } from '../fixtures/reports/build.js';
import type { Policy } from '../../src/policy/types.js';

test('natural host order: h2 before h10, c9 before c10, leading zeros and text tie-broken by code points', () => {
  const names = ['h10', 'h2', 'c10', 'c9', 'h1', 'web-10.example', 'web-9.example', 'h02', 'H3', 'h'];
  expect([...names].sort(compareNatural)).toEqual(['H3', 'c9', 'c10', 'h', 'h1', 'h02', 'h2', 'h10', 'web-9.example', 'web-10.example']);
});

test('reports list hosts in natural order', () => {
  const policy = { mode: 'exact' } as Policy;
  const r = makeReport({
    command: 'plan',
    policy,
    policyLabel: 'p.yaml',
    startedAt: new Date(0),
    finishedAt: new Date(0),
    hosts: ['c10', 'c2', 'c1'].map((n) => host(n)),
  });
  expect(r.hosts.map((h) => h.host)).toEqual(['c1', 'c2', 'c10']);
});
