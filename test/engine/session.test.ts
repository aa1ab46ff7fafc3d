/**
 * engine/session.ts ReadWatch: how a deferred read learns its hosts from the
 * targets report of fleet's callback, and what it says when the report is
 * missing or broken (never an empty, "compliant" run).
 */
import { describe, expect, it } from 'vitest';
import { OutcomeCollector, parseEventLine } from '../../src/ansible/events.js';
import { ReadWatch, type Session } from '../../src/engine/session.js';
import type { PlaybookRun } from '../../src/engine/playbook.js';
import { loadPolicy } from '../../src/policy/index.js';

const { policy } = await loadPolicy('examples/policy.yaml');

function session(): Session {
  return {
    policy,
    policyLabel: 'examples/policy.yaml',
    deferred: true,
    inventory: { hosts: [], groups: [], source: 'inventories/lab.yml' },
    plans: [],
    outsideTargets: [],
    warnings: [],
  } as unknown as Session;
}

function finished(lines: string[], exitCode = 0): PlaybookRun {
  const collector = new OutcomeCollector();
  for (const l of lines) collector.line(l);
  return { collector, exitCode, signal: undefined, interrupted: false, stderr: '' };
}

const read = (host: string) =>
  JSON.stringify({ _event: 'v2_runner_on_ok', task: { name: 'fleet read state' }, hosts: { [host]: { stdout: '@@fleet begin readback-2\n' } } });
const targets = (doc: Record<string, unknown>) => JSON.stringify({ _event: 'fleet_report_targets', ...doc });

describe('ReadWatch', () => {
  it('plans the hosts the targets report names, with their groups', () => {
    const s = session();
    const watch = new ReadWatch(s, { audit: false });
    const line = targets({ hosts: ['h1', 'h4'], groups: { all: ['h1', 'h4', 'h9'], web: ['h1'] } });
    watch.event(parseEventLine(line)!);
    expect(s.plans.map((p) => p.host)).toEqual(['h1', 'h4']);
    expect(s.inventory.hosts.find((h) => h.name === 'h1')?.groups).toEqual(['web']);
    expect(() => watch.check(finished([line, read('h1'), read('h4')]))).not.toThrow();
  });

  it('hosts read without a targets report: an error (exit 3), never a run judged against no hosts', () => {
    const watch = new ReadWatch(session(), { audit: false });
    const pb = finished([read('h1')]);
    expect(() => watch.check(pb)).toThrow(/read 1 host\(s\) without reporting its targets/);
  });

  it("a report the callback could not make names Ansible's error", () => {
    const watch = new ReadWatch(session(), { audit: false });
    const line = targets({ error: "AttributeError: 'NoneType' object has no attribute '_inventory'" });
    watch.event(parseEventLine(line)!);
    expect(() => watch.check(finished([line], 1))).toThrow(/could not report the hosts it targets: AttributeError/);
  });

  it('no report and no host read, exit 0: no host matched (exit 2 with the pattern to check)', () => {
    const watch = new ReadWatch(session(), { audit: false });
    expect(() => watch.check(finished([]))).toThrow(/no hosts in the inventory/);
  });
});
