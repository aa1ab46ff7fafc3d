import { describe, expect, it } from 'vitest';
import type { HostPlan } from '../../src/plan/desired.js';
import { capacity } from '../../src/ports/capacity.js';
import { mustParse, type PortRange } from '../../src/ports/portset.js';
import { TASK } from '../../src/render/playbooks.js';
import { diffSets, judge } from '../../src/verify/judge.js';
import type { SysctlFile } from '../../src/verify/boot.js';
import { parseReadback, type Observed } from '../../src/verify/readback.js';
import { CHECK_MIXED, APPLY_MIXED, recordedStdout } from '../ansible/recorded.js';

const PERSIST_NAME = '90-fleet-reserved-ports.conf';
const PERSIST = `/etc/sysctl.d/${PERSIST_NAME}`;
const KEY = 'net.ipv4.ip_local_reserved_ports';
const RANGE_KEY = 'net.ipv4.ip_local_port_range';

function plan(desired: string, ephemeral?: PortRange): HostPlan {
  const set = mustParse(desired);
  return { host: 'h1', groups: ['web'], desired: set, ...(ephemeral ? { ephemeral } : {}), capacity: capacity(set, ephemeral) };
}

type FileSpec = { dir?: string; name: string; text?: string; state?: 'empty' | 'unreadable' };

/** Observed state of a host whose file and runtime both hold `value`, unless overridden; `files` are the other boot files. */
function obs(o: { reserved: string; persist?: string | null | 'unreadable'; files?: FileSpec[]; range?: PortRange; unreadableDirs?: string[] }): Observed {
  const text = o.persist === undefined ? `${KEY}=${o.reserved}\n` : o.persist;
  const ours: SysctlFile[] =
    text === null
      ? []
      : text === 'unreadable'
        ? [{ dir: '/etc/sysctl.d', name: PERSIST_NAME, state: 'unreadable' }]
        : [{ dir: '/etc/sysctl.d', name: PERSIST_NAME, state: 'content', text }];
  const others = (o.files ?? []).map(
    (f): SysctlFile => ({ dir: f.dir ?? '/etc/sysctl.d', name: f.name, state: f.state ?? 'content', ...(f.state ? {} : { text: f.text ?? '' }) }),
  );
  return {
    reserved: mustParse(o.reserved),
    reservedRaw: o.reserved,
    range: o.range ?? [32768, 60999],
    persist: text === null ? { state: 'absent' } : text === 'unreadable' ? { state: 'unreadable' } : { state: 'present', text },
    files: [...ours, ...others],
    unreadableDirs: o.unreadableDirs ?? [],
  };
}

describe('diffSets', () => {
  it.each([
    ['8080,9000-9100', '8080,9000-9100', 'exact', '', ''],
    ['8080,9000-9100', '7000,8080', 'exact', '9000-9100', '7000'],
    ['8080,9000-9100', '7000,8080', 'additive', '9000-9100', ''],
    ['', '7000', 'exact', '', '7000'],
    ['', '7000', 'additive', '', ''],
    ['9000-9100', '9050', 'exact', '9000-9049,9051-9100', ''],
  ] as const)('desired %s, actual %s (%s) -> missing %j extra %j', (d, a, mode, missing, extra) => {
    expect(diffSets(mustParse(d), mustParse(a), mode)).toEqual({ missing, extra });
  });
});

