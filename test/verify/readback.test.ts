import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY_RANGE, KEY_RESERVED, MARK, readScript, SYSCTL_DIRS } from '../../src/ansible/scripts.js';
import { format } from '../../src/ports/portset.js';
import { TASK } from '../../src/render/playbooks.js';
import { orderSettings, parseReadback, parseSockets, valueInFile, type Observed, type SysctlSetting } from '../../src/verify/readback.js';
import { APPLY_MIXED, CHECK_MIXED, recordedStdout } from '../ansible/recorded.js';

function observed(stdout: string): Observed {
  const r = parseReadback(stdout);
  if (!r.ok) throw new Error(r.error);
  return r.observed;
}

const PERSIST = '/etc/sysctl.d/90-fleet-reserved-ports.conf';

/** A read-back the way readScript prints it, with a chosen line ending. */
function output(parts: { reserved?: string; range?: string; persist?: string; sysctld?: string[]; sockets?: string[]; end?: boolean }, eol = '\n'): string {
  const lines = [
    `${MARK}reserved`,
    parts.reserved ?? '',
    `${MARK}range`,
    parts.range ?? '32768\t60999',
    `${MARK}persist`,
    ...(parts.persist ?? '@@absent').split('\n'),
    `${MARK}sysctl.d`,
    ...(parts.sysctld ?? []),
    ...(parts.sockets ? [`${MARK}sockets`, ...parts.sockets] : []),
    ...(parts.end === false ? [] : [`${MARK}end`]),
  ];
  return lines.join(eol) + eol;
}

describe('readScript', () => {
  it('prints every section marker in order, end last', () => {
    const s = readScript(false);
    const marks = [...s.matchAll(/echo '@@fleet ([a-z.]+)'/g)].map((m) => m[1]);
    expect(marks).toEqual(['reserved', 'range', 'persist', 'sysctl.d', 'end']);
    expect(s).toContain(`sysctl -n ${KEY_RESERVED}`);
    expect(s).toContain(`sysctl -n ${KEY_RANGE}`);
  });

  it('adds the socket listing only with audit', () => {
    expect(readScript(false)).not.toContain('ss -H');
    const marks = [...readScript(true).matchAll(/echo '@@fleet ([a-z.]+)'/g)].map((m) => m[1]);
    expect(marks).toEqual(['reserved', 'range', 'persist', 'sysctl.d', 'sockets', 'end']);
    expect(readScript(true)).toContain('ss -H -ntuap');
  });

  it('takes the persistence file only from the inventory variable, quoted', () => {
    const s = readScript(true);
    const jinja = [...s.matchAll(/\{\{[^}]*\}\}/g)].map((m) => m[0]);
    expect(jinja.length).toBeGreaterThan(0);
    expect(new Set(jinja)).toEqual(new Set(['{{ fleet_persist_file | quote }}']));
  });

  it('greps every systemd-sysctl directory and /etc/sysctl.conf', () => {
    const s = readScript(false);
    for (const d of SYSCTL_DIRS) expect(s).toContain(`${d}/*.conf`);
    expect(s).toContain('/etc/sysctl.conf');
  });

  it('runs under a POSIX sh and parses (local machine, persist file from a temp dir)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-readback-'));
    try {
      const persist = join(dir, "it's here.conf");
      // no trailing newline: a hand-edited file must not swallow the next marker
      writeFileSync(persist, `# managed\n${KEY_RESERVED}=35000,40000-40100`);
      const script = readScript(false).replaceAll('{{ fleet_persist_file | quote }}', `'${persist.replaceAll("'", "'\\''")}'`);
      const stdout = execFileSync('sh', ['-c', script], { encoding: 'utf8' });
      const r = parseReadback(stdout);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(valueInFile(r.observed.persistFile!, 'reserved')).toBe('35000,40000-40100');
      expect(r.observed.persistFile).toContain('# managed');
      // the machine's own value, whatever it is, reads back in canonical form
      expect(format(r.observed.reserved)).toBe(r.observed.reservedRaw);
      const absent = execFileSync('sh', ['-c', readScript(false).replaceAll('{{ fleet_persist_file | quote }}', `'${join(dir, 'nope.conf')}'`)], { encoding: 'utf8' });
      expect((parseReadback(absent) as { ok: true; observed: Observed }).observed.persistFile).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseReadback on recorded output', () => {
  it('reads a compliant host from the apply read-back (\\r\\n endings over a tty)', () => {
    const stdout = recordedStdout(APPLY_MIXED, 'h1', TASK.readBack);
    expect(stdout).toContain('\r\n');
    const o = observed(stdout);
    expect(format(o.reserved)).toBe('35000,40000-40100,41000-41005');
    expect(o.reservedRaw).toBe('35000,40000-40100,41000-41005');
    expect(o.range).toEqual([32768, 60999]);
    expect(o.persistFile).toBe(`${KEY_RESERVED}=35000,40000-40100,41000-41005`);
    expect(o.persistFile).not.toContain('\r');
    expect(o.settings).toEqual([{ file: PERSIST, key: 'reserved', value: '35000,40000-40100,41000-41005' }]);
    expect(o.sockets).toBeUndefined();
  });

  it('reads the drifted host from the check (runtime 7000, file has the policy)', () => {
    const o = observed(recordedStdout(CHECK_MIXED, 'h3', TASK.readState));
    expect(format(o.reserved)).toBe('7000');
    expect(valueInFile(o.persistFile!, 'reserved')).toBe('35000,40000-40100');
    expect(o.settings.map((s) => s.value)).toEqual(['35000,40000-40100']);
  });
});

