import { describe, expect, it } from 'vitest';
import { mustParse } from '../../src/ports/portset.js';
import { restoreVars } from '../../src/render/rollback.js';
import { changedSince, checkPriorState, judgeRestore, priorStateOf } from '../../src/verify/prior.js';
import type { Observed } from '../../src/verify/readback.js';
import { host } from '../fixtures/reports/build.js';

const FILE = '/etc/sysctl.d/90-fleet-reserved-ports.conf';
const obs = (reserved: string, persistFile: string | null, range: [number, number] = [32768, 60999]): Observed => ({
  reserved: mustParse(reserved),
  reservedRaw: reserved,
  range,
  persist: persistFile === null ? { state: 'absent' } : { state: 'present', text: persistFile },
  files: [],
  unreadableDirs: [],
});

describe('rollback, pure half', () => {
  it('records runtime of both keys and the file content, or its absence', () => {
    expect(priorStateOf(obs('', null), FILE)).toEqual({ reserved: '', range: '32768-60999', file: FILE, content: null });
    expect(priorStateOf(obs('5000-6000', '# x\nnet.ipv4.ip_local_reserved_ports=5000-6000\n'), FILE)?.content).toBe(
      '# x\nnet.ipv4.ip_local_reserved_ports=5000-6000\n',
    );
    expect(priorStateOf({ ...obs('', null), persist: { state: 'unreadable' } }, FILE)).toBeUndefined();
  });

  it('a host that still holds what the apply left is not "changed since"; runtime, persisted value or range changed is', () => {
    const after = host('h1', { current: '40000-40100', persisted: '40000-40100', ephemeral: { current: '32768-60999' } });
    const file = 'net.ipv4.ip_local_reserved_ports=40000-40100';
    expect(changedSince(after, obs('40000-40100', file))).toBeUndefined();
    expect(changedSince(after, obs('7000', file))).toMatch(/runtime is 7000, the report left 40000-40100/);
    expect(changedSince(after, obs('40000-40100', null))).toMatch(/persisted value is \(absent\)/);
    expect(changedSince(after, obs('40000-40100', file, [1024, 65000]))).toMatch(/port range is 1024-65000/);
  });

  it('after restoring: compliant only when runtime, range and file content all match', () => {
    const prior = { reserved: '40000-40100', range: '32768-60999', file: FILE, content: 'net.ipv4.ip_local_reserved_ports=40000-40100\n' };
    expect(judgeRestore('h1', [], prior, obs('40000-40100', 'net.ipv4.ip_local_reserved_ports=40000-40100\n')).verdict).toBe('compliant');
    // byte for byte: a missing final newline is a difference
    expect(judgeRestore('h1', [], prior, obs('40000-40100', 'net.ipv4.ip_local_reserved_ports=40000-40100')).message).toMatch(
      /differs from the recorded content/,
    );
    expect(judgeRestore('h1', [], prior, obs('40000', 'net.ipv4.ip_local_reserved_ports=40000-40100\n')).message).toMatch(/runtime reads back 40000/);
    expect(judgeRestore('h1', [], { ...prior, content: null }, obs('40000-40100', 'x')).message).toMatch(/still exists/);
  });

  it('the file content reaches Ansible only base64-encoded (no Jinja, no shell)', () => {
    const hostile = "{{ lookup('pipe', 'touch /tmp/pwned') }}\n$(touch /tmp/pwned)\n";
    const vars = restoreVars({ reserved: '', file: FILE, content: hostile });
    expect(JSON.stringify(vars)).not.toContain('{{');
    expect(Buffer.from(String(vars.fleet_restore_content_b64), 'base64').toString('utf8')).toBe(hostile);
    // the read-back gives bytes as latin1 text: a UTF-8 file goes back byte for byte
    const utf8Bytes = Buffer.from('# café\n', 'utf8').toString('latin1');
    expect(Buffer.from(String(restoreVars({ reserved: '', file: FILE, content: utf8Bytes }).fleet_restore_content_b64), 'base64').toString('utf8')).toBe(
      '# café\n',
    );
    expect(restoreVars({ reserved: '5000', range: '1024-65000', file: FILE, content: null })).toEqual({
      fleet_persist_file: FILE,
      fleet_restore_reserved: '5000',
      fleet_restore_range: '1024 65000',
      fleet_restore_absent: true,
    });
  });

  it('a report priorState is checked before use', () => {
    expect(checkPriorState({ reserved: '5000', file: FILE, content: null })).toBeUndefined();
    expect(checkPriorState({ reserved: '5000; rm -rf /', file: FILE, content: null })).toMatch(/reserved/);
    expect(checkPriorState({ reserved: '5000', range: '1 2; x', file: FILE, content: null })).toMatch(/range/);
    expect(checkPriorState({ reserved: '5000', file: 'relative.conf', content: null })).toMatch(/file/);
    expect(checkPriorState({ reserved: '5000', file: "/etc/sysctl.d/{{ lookup('pipe','id') }}.conf", content: null })).toMatch(/file/);
    expect(checkPriorState({ reserved: '5000', file: FILE, content: 3 })).toMatch(/content/);
  });
});