describe('judge', () => {
  it('compliant: runtime and persisted both equal the policy', () => {
    const r = judge(plan('8080,9000-9100'), 'exact', PERSIST, obs({ reserved: '8080,9000-9100' }));
    expect(r).toEqual({
      host: 'h1',
      groups: ['web'],
      verdict: 'compliant',
      desired: '8080,9000-9100',
      current: '8080,9000-9100',
      runtime: { missing: '', extra: '' },
      persisted: '8080,9000-9100',
      persistedDiff: { missing: '', extra: '' },
      boot: { reserved: { value: '8080,9000-9100', file: PERSIST, line: 1, written: '8080,9000-9100' } },
      ephemeral: { current: '32768-60999' },
      freeEphemeral: 28232,
    });
    expect(r.message).toBeUndefined();
  });

  it('exact mode names the missing and the extra runtime ports exactly', () => {
    const r = judge(plan('8080,9000-9100'), 'exact', PERSIST, obs({ reserved: '7000,8080,9000-9049', persist: `${KEY}=8080,9000-9100\n` }));
    expect(r.verdict).toBe('drift');
    expect(r.runtime).toEqual({ missing: '9050-9100', extra: '7000' });
    expect(r.message).toBe('runtime: missing 9050-9100, extra 7000');
    expect(r.current).toBe('7000,8080,9000-9049');
  });

  it('additive mode ignores extra ports at runtime and in the file', () => {
    const r = judge(plan('8080'), 'additive', PERSIST, obs({ reserved: '7000,8080' }));
    expect(r.verdict).toBe('compliant');
    expect(r.runtime).toEqual({ missing: '', extra: '' });
    expect(r.persistedDiff).toEqual({ missing: '', extra: '' });
  });

  it('additive mode still reports missing ports', () => {
    const r = judge(plan('8080,9000'), 'additive', PERSIST, obs({ reserved: '7000,8080', persist: `${KEY}=7000,8080,9000\n` }));
    expect(r.verdict).toBe('drift');
    expect(r.runtime).toEqual({ missing: '9000', extra: '' });
    expect(r.message).toBe('runtime: missing 9000');
  });

  it('a missing persistence file is drift: lost at reboot', () => {
    const r = judge(plan('8080'), 'exact', PERSIST, obs({ reserved: '8080', persist: null }));
    expect(r.verdict).toBe('drift');
    expect(r.persisted).toBeNull();
    expect(r.persistedDiff).toBeUndefined();
    expect(r.message).toBe(`${PERSIST} is missing: the value would be lost at reboot`);
  });

  it('a file without our key is drift: lost at reboot', () => {
    const r = judge(plan('8080'), 'exact', PERSIST, obs({ reserved: '8080', persist: '# emptied by someone\n' }));
    expect(r.verdict).toBe('drift');
    expect(r.persisted).toBeNull();
    expect(r.message).toBe(`${PERSIST} does not set ${KEY}: the value would be lost at reboot`);
  });

  it('a persisted value that differs is drift with its own diff, runtime clean', () => {
    const r = judge(plan('8080,9000-9100'), 'exact', PERSIST, obs({ reserved: '8080,9000-9100', persist: `${KEY}=8080,7000\n` }));
    expect(r.verdict).toBe('drift');
    expect(r.runtime).toEqual({ missing: '', extra: '' });
    expect(r.persisted).toBe('7000,8080');
    expect(r.persistedDiff).toEqual({ missing: '9000-9100', extra: '7000' });
    expect(r.message).toBe('persisted: missing 9000-9100, extra 7000');
  });

  it('the last assignment in our file is the persisted one', () => {
    const r = judge(plan('8080'), 'exact', PERSIST, obs({ reserved: '8080', persist: `${KEY}=7000\n${KEY}=8080\n` }));
    expect(r.persisted).toBe('8080');
    expect(r.boot?.reserved).toEqual({ value: '8080', file: PERSIST, line: 2, written: '8080' });
    expect(r.verdict).toBe('compliant');
  });

  it('an invalid persisted value is drift: the kernel would reject it at boot', () => {
    const r = judge(plan('8080,9000'), 'exact', PERSIST, obs({ reserved: '8080,9000', persist: `${KEY}=8080, 9000\n` }));
    expect(r.verdict).toBe('drift');
    expect(r.persisted).toBe('8080, 9000');
    expect(r.persistedDiff).toBeUndefined();
    expect(r.message).toContain(`${PERSIST} holds an invalid value "8080, 9000"`);
    expect(r.message).toContain('whitespace');
    expect(r.message).toContain('reject it at boot');
    expect(r.boot?.reserved).toEqual({ value: '', file: PERSIST, line: 1, written: '8080, 9000', rejected: true });
  });

  it('a value padded with U+00A0 is invalid: systemd strips only ASCII space and tab (issue 10, case 5)', () => {
    const r = judge(plan('8080'), 'exact', PERSIST, obs({ reserved: '8080', persist: Buffer.from(`${KEY}=\u00a08080\u00a0\n`, 'utf8').toString('latin1') }));
    expect(r.verdict).toBe('drift');
    expect(r.message).toContain('holds an invalid value "\u00a08080\u00a0"');
    expect(r.boot?.reserved).toMatchObject({ value: '', rejected: true });
  });

  it('a later file setting another value overrides ours at boot', () => {
    const files = [
      { dir: '/usr/lib/sysctl.d', name: '50-vendor.conf', text: `${KEY}=1234\n` },
      { name: '99-other.conf', text: `# local\n${KEY}=7000\n` },
    ];
    const r = judge(plan('8080'), 'exact', PERSIST, obs({ reserved: '8080', files }));
    expect(r.verdict).toBe('drift');
    expect(r.overriddenBy).toEqual(['/etc/sysctl.d/99-other.conf']);
    expect(r.boot?.reserved).toEqual({ value: '7000', file: '/etc/sysctl.d/99-other.conf', line: 2, written: '7000' });
    expect(r.message).toBe(
      `at boot ${KEY} becomes "7000": set by /etc/sysctl.d/99-other.conf:2; /etc/sysctl.d/99-other.conf is read after ${PERSIST}: remove the key from it (or stop the tool that writes it), or use mode: additive with a persist_file that sorts after it (docs/kubernetes.md)`,
    );
    expect(r.runtime).toEqual({ missing: '', extra: '' });
  });

  it('a file name with ":" counts like any other (issue 10, case 3)', () => {
    const r = judge(plan('8080'), 'exact', PERSIST, obs({ reserved: '8080', files: [{ name: '99-app:v2.conf', text: `${KEY}=7000\n` }] }));
    expect(r.verdict).toBe('drift');
    expect(r.overriddenBy).toEqual(['/etc/sysctl.d/99-app:v2.conf']);
  });

  it('a masked file sets nothing, and what it hid decides (issue 10, case 4)', () => {
    const files = [
      { dir: '/usr/lib/sysctl.d', name: '99-vendor.conf', text: `${KEY}=8080\n` },
      { name: '99-vendor.conf', state: 'empty' as const },
      { dir: '/run/sysctl.d', name: '95-between.conf', text: `${KEY}=7000\n` },
    ];
    const r = judge(plan('8080'), 'exact', PERSIST, obs({ reserved: '8080', files }));
    expect(r.verdict).toBe('drift');
    expect(r.boot?.reserved).toMatchObject({ value: '7000', file: '/run/sysctl.d/95-between.conf' });
  });

  it('an invalid value in a later file overrides too: the kernel default stays', () => {
    const r = judge(plan('8080'), 'exact', PERSIST, obs({ reserved: '8080', files: [{ name: '99-sysctl.conf', text: `${KEY}=garbage\n` }] }));
    expect(r.overriddenBy).toEqual(['/etc/sysctl.d/99-sysctl.conf']);
    expect(r.message).toBe(
      `at boot ${KEY} becomes "": /etc/sysctl.d/99-sysctl.conf:1 sets "garbage", which the kernel refuses, so the default stays; /etc/sysctl.d/99-sysctl.conf is read after ${PERSIST}: remove the key from it (or stop the tool that writes it), or use mode: additive with a persist_file that sorts after it (docs/kubernetes.md)`,
    );
  });

  it('a later -key line cancels ours: the kernel default stays', () => {
    const r = judge(plan('8080'), 'exact', PERSIST, obs({ reserved: '8080', files: [{ name: '99-z.conf', text: `-${KEY}\n` }] }));
    expect(r.message).toBe(
      `at boot ${KEY} becomes "": /etc/sysctl.d/99-z.conf:1 cancels it (-key), so the kernel default stays; /etc/sysctl.d/99-z.conf is read after ${PERSIST}: remove the key from it (or stop the tool that writes it), or use mode: additive with a persist_file that sorts after it (docs/kubernetes.md)`,
    );
  });

  it('a later file with an acceptable value, or an earlier one with any value, is no override', () => {
    expect(
      judge(plan('8080'), 'exact', PERSIST, obs({ reserved: '8080', files: [{ name: '99-other.conf', text: `${KEY}=8080` }] })).overriddenBy,
    ).toBeUndefined();
    const r = judge(plan('8080'), 'exact', PERSIST, obs({ reserved: '8080', files: [{ name: '10-early.conf', text: `${KEY}=7000` }] }));
    expect(r.overriddenBy).toBeUndefined();
    expect(r.verdict).toBe('compliant');
    // additive: a superset set later is acceptable
    const superset = [{ name: '99-other.conf', text: `${KEY}=7000,8080` }];
    expect(judge(plan('8080'), 'additive', PERSIST, obs({ reserved: '8080', files: superset })).verdict).toBe('compliant');
    expect(judge(plan('8080'), 'exact', PERSIST, obs({ reserved: '8080', files: superset })).overriddenBy).toEqual(['/etc/sysctl.d/99-other.conf']);
  });

  it('a range setting in a later file is no reserved-ports override when the policy leaves the range alone', () => {
    const r = judge(plan('8080'), 'exact', PERSIST, obs({ reserved: '8080', files: [{ name: '99-tuning.conf', text: `${RANGE_KEY} = 32768 60999\n` }] }));
    expect(r.verdict).toBe('compliant');
    expect(r.boot?.range).toBeUndefined();
  });

  it('a later file that sets the managed range reverts it at boot: drift (issue 10, case 1)', () => {
    const persist = `${KEY}=8080\n${RANGE_KEY}=20000 60999\n`;
    const r = judge(
      plan('8080', [20000, 60999]),
      'exact',
      PERSIST,
      obs({ reserved: '8080', persist, range: [20000, 60999], files: [{ name: '99-tuning.conf', text: `${RANGE_KEY} = 32768 60999\n` }] }),
    );
    expect(r.verdict).toBe('drift');
    expect(r.overriddenBy).toEqual(['/etc/sysctl.d/99-tuning.conf']);
    expect(r.boot).toEqual({
      reserved: { value: '8080', file: PERSIST, line: 1, written: '8080' },
      range: { value: '32768 60999', file: '/etc/sysctl.d/99-tuning.conf', line: 1, written: '32768 60999' },
    });
    expect(r.message).toBe(
      `at boot ${RANGE_KEY} becomes "32768 60999": set by /etc/sysctl.d/99-tuning.conf:1; /etc/sysctl.d/99-tuning.conf is read after ${PERSIST}: remove ${RANGE_KEY} from it, or set persist_file to a name that sorts after it`,
    );
  });

  it('a boot file the reading user cannot open makes the boot value unknown: failed, naming the file (issue 10, case 6)', () => {
    const r = judge(plan('8080'), 'exact', PERSIST, obs({ reserved: '8080', files: [{ name: '99-secret.conf', state: 'unreadable' }] }));
    expect(r.verdict).toBe('failed');
    expect(r.boot?.reserved).toEqual({ value: null, file: PERSIST, line: 1, written: '8080', unreadable: ['/etc/sysctl.d/99-secret.conf'] });
    expect(r.message).toBe(`cannot read /etc/sysctl.d/99-secret.conf: the boot value of ${KEY} is unknown`);
    // one sorting before ours cannot change the outcome
    expect(judge(plan('8080'), 'exact', PERSIST, obs({ reserved: '8080', files: [{ name: '10-secret.conf', state: 'unreadable' }] })).verdict).toBe(
      'compliant',
    );
    // nor can an unreadable persistence file be taken as compliant
    expect(judge(plan('8080'), 'exact', PERSIST, obs({ reserved: '8080', persist: 'unreadable' })).verdict).toBe('failed');
    expect(judge(plan('8080'), 'exact', PERSIST, obs({ reserved: '8080', unreadableDirs: ['/run/sysctl.d'] })).message).toBe(
      `cannot read /run/sysctl.d: the boot value of ${KEY} is unknown`,
    );
  });

  describe('managed ephemeral range', () => {
    const withRange = `${KEY}=8080\n${RANGE_KEY}=20000 60999\n`;

    it('compliant when runtime and file hold the range', () => {
      const r = judge(plan('8080', [20000, 60999]), 'exact', PERSIST, obs({ reserved: '8080', persist: withRange, range: [20000, 60999] }));
      expect(r.verdict).toBe('compliant');
      expect(r.ephemeral).toEqual({ desired: '20000-60999', current: '20000-60999' });
      expect(r.freeEphemeral).toBe(60999 - 20000 + 1);
    });

    it('a different runtime range is drift', () => {
      const r = judge(plan('8080', [20000, 60999]), 'exact', PERSIST, obs({ reserved: '8080', persist: withRange, range: [32768, 60999] }));
      expect(r.verdict).toBe('drift');
      expect(r.ephemeral).toEqual({ desired: '20000-60999', current: '32768-60999' });
      expect(r.message).toBe('ip_local_port_range is 32768-60999, policy wants 20000-60999');
    });

    it('an unknown runtime range is drift', () => {
      const o = obs({ reserved: '8080', persist: withRange });
      delete o.range;
      const r = judge(plan('8080', [20000, 60999]), 'exact', PERSIST, o);
      expect(r.message).toBe('ip_local_port_range is unknown, policy wants 20000-60999');
    });

    it('a range missing from or different in the file is drift', () => {
      const missing = judge(plan('8080', [20000, 60999]), 'exact', PERSIST, obs({ reserved: '8080', range: [20000, 60999] }));
      expect(missing.verdict).toBe('drift');
      expect(missing.message).toBe(`${PERSIST} does not persist ip_local_port_range 20000-60999`);
      const other = judge(
        plan('8080', [20000, 60999]),
        'exact',
        PERSIST,
        obs({ reserved: '8080', persist: `${KEY}=8080\n${RANGE_KEY}=20000 61000\n`, range: [20000, 60999] }),
      );
      expect(other.message).toBe(`${PERSIST} does not persist ip_local_port_range 20000-60999`);
    });

    it('a missing file is reported once as missing, and the boot values say what a reboot gives', () => {
      const r = judge(plan('8080', [20000, 60999]), 'exact', PERSIST, obs({ reserved: '8080', persist: null, range: [20000, 60999] }));
      expect(r.message).toBe(`${PERSIST} is missing: the value would be lost at reboot`);
      expect(r.boot).toEqual({ reserved: { value: '' }, range: { value: '32768 60999' } });
    });
  });

  it('joins several problems into one message', () => {
    const r = judge(plan('8080', [20000, 60999]), 'exact', PERSIST, obs({ reserved: '7000', persist: null }));
    expect(r.message!.split('; ')).toEqual([
      'runtime: missing 8080, extra 7000',
      `${PERSIST} is missing: the value would be lost at reboot`,
      'ip_local_port_range is 32768-60999, policy wants 20000-60999',
    ]);
  });

  it('counts free ephemeral ports against the observed reserved set', () => {
    const r = judge(plan('40000-40999'), 'exact', PERSIST, obs({ reserved: '40000-40999' }));
    expect(r.freeEphemeral).toBe(60999 - 32768 + 1 - 1000);
  });

  describe('on recorded read-backs', () => {
    const desired = '35000,40000-40100,41000-41005';
    const read = (file: string, host: string, task: string) => {
      const p = parseReadback(recordedStdout(file, host, task));
      if (!p.ok) throw new Error(p.error);
      return p.observed;
    };

    it('h1 after apply is compliant', () => {
      const r = judge(plan(desired), 'exact', PERSIST, read(APPLY_MIXED, 'h1', TASK.readBack));
      expect(r.verdict).toBe('compliant');
      expect(r.persisted).toBe(desired);
    });

    it('h3 in the check drifted at runtime (7000) and in the file (no 41000-41005)', () => {
      const r = judge(plan(desired), 'exact', PERSIST, read(CHECK_MIXED, 'h3', TASK.readState));
      expect(r.verdict).toBe('drift');
      expect(r.runtime).toEqual({ missing: desired, extra: '7000' });
      expect(r.persistedDiff).toEqual({ missing: '41000-41005', extra: '' });
      expect(r.message).toBe(`runtime: missing ${desired}, extra 7000; persisted: missing 41000-41005`);
    });
  });
});