describe('parseReadback on hand-written output', () => {
  it.each(['\n', '\r\n'])('parses every section with %j line endings', (eol) => {
    const o = observed(
      output(
        {
          reserved: '8080,9000-9100',
          range: '10000\t60000',
          persist: `# fleet\n${KEY_RESERVED}=8080,9000-9100\n${KEY_RANGE}=10000 60000`,
          sysctld: [`${PERSIST}:${KEY_RESERVED}=8080,9000-9100`, `/usr/lib/sysctl.d/50-x.conf:${KEY_RESERVED} = 7000`],
          sockets: ['tcp   LISTEN 0      128          0.0.0.0:22        0.0.0.0:*    users:(("sshd",pid=123,fd=3))'],
        },
        eol,
      ),
    );
    expect(o.reserved).toEqual([
      [8080, 8080],
      [9000, 9100],
    ]);
    expect(o.range).toEqual([10000, 60000]);
    expect(o.persistFile).toBe(`# fleet\n${KEY_RESERVED}=8080,9000-9100\n${KEY_RANGE}=10000 60000`);
    expect(o.settings).toEqual([
      { file: '/usr/lib/sysctl.d/50-x.conf', key: 'reserved', value: '7000' },
      { file: PERSIST, key: 'reserved', value: '8080,9000-9100' },
    ]);
    expect(o.sockets).toEqual([{ proto: 'tcp', state: 'LISTEN', local: '0.0.0.0:22', localPort: 22, peer: '0.0.0.0:*', process: 'sshd[123]' }]);
  });

  it('an empty kernel value means no reserved ports', () => {
    const o = observed(output({ reserved: '' }));
    expect(o.reserved).toEqual([]);
    expect(o.reservedRaw).toBe('');
  });

  it('@@absent means the persistence file is missing (null), an empty file is ""', () => {
    expect(observed(output({ persist: '@@absent' })).persistFile).toBeNull();
    expect(observed(output({ persist: '@@absent' }, '\r\n')).persistFile).toBeNull();
    expect(observed(output({ persist: '' })).persistFile).toBe('');
  });

  it('a persistence file without a final newline does not swallow the next section', () => {
    // `cat` of such a file puts the next echo on the same line
    const stdout = `${MARK}reserved\n8080\n${MARK}range\n32768\t60999\n${MARK}persist\n${KEY_RESERVED}=8080${MARK}sysctl.d\n${PERSIST}:${KEY_RESERVED}=8080\n${MARK}end\n`;
    const o = observed(stdout);
    expect(valueInFile(o.persistFile!, 'reserved')).toBe('8080');
    expect(o.settings).toEqual([{ file: PERSIST, key: 'reserved', value: '8080' }]);
  });

  it('an unparsable range is left out, not guessed', () => {
    const o = observed(output({ reserved: '8080', range: 'sysctl: cannot stat /proc/sys/net/ipv4/ip_local_port_range' }));
    expect(o.range).toBeUndefined();
    expect(format(o.reserved)).toBe('8080');
  });

  it('no socket list when ss is missing', () => {
    const o = observed(output({ sockets: ['@@no-ss'] }));
    expect(o.sockets).toBeUndefined();
    expect(observed(output({ sockets: [] })).sockets).toEqual([]);
  });

  it('output without the end marker is an error (cut connection, truncated output)', () => {
    const r = parseReadback(output({ reserved: '8080' }, '\r\n').replace(`${MARK}end\r\n`, ''));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^read-back output incomplete: @@fleet reserved/);
    const empty = parseReadback('');
    expect(empty).toEqual({ ok: false, error: 'read-back output incomplete: (no output)' });
  });

  it('truncates a long incomplete output in the error', () => {
    const r = parseReadback('x'.repeat(1000));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.length).toBeLessThan(400);
  });

  it.each([
    ['sysctl: cannot stat /proc/sys/net/ipv4/ip_local_reserved_ports: No such file or directory'],
    ['8080, 9000'],
    ['70000'],
    ['9000-8000'],
    ['8080\n9090'],
  ])('a garbage kernel value %j is an error naming the key', (reserved) => {
    const r = parseReadback(output({ reserved }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(`cannot parse ${KEY_RESERVED}`);
  });
});

