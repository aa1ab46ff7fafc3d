import { describe, expect, it } from 'vitest';
import { isLoopback, listenersOf } from '../../src/verify/listeners.js';
import { parseSockets } from '../../src/verify/readback.js';

describe('listenersOf', () => {
  it('keeps TCP LISTEN and UDP UNCONN sockets, with process name and pid; drops connections', () => {
    const ls = listenersOf(
      parseSockets([
        'tcp LISTEN 0 128 0.0.0.0:7001 0.0.0.0:* users:(("python3",pid=77,fd=3))',
        'udp UNCONN 0 0 [::]:5353 [::]:*',
        'tcp ESTAB 0 0 198.18.17.10:40005 198.18.17.10:22 users:(("python3",pid=77,fd=4))',
        'tcp TIME-WAIT 0 0 198.18.17.10:40006 198.18.17.10:22',
        'udp ESTAB 0 0 10.0.0.1:41000 10.0.0.2:53 users:(("resolver",pid=9,fd=3))',
      ]),
    );
    expect(ls).toEqual([
      { proto: 'udp', port: 5353, local: '[::]:5353', loopback: false },
      { proto: 'tcp', port: 7001, local: '0.0.0.0:7001', process: 'python3', pid: 77, loopback: false },
    ]);
  });

  it('one entry per socket address and process, sorted by port (IPv4 and IPv6 stay apart)', () => {
    const line = (local: string, pid: number) => `tcp LISTEN 0 128 ${local} *:* users:(("nginx",pid=${pid},fd=6))`;
    const ls = listenersOf(parseSockets([line('[::]:8080', 2), line('0.0.0.0:8080', 2), line('0.0.0.0:8080', 2), line('0.0.0.0:7000', 3)]));
    expect(ls.map((l) => `${l.port} ${l.local}`)).toEqual(['7000 0.0.0.0:7000', '8080 0.0.0.0:8080', '8080 [::]:8080']);
  });

  it.each([
    ['127.0.0.1:6379', true],
    ['127.0.0.53%lo:53', true],
    ['[::1]:631', true],
    ['[::ffff:127.0.0.1]:9000', true],
    ['0.0.0.0:7001', false],
    ['*:7001', false],
    ['[::]:7001', false],
    ['198.18.17.10:22', false],
    ['[fe80::1%eth0]:546', false],
  ])('isLoopback(%s) = %s', (local, want) => {
    expect(isLoopback(local)).toBe(want);
  });
});