describe('judge: other writers of the key (issue 12)', () => {
  const LAST = '/etc/sysctl.d/99-zz-fleet-reserved-ports.conf';
  const kubespray = { name: '99-sysctl.conf', text: `${KEY}=30000-32767\n` };
  /** A host whose fleet file (`name`) holds `value` with an owned line, beside kubespray's file. */
  function host(runtime: string, value: string, owned: string | undefined, name = '99-zz-fleet-reserved-ports.conf'): Observed {
    const text = `${owned === undefined ? '' : `# fleet owns: ${owned}\n`}${KEY}=${value}\n`;
    return {
      reserved: mustParse(runtime),
      reservedRaw: runtime,
      range: [32768, 60999],
      persist: { state: 'present', text },
      files: [
        { dir: '/etc/sysctl.d', name, state: 'content', text },
        { dir: '/etc/sysctl.d', name: kubespray.name, state: 'content', text: kubespray.text },
      ],
      unreadableDirs: [],
    };
  }

  it('additive: the union in a file read last is compliant', () => {
    const r = judge(plan('5000-10000'), 'additive', LAST, host('5000-10000,30000-32767', '5000-10000,30000-32767', '5000-10000'));
    expect(r).toMatchObject({ verdict: 'compliant', boot: { reserved: { value: '5000-10000,30000-32767', file: LAST } } });
  });

  it('additive: a port fleet added and the policy dropped is drift, runtime and persisted', () => {
    const r = judge(plan('5000-8999'), 'additive', LAST, host('5000-10000,30000-32767', '5000-10000,30000-32767', '5000-10000'));
    expect(r.verdict).toBe('drift');
    expect(r.runtime).toEqual({ missing: '', extra: '9000-10000' });
    expect(r.persistedDiff).toEqual({ missing: '', extra: '9000-10000' });
    expect(r.message).toBe(
      'runtime: still reserves 9000-10000, which fleet added and the policy no longer wants; persisted: still reserves 9000-10000, which fleet added and the policy no longer wants',
    );
  });

  it('additive: dropped ports that another file reserves are not drift', () => {
    expect(judge(plan('5000-8999'), 'additive', LAST, host('5000-10000,30000-32767', '5000-10000,30000-32767', '5000-8999,30000')).verdict).toBe('compliant');
  });

  it("additive: without an owned line, extra ports are fine (nothing is known to be fleet's)", () => {
    expect(judge(plan('5000-8999'), 'additive', LAST, host('5000-10000,30000-32767', '5000-10000,30000-32767', undefined)).verdict).toBe('compliant');
  });

  it("additive: kubespray's later file deciding the boot value is drift naming it and the fix", () => {
    const r = judge(plan('5000-10000'), 'additive', PERSIST, host('5000-10000,30000-32767', '5000-10000,30000-32767', '5000-10000', PERSIST_NAME));
    expect(r.verdict).toBe('drift');
    expect(r.overriddenBy).toEqual(['/etc/sysctl.d/99-sysctl.conf']);
    expect(r.message).toBe(
      `at boot ${KEY} becomes "30000-32767": set by /etc/sysctl.d/99-sysctl.conf:1; /etc/sysctl.d/99-sysctl.conf is read after ${PERSIST}: set persist_file to a name that sorts after it (e.g. ${LAST}); fleet then persists the union of the policy and the ports that file reserves (docs/kubernetes.md)`,
    );
  });

  it("exact: kubespray's later file is drift naming it and how to resolve it", () => {
    const r = judge(plan('5000-10000'), 'exact', PERSIST, host('5000-10000', '5000-10000', undefined, PERSIST_NAME));
    expect(r.verdict).toBe('drift');
    expect(r.overriddenBy).toEqual(['/etc/sysctl.d/99-sysctl.conf']);
    expect(r.message).toContain('/etc/sysctl.d/99-sysctl.conf is read after');
    expect(r.message).toContain('remove the key from it (or stop the tool that writes it), or use mode: additive with a persist_file that sorts after it');
  });
});