describe('orderSettings (systemd-sysctl order)', () => {
  const s = (file: string, value = file, key: SysctlSetting['key'] = 'reserved'): SysctlSetting => ({ file, key, value });

  it('sorts by base name across directories', () => {
    const got = orderSettings([s('/etc/sysctl.d/90-fleet.conf'), s('/usr/lib/sysctl.d/50-default.conf'), s('/run/sysctl.d/95-late.conf'), s('/usr/local/lib/sysctl.d/10-early.conf')]);
    expect(got.map((x) => x.file)).toEqual(['/usr/local/lib/sysctl.d/10-early.conf', '/usr/lib/sysctl.d/50-default.conf', '/etc/sysctl.d/90-fleet.conf', '/run/sysctl.d/95-late.conf']);
  });

  it('a file in /etc masks the same name in /run and /usr/lib, whatever the input order', () => {
    const input = [s('/usr/lib/sysctl.d/60-x.conf', 'usr'), s('/etc/sysctl.d/60-x.conf', 'etc'), s('/run/sysctl.d/60-x.conf', 'run'), s('/lib/sysctl.d/60-x.conf', 'lib')];
    expect(orderSettings(input)).toEqual([s('/etc/sysctl.d/60-x.conf', 'etc')]);
    expect(orderSettings([...input].reverse())).toEqual([s('/etc/sysctl.d/60-x.conf', 'etc')]);
  });

  it('/run masks /usr/local/lib, which masks /usr/lib, which masks /lib', () => {
    expect(orderSettings([s('/lib/sysctl.d/a.conf'), s('/usr/local/lib/sysctl.d/a.conf'), s('/run/sysctl.d/a.conf')]).map((x) => x.file)).toEqual(['/run/sysctl.d/a.conf']);
    expect(orderSettings([s('/lib/sysctl.d/a.conf'), s('/usr/lib/sysctl.d/a.conf')]).map((x) => x.file)).toEqual(['/usr/lib/sysctl.d/a.conf']);
  });

  it('/etc/sysctl.conf comes last, even after a 99- file', () => {
    const got = orderSettings([s('/etc/sysctl.conf'), s('/etc/sysctl.d/99-zzz.conf'), s('/usr/lib/sysctl.d/00-a.conf')]);
    expect(got.map((x) => x.file)).toEqual(['/usr/lib/sysctl.d/00-a.conf', '/etc/sysctl.d/99-zzz.conf', '/etc/sysctl.conf']);
  });

  it('keeps line order inside one file and both keys', () => {
    const got = orderSettings([s('/etc/sysctl.d/b.conf', '1'), s('/etc/sysctl.d/a.conf', '2'), s('/etc/sysctl.d/b.conf', '3'), s('/etc/sysctl.d/b.conf', '32768 60999', 'range')]);
    expect(got).toEqual([s('/etc/sysctl.d/a.conf', '2'), s('/etc/sysctl.d/b.conf', '1'), s('/etc/sysctl.d/b.conf', '3'), s('/etc/sysctl.d/b.conf', '32768 60999', 'range')]);
  });

  it('is empty for no settings', () => {
    expect(orderSettings([])).toEqual([]);
  });
});

