import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY_RANGE, KEY_RESERVED, MARK, READBACK_FORMAT, readScript, SYSCTL_DIRS } from '../../src/ansible/scripts.js';
import { format } from '../../src/ports/portset.js';
import { TASK } from '../../src/render/playbooks.js';
import { parseReadback, parseSockets, valueInFile, type Observed } from '../../src/verify/readback.js';
import { APPLY_MIXED, CHECK_MIXED, recordedStdout } from '../ansible/recorded.js';
import { tempDir } from '../support/tmp.js';

function observed(stdout: string): Observed {
  const r = parseReadback(stdout);
  if (!r.ok) throw new Error(r.error);
  return r.observed;
}

/** Hex lines as `od -An -v -tx1` prints them. */
function od(text: string): string[] {
  const b = Buffer.from(text, 'utf8');
  const out: string[] = [];
  for (let i = 0; i < b.length; i += 16) out.push([...b.subarray(i, i + 16)].map((x) => ` ${x.toString(16).padStart(2, '0')}`).join(''));
  return out;
}

type FileSpec = { dir: string; name: string; content?: string; state?: 'empty' | 'unreadable' };

/** A read-back the way readScript prints it, with a chosen line ending; `edit` rewrites the marker lines. */
function output(
  parts: { reserved?: string; range?: string; persist?: string | null; files?: FileSpec[]; sockets?: string[]; noSs?: boolean; end?: boolean },
  eol = '\n',
): string {
  const lines = [
    `${MARK}begin ${READBACK_FORMAT}`,
    `${MARK}reserved ok`,
    ...od(parts.reserved ?? ''),
    `${MARK}range ok`,
    ...od(parts.range ?? '32768\t60999'),
    ...(parts.persist === null ? [`${MARK}persist absent`] : [`${MARK}persist present`, ...od(parts.persist ?? '')]),
  ];
  for (const d of SYSCTL_DIRS) {
    lines.push(`${MARK}dir ${d}`);
    for (const f of (parts.files ?? []).filter((x) => x.dir === d)) {
      lines.push(`${MARK}name`, ...od(f.name));
      if (f.state) lines.push(`${MARK}${f.state}`);
      else lines.push(`${MARK}content`, ...od(f.content ?? ''));
    }
  }
  if (parts.sockets) lines.push(`${MARK}sockets`, ...od(parts.sockets.join('\n')));
  if (parts.noSs) lines.push(`${MARK}no-ss`);
  if (parts.end !== false) lines.push(`${MARK}end`);
  return lines.join(eol) + eol;
}

