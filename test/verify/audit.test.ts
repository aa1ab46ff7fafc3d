import { describe, expect, it } from 'vitest';
import { EMPTY, mustParse } from '../../src/ports/portset.js';
import { auditSockets } from '../../src/verify/audit.js';
import { parseSockets } from '../../src/verify/readback.js';

const LISTEN_RANGES = mustParse('40000-40999');
const audit = (lines: string[], allow = EMPTY) => auditSockets(parseSockets(lines), LISTEN_RANGES, allow);

describe('auditSockets', () => {
  it('reports a listener outside the listen ranges, with process', () => {
    const f = audit(['tcp LISTEN 0 128 0.0.0.0:8080 0.0.0.0:* users:(("python3",pid=77,fd=3))']);
    expect(f).toEqual([
      {
        kind: 'listener_outside_policy',
        proto: 'tcp',
        port: 8080,
        local: '0.0.0.0:8080',
        process: 'python3[77]',
        message: "tcp port 8080 is listened on by python3[77] outside the policy's listen ranges",
      },
    ]);
  });

  it('reports a UDP listener (UNCONN) without process', () => {
    const f = audit(['udp UNCONN 0 0 0.0.0.0:5353 0.0.0.0:*']);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ kind: 'listener_outside_policy', proto: 'udp', port: 5353 });
    expect(f[0]!.process).toBeUndefined();
    expect(f[0]!.message).toBe("udp port 5353 is listened on outside the policy's listen ranges");
  });

  it('accepts listeners inside the ranges, below 1024, and on the allow-list', () => {
    const f = audit(
      [
        'tcp LISTEN 0 128 0.0.0.0:40500 0.0.0.0:* users:(("app",pid=1,fd=3))',
        'tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:* users:(("sshd",pid=2,fd=3))',
        'udp UNCONN 0 0 127.0.0.53%lo:53 0.0.0.0:* users:(("systemd-resolve",pid=3,fd=13))',
        'tcp LISTEN 0 128 0.0.0.0:1023 0.0.0.0:*',
        'tcp LISTEN 0 128 0.0.0.0:9100 0.0.0.0:* users:(("node_exporter",pid=4,fd=3))',
      ],
      mustParse('9100'),
    );
    expect(f).toEqual([]);
  });

  it('port 1024 is not a system port', () => {
    expect(audit(['tcp LISTEN 0 128 0.0.0.0:1024 0.0.0.0:*']).map((x) => x.port)).toEqual([1024]);
  });

  it('reports an outgoing connection holding a reserved port nobody listens on', () => {
    const f = audit(['tcp ESTAB 0 0 10.0.0.5:40050 10.0.0.9:5432 users:(("nc",pid=12,fd=3))']);
    expect(f).toEqual([
      {
        kind: 'reserved_port_in_use',
        proto: 'tcp',
        port: 40050,
        local: '10.0.0.5:40050',
        peer: '10.0.0.9:5432',
        process: 'nc[12]',
        message:
          'tcp 10.0.0.5:40050 -> 10.0.0.9:5432 by nc[12] holds reserved port 40050 without listening on it; a service binding 40050 fails until it closes',
      },
    ]);
  });

  it('does not report inbound connections to a listener on a reserved port', () => {
    const f = audit([
      'tcp LISTEN 0 128 0.0.0.0:40100 0.0.0.0:* users:(("app",pid=1,fd=3))',
      'tcp ESTAB 0 0 10.0.0.5:40100 10.0.0.7:51234 users:(("app",pid=1,fd=9))',
      'tcp CLOSE-WAIT 0 0 10.0.0.5:40100 10.0.0.8:51235 users:(("app",pid=1,fd=10))',
    ]);
    expect(f).toEqual([]);
  });

  it('a UDP listener on the port does not excuse a TCP connection on it', () => {
    const f = audit(['udp UNCONN 0 0 0.0.0.0:40100 0.0.0.0:*', 'tcp ESTAB 0 0 10.0.0.5:40100 10.0.0.9:443']);
    expect(f.map((x) => `${x.kind} ${x.proto}/${x.port}`)).toEqual(['reserved_port_in_use tcp/40100']);
  });

  it('ignores TIME-WAIT sockets', () => {
    expect(audit(['tcp TIME-WAIT 0 0 10.0.0.5:40051 10.0.0.9:80'])).toEqual([]);
  });

  it('ignores connections on ports outside the reserved ranges', () => {
    expect(audit(['tcp ESTAB 0 0 10.0.0.5:33000 10.0.0.9:80 users:(("curl",pid=5,fd=3))'])).toEqual([]);
  });

  it('reports one finding for the v4 and v6 listeners of the same process', () => {
    const f = audit(['tcp LISTEN 0 128 0.0.0.0:8080 0.0.0.0:* users:(("app",pid=10,fd=3))', 'tcp LISTEN 0 128 [::]:8080 [::]:* users:(("app",pid=10,fd=4))']);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ port: 8080, local: '0.0.0.0:8080', process: 'app[10]' });
  });

  it('keeps two processes (or two protocols) on the same port apart', () => {
    const f = audit([
      'tcp LISTEN 0 128 10.0.0.5:8080 0.0.0.0:* users:(("a",pid=10,fd=3))',
      'tcp LISTEN 0 128 127.0.0.1:8080 0.0.0.0:* users:(("b",pid=11,fd=3))',
      'udp UNCONN 0 0 0.0.0.0:8080 0.0.0.0:* users:(("a",pid=10,fd=5))',
    ]);
    expect(f.map((x) => `${x.proto} ${x.process}`).sort()).toEqual(['tcp a[10]', 'tcp b[11]', 'udp a[10]']);
  });

  it('sorts findings by port, then kind', () => {
    const f = audit(['tcp LISTEN 0 128 0.0.0.0:50000 0.0.0.0:*', 'tcp ESTAB 0 0 10.0.0.5:40050 10.0.0.9:5432', 'tcp LISTEN 0 128 0.0.0.0:8080 0.0.0.0:*']);
    expect(f.map((x) => x.port)).toEqual([8080, 40050, 50000]);
  });

  it('nothing to report on an empty socket list', () => {
    expect(auditSockets([], LISTEN_RANGES, EMPTY)).toEqual([]);
  });
});