describe('valueInFile', () => {
  it.each([
    [`${KEY_RESERVED}=8080`, 'reserved', '8080'],
    [`${KEY_RESERVED} = 8080,9000-9100  `, 'reserved', '8080,9000-9100'],
    [`  ${KEY_RESERVED}\t=\t8080`, 'reserved', '8080'],
    ['net/ipv4/ip_local_reserved_ports=7000', 'reserved', '7000'],
    [`-${KEY_RESERVED}=7001`, 'reserved', '7001'],
    [`${KEY_RESERVED}=1\n${KEY_RESERVED}=2\n`, 'reserved', '2'],
    [`${KEY_RESERVED}=1\r\n${KEY_RESERVED}=2\r\n`, 'reserved', '2'],
    [`# ${KEY_RESERVED}=1\n; ${KEY_RESERVED}=2`, 'reserved', undefined],
    [`${KEY_RESERVED}=`, 'reserved', ''],
    [`${KEY_RANGE}=10000 60000\n${KEY_RESERVED}=8080`, 'range', '10000 60000'],
    [`${KEY_RESERVED}=8080`, 'range', undefined],
    ['net.ipv4.ip_local_reserved_portsX=1', 'reserved', undefined],
    ['', 'reserved', undefined],
  ] as const)('%j [%s] -> %j', (text, key, expected) => {
    expect(valueInFile(text, key)).toBe(expected);
  });
});

describe('parseSockets (ss -H -ntuap)', () => {
  const lines = [
    'tcp   LISTEN    0      128          0.0.0.0:22         0.0.0.0:*     users:(("sshd",pid=812,fd=3))',
    'tcp   LISTEN    0      128             [::]:22            [::]:*     users:(("sshd",pid=812,fd=4))',
    'tcp   ESTAB     0      0       10.0.0.5:40050      10.0.0.9:5432  users:(("nc",pid=12,fd=3))',
    'tcp   TIME-WAIT 0      0       10.0.0.5:40051      10.0.0.9:80',
    'udp   UNCONN    0      0     127.0.0.53%lo:53          0.0.0.0:*     users:(("systemd-resolve",pid=401,fd=13))',
    'udp   UNCONN    0      0          0.0.0.0:5353       0.0.0.0:*',
    'tcp   LISTEN    0      511              *:8080              *:*     users:(("nginx",pid=900,fd=6),("nginx",pid=901,fd=6))',
    'tcp   ESTAB     0      0   [::ffff:10.0.0.5]:22 [::ffff:10.0.0.7]:51234 users:(("sshd",pid=3000,fd=4))',
  ];

  it('reads state, ports, peer and owning process', () => {
    expect(parseSockets(lines)).toEqual([
      { proto: 'tcp', state: 'LISTEN', local: '0.0.0.0:22', localPort: 22, peer: '0.0.0.0:*', process: 'sshd[812]' },
      { proto: 'tcp', state: 'LISTEN', local: '[::]:22', localPort: 22, peer: '[::]:*', process: 'sshd[812]' },
      { proto: 'tcp', state: 'ESTAB', local: '10.0.0.5:40050', localPort: 40050, peer: '10.0.0.9:5432', process: 'nc[12]' },
      { proto: 'tcp', state: 'TIME-WAIT', local: '10.0.0.5:40051', localPort: 40051, peer: '10.0.0.9:80' },
      { proto: 'udp', state: 'UNCONN', local: '127.0.0.53%lo:53', localPort: 53, peer: '0.0.0.0:*', process: 'systemd-resolve[401]' },
      { proto: 'udp', state: 'UNCONN', local: '0.0.0.0:5353', localPort: 5353, peer: '0.0.0.0:*' },
      { proto: 'tcp', state: 'LISTEN', local: '*:8080', localPort: 8080, peer: '*:*', process: 'nginx[900]' },
      { proto: 'tcp', state: 'ESTAB', local: '[::ffff:10.0.0.5]:22', localPort: 22, peer: '[::ffff:10.0.0.7]:51234', process: 'sshd[3000]' },
    ]);
  });

  it('skips headers, blank lines, other protocols and unparsable ports', () => {
    expect(
      parseSockets([
        'Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process',
        '',
        'u_str ESTAB 0 0 * 1234 * 5678',
        'tcp LISTEN 0 128 0.0.0.0:http 0.0.0.0:*',
        'tcp LISTEN 0',
      ]),
    ).toEqual([]);
  });

  it('parses the local machine ss output without throwing (when ss exists)', () => {
    let out = '';
    try {
      out = execFileSync('ss', ['-H', '-ntuap'], { encoding: 'utf8' });
    } catch {
      return;
    }
    const rows = out.split('\n').filter((l) => l.trim());
    const parsed = parseSockets(rows);
    expect(parsed.length).toBe(rows.filter((l) => /^(tcp|udp)\s/.test(l)).length);
    for (const sock of parsed) expect(sock.localPort).toBeGreaterThanOrEqual(0);
  });
});