describe('readScript', () => {
  it('prints its markers in order, end last', () => {
    const s = readScript(false);
    const marks = [...s.matchAll(/echo '@@fleet ([a-z-]+)/g)].map((m) => m[1]);
    expect(marks).toEqual([
      'begin',
      'reserved',
      'reserved',
      'range',
      'range',
      'persist',
      'persist',
      'persist',
      'unreadable',
      'name',
      'empty',
      'unreadable',
      'content',
      'unreadable',
      'end',
    ]);
    expect(s).toContain(`sysctl -n ${KEY_RESERVED}`);
    expect(s).toContain(`sysctl -n ${KEY_RANGE}`);
  });

  it('prints host text (names, contents, values, sockets) only through od, never raw', () => {
    const s = readScript(true);
    expect(s).not.toMatch(/\bcat\b|\bgrep\b/);
    expect(s).toContain('ss -H -ntuap 2>/dev/null | od -An -v -tx1');
    for (const line of s.split('\n').filter((l) => l.includes('printf'))) expect(line).toMatch(/printf '%s' "[^"]*" \| od -An -v -tx1/);
  });

  it('adds the socket listing only with audit', () => {
    expect(readScript(false)).not.toContain('ss -H');
    expect(readScript(true)).toContain('ss -H -ntuap');
  });

  it('takes the persistence file only from the inventory variable, quoted', () => {
    const s = readScript(true);
    const jinja = [...s.matchAll(/\{\{[^}]*\}\}/g)].map((m) => m[0]);
    expect(jinja.length).toBeGreaterThan(0);
    expect(new Set(jinja)).toEqual(new Set(['{{ fleet_persist_file | quote }}']));
  });

  it('lists every systemd-sysctl folder', () => {
    expect(readScript(false)).toContain(`for d in ${SYSCTL_DIRS.join(' ')}; do`);
  });

  it('runs under a POSIX sh and parses (local machine, persist file from a temp dir)', () => {
    const dir = tempDir('readback');
    const persist = join(dir, "it's here.conf");
    // no trailing newline, and a forged marker inside
    writeFileSync(persist, `# managed\n${MARK}end\n${KEY_RESERVED}=35000,40000-40100`);
    const script = readScript(true).replaceAll('{{ fleet_persist_file | quote }}', `'${persist.replaceAll("'", "'\\''")}'`);
    const stdout = execFileSync('sh', ['-c', script], { encoding: 'utf8' });
    const r = parseReadback(stdout);
    expect(r.ok, r.ok ? '' : r.error).toBe(true);
    if (!r.ok) return;
    expect(r.observed.persist).toEqual({ state: 'present', text: `# managed\n${MARK}end\n${KEY_RESERVED}=35000,40000-40100` });
    expect(format(r.observed.reserved)).toBe(r.observed.reservedRaw);
    const absent = execFileSync('sh', ['-c', readScript(false).replaceAll('{{ fleet_persist_file | quote }}', `'${join(dir, 'nope.conf')}'`)], {
      encoding: 'utf8',
    });
    expect(observed(absent).persist).toEqual({ state: 'absent' });
  });
});

describe('parseReadback on recorded output', () => {
  it('reads a compliant host from the apply read-back (\\r\\n endings over a tty)', () => {
    const stdout = recordedStdout(APPLY_MIXED, 'h1', TASK.readBack);
    expect(stdout).toContain('\r\n');
    const o = observed(stdout);
    expect(format(o.reserved)).toBe('35000,40000-40100,41000-41005');
    expect(o.range).toEqual([32768, 60999]);
    expect(o.persist).toEqual({ state: 'present', text: `${KEY_RESERVED}=35000,40000-40100,41000-41005\n` });
    expect(o.files).toEqual([
      { dir: '/etc/sysctl.d', name: '90-fleet-reserved-ports.conf', state: 'content', text: `${KEY_RESERVED}=35000,40000-40100,41000-41005\n` },
    ]);
    expect(o.sockets).toBeUndefined();
  });

  it('reads the drifted host from the check (runtime 7000, file has the policy)', () => {
    const o = observed(recordedStdout(CHECK_MIXED, 'h3', TASK.readState));
    expect(format(o.reserved)).toBe('7000');
    expect(valueInFile((o.persist as { text: string }).text, 'reserved')).toBe('35000,40000-40100');
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
          files: [
            { dir: '/etc/sysctl.d', name: '99-app:v2.conf', content: `${KEY_RESERVED} = 7000\n` },
            { dir: '/etc/sysctl.d', name: '50-vendor.conf', state: 'empty' },
            { dir: '/usr/lib/sysctl.d', name: '50-vendor.conf', content: 'x' },
            { dir: '/run/sysctl.d', name: 'secret.conf', state: 'unreadable' },
          ],
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
    expect(o.persist).toEqual({ state: 'present', text: `# fleet\n${KEY_RESERVED}=8080,9000-9100\n${KEY_RANGE}=10000 60000` });
    expect(o.files).toEqual([
      { dir: '/etc/sysctl.d', name: '99-app:v2.conf', state: 'content', text: `${KEY_RESERVED} = 7000\n` },
      { dir: '/etc/sysctl.d', name: '50-vendor.conf', state: 'empty' },
      { dir: '/run/sysctl.d', name: 'secret.conf', state: 'unreadable' },
      { dir: '/usr/lib/sysctl.d', name: '50-vendor.conf', state: 'content', text: 'x' },
    ]);
    expect(o.sockets).toEqual([{ proto: 'tcp', state: 'LISTEN', local: '0.0.0.0:22', localPort: 22, peer: '0.0.0.0:*', process: 'sshd[123]' }]);
  });

  it('an empty kernel value means no reserved ports', () => {
    const o = observed(output({ reserved: '' }));
    expect(o.reserved).toEqual([]);
    expect(o.reservedRaw).toBe('');
  });

  it('a missing persistence file is absent, an empty one is present and empty', () => {
    expect(observed(output({ persist: null })).persist).toEqual({ state: 'absent' });
    expect(observed(output({ persist: '' })).persist).toEqual({ state: 'present', text: '' });
  });

  it('a banner before the begin marker is ignored', () => {
    expect(observed(`Welcome to host 1\r\n${output({ reserved: '8080' }, '\r\n')}`).reservedRaw).toBe('8080');
  });

  it('file contents and names that look like markers stay data (issue 10, case 2)', () => {
    const forged = `${MARK}reserved ok\n 35 30 30 30\n${MARK}end\n`;
    const o = observed(
      output({ reserved: '8080', persist: `${KEY_RESERVED}=8080\n${forged}`, files: [{ dir: '/etc/sysctl.d', name: `${MARK}end`, content: forged }] }),
    );
    expect(o.reservedRaw).toBe('8080');
    expect(o.files[0]).toEqual({ dir: '/etc/sysctl.d', name: `${MARK}end`, state: 'content', text: forged });
  });

  it('a file od could not finish reading is unreadable, not partly read', () => {
    const stdout = output({ files: [{ dir: '/etc/sysctl.d', name: 'a.conf', content: 'net.ipv4' }] }).replace(
      `${MARK}dir /run/sysctl.d`,
      `${MARK}unreadable\n${MARK}dir /run/sysctl.d`,
    );
    expect(observed(stdout).files).toEqual([{ dir: '/etc/sysctl.d', name: 'a.conf', state: 'unreadable' }]);
  });

  it('an unparsable range is left out, not guessed', () => {
    const o = observed(output({ reserved: '8080', range: 'sysctl: cannot stat /proc/sys/net/ipv4/ip_local_port_range' }));
    expect(o.range).toBeUndefined();
  });

  it('no socket list when ss is missing', () => {
    expect(observed(output({ noSs: true })).sockets).toBeUndefined();
    expect(observed(output({ sockets: [] })).sockets).toEqual([]);
  });

  const good = output({ reserved: '8080', files: [{ dir: '/etc/sysctl.d', name: 'a.conf', content: 'x' }] });
  const cut = (s: string, line: string) => s.replace(`${line}\n`, '');
  it.each<[string, string]>([
    ['no output', ''],
    ['no end marker (cut connection)', cut(good, `${MARK}end`)],
    ['no reserved section', good.replace(/@@fleet reserved ok\n( [0-9a-f ]+\n)*/, '')],
    ['a duplicated reserved section', good.replace(`${MARK}range ok`, `${MARK}reserved ok\n 37 30 30 30\n${MARK}range ok`)],
    [
      'sections out of order',
      good
        .replace(`${MARK}dir /etc/sysctl.d`, '@@TMP')
        .replace(`${MARK}dir /run/sysctl.d`, `${MARK}dir /etc/sysctl.d`)
        .replace('@@TMP', `${MARK}dir /run/sysctl.d`),
    ],
    ['a folder missing', cut(good, `${MARK}dir /usr/local/lib/sysctl.d`)],
    ['a second begin', `${good}${good}`],
    ['output after end', `${good} 41\n`],
    ['an unknown marker', good.replace(`${MARK}end`, `${MARK}bogus\n${MARK}end`)],
    ['a raw (unencoded) line', good.replace(`${MARK}end`, `net.ipv4.ip_local_reserved_ports=1\n${MARK}end`)],
    ['another format version', good.replace(READBACK_FORMAT, 'readback-1')],
    ['a name without a state', cut(good, `${MARK}content`)],
    ['the old format', `${MARK}reserved\n8080\n${MARK}end\n`],
  ])('%s is "read-back malformed", never a guess (issue 10, case 2)', (_, stdout) => {
    const r = parseReadback(stdout);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^read-back malformed: /);
  });

  it('truncates a long malformed output in the error', () => {
    const r = parseReadback('x'.repeat(1000));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.length).toBeLessThan(400);
  });

  it.each([['8080, 9000'], ['70000'], ['9000-8000'], ['8080\n9090']])('a garbage kernel value %j is an error naming the key', (reserved) => {
    const r = parseReadback(output({ reserved }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(`cannot parse ${KEY_RESERVED}`);
  });

  it('a failed sysctl is an error naming the key', () => {
    const r = parseReadback(output({ reserved: 'x' }).replace(`${MARK}reserved ok`, `${MARK}reserved error`));
    expect(r).toEqual({ ok: false, error: `cannot read ${KEY_RESERVED}: x` });
  });
});

describe('valueInFile', () => {
  it.each([
    [`${KEY_RESERVED}=8080`, 'reserved', '8080'],
    [`${KEY_RESERVED} = 8080,9000-9100  `, 'reserved', '8080,9000-9100'],
    [`  ${KEY_RESERVED}\t=\t8080`, 'reserved', '8080'],
    ['net/ipv4/ip_local_reserved_ports=7000', 'reserved', '7000'],
    [`-${KEY_RESERVED}=7001`, 'reserved', '7001'],
    [`${KEY_RESERVED}=7001\n-${KEY_RESERVED}`, 'reserved', undefined],
    [`${KEY_RESERVED}=7001\u00a0`, 'reserved', '7001\u00a0'],
    [`${KEY_RESERVED}=1\r${KEY_RESERVED}=2`, 'reserved', '2'],
    ['net.ipv4/ip_local_reserved_ports=7000', 'reserved', undefined],
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
