import { describe, expect, test } from 'vitest';
import { renderPlanTable, renderTable, summaryLine } from '../../src/report/table.js';
import { summarize } from '../../src/verify/types.js';
import { checkReport, cleanReport, host, hostileReport, planReport, remediateReport, report } from '../fixtures/reports/build.js';

const ESC = '\x1b';

describe('renderTable', () => {
  test('one row per host that is not compliant, compliant hosts in one line', () => {
    expect(renderTable(checkReport(), { color: false })).toMatchInlineSnapshot(`
      [
        "HOST      VERDICT      MISSING              EXTRA  PERSISTED                                MESSAGE",
        "db-1      drift        5500-5999,9100       7000   differs, overridden by 99-zz-local.conf",
        "cache-1   drift        -                    -      absent",
        "app-1     failed       5000-5999,8080,9100  -      -                                        sysctl: permission denied on key net.ipv4.ip_local_reserved_ports (read-only /p…",
        "app-2     unreachable  -                    -      -                                        ssh: connect to host app-2 port 22: Connection timed out",
        "app-3     not run      -                    -      -                                        rollout stopped after batch 1 (max_fail_percentage)",
        "legacy-1  refused      5000-5999,8080,9100  -      -                                        would leave 900 ephemeral ports, policy requires min_ephemeral_ports 1000",
        "2 hosts compliant",
        "audit findings:",
        "  db-1: outgoing connection uses a reserved port",
        "  db-1: listener on a port the policy does not reserve",
        "8 hosts: 1 changed, 2 compliant, 2 drift, 1 failed, 1 unreachable, 1 not run, 1 refused, 2 audit findings",
      ]
    `);
  });

  test('a clean run is two lines', () => {
    expect(renderTable(cleanReport(), { color: false })).toMatchInlineSnapshot(`
      [
        "3 hosts compliant",
        "3 hosts: 0 changed, 3 compliant, 0 drift, 0 failed, 0 unreachable, 0 not run, 0 refused",
      ]
    `);
  });

  test('remediation shows the counts before', () => {
    expect(renderTable(remediateReport(), { color: false })).toMatchInlineSnapshot(`
      [
        "4 hosts compliant",
        "before remediation: 4 hosts: 1 changed, 2 compliant, 2 drift, 0 failed, 0 unreachable, 0 not run, 0 refused, 2 audit findings",
        "4 hosts: 2 changed, 4 compliant, 0 drift, 0 failed, 0 unreachable, 0 not run, 0 refused",
      ]
    `);
  });

  test('hostile host names and messages cannot move the cursor or break rows', () => {
    const lines = renderTable(hostileReport(), { color: false });
    expect(lines).toMatchInlineSnapshot(`
      [
        "HOST                                    VERDICT      MISSING    EXTRA  PERSISTED  MESSAGE",
        "evil"<script>alert(1)</script>&' red\\x  drift        8080,9100  -      ok         bad <b>&amp; "quoted" 'single' line2 ALERT ␇bell ␀nul ]]> --> link",
        "plain-1                                 unreachable  -          -      -          bad <b>&amp; "quoted" 'single' line2 ALERT ␇bell ␀nul ]]> --> link",
        "1 host compliant",
        "audit findings:",
        "  evil"<script>alert(1)</script>&' red\\x: bad <b>&amp; "quoted" 'single' line2 ALERT ␇bell ␀nul ]]> --> link",
        "3 hosts: 0 changed, 1 compliant, 1 drift, 0 failed, 1 unreachable, 0 not run, 0 refused, 1 audit finding",
        "interrupted: SIGINT "now"",
      ]
    `);
    expect(lines.join('\n')).not.toContain(ESC);
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
  });

  test('long values are truncated with … and port lists cut at a comma', () => {
    const ports = Array.from({ length: 40 }, (_, i) => String(10000 + i * 2)).join(',');
    const lines = renderTable(report([host('h-' + 'x'.repeat(60), { verdict: 'drift', runtime: { missing: ports, extra: '' }, message: 'm'.repeat(200) })]), {
      color: false,
    });
    const row = lines[1]!;
    expect(row).toContain(`h-${'x'.repeat(37)}…`);
    expect(row).toContain('  10000,10002,10004,10006,…  ');
    expect(row).toContain(`${'m'.repeat(79)}…`);
    expect(row).not.toContain('m'.repeat(80));
  });

  test('colour only when asked', () => {
    const plain = renderTable(checkReport(), { color: false }).join('\n');
    const coloured = renderTable(checkReport(), { color: true }).join('\n');
    expect(plain).not.toContain(ESC);
    expect(coloured).toContain(`${ESC}[33mdrift${ESC}[39m`);
    expect(coloured).toContain(`${ESC}[31m1 failed${ESC}[39m`);
    // Padding is computed on the plain text: stripping the colour gives the plain table.
    expect(coloured.replace(/\x1b\[\d+m/g, '')).toBe(plain);
  });

  test('interrupted runs say so', () => {
    expect(renderTable({ ...cleanReport(), interrupted: 'SIGINT' }, { color: false }).at(-1)).toBe('interrupted: SIGINT');
  });
});

describe('summaryLine', () => {
  test('lists every count', () => {
    expect(summaryLine(summarize([host('a')]))).toBe('1 host: 0 changed, 1 compliant, 0 drift, 0 failed, 0 unreachable, 0 not run, 0 refused');
  });
});

describe('renderPlanTable', () => {
  test('current → desired, add/remove, ephemeral before → after', () => {
    expect(renderPlanTable(planReport())).toMatchInlineSnapshot(`
      [
        "HOST      CURRENT            DESIRED              ADD                  REMOVE  EPHEMERAL FREE  NOTE",
        "db-1      5000-5499,7000  →  5000-5999,8080,9100  5500-5999,8080,9100  7000    28232 → 27232   runtime differs",
        "db-2      -               →  5000-5999,8080,9100  5000-5999,8080,9100  -       28232 → 27232   runtime differs",
        "legacy-1  -               →  5000-5999,8080,9100  5000-5999,8080,9100  -       1900 → 900      refused: would leave 900 ephemeral ports (minimum 1000)",
        "gone-1    ?               →  5000-5999,8080,9100  -                    -       -               unreachable: ssh: Connection refused",
        "5 hosts: 2 to change, 1 already compliant, 2 cannot be planned (1 refused, 1 unreachable, 0 failed, 0 not run)",
      ]
    `);
  });

  test('NOTE says why a host whose runtime already matches changes: persisted file, port range, a later file', () => {
    const r = report(
      [
        host('h10', { verdict: 'drift', persisted: null, persistedDiff: undefined }),
        host('h2', { verdict: 'drift', persistedDiff: { missing: '9100', extra: '' }, overriddenBy: ['/etc/sysctl.d/99-sysctl.conf'] }),
        host('h3', { verdict: 'drift', ephemeral: { desired: '1024-65000', current: '32768-60999' } }),
        host('h4', { verdict: 'drift', message: '/etc/sysctl.d/90-x.conf does not persist ip_local_port_range 1024-65000' }),
      ],
      { command: 'plan' },
    );
    expect(renderPlanTable(r).slice(1, 5).join('\n')).toMatchInlineSnapshot(`
      "h10   5000-5999,8080,9100  →  5000-5999,8080,9100  -    -       -               persisted file absent or without the key
      h2    5000-5999,8080,9100  →  5000-5999,8080,9100  -    -       -               persisted file lacks 9100; overridden at boot by 99-sysctl.conf
      h3    5000-5999,8080,9100  →  5000-5999,8080,9100  -    -       -               port range 32768-60999 → 1024-65000
      h4    5000-5999,8080,9100  →  5000-5999,8080,9100  -    -       -               /etc/sysctl.d/90-x.conf does not persist ip_local_port_range 1024-65000"
    `);
  });

  test('only hosts that change are listed; --all lists every host', () => {
    const r = planReport();
    expect(renderPlanTable(r).some((l) => l.startsWith('web-1'))).toBe(false);
    const all = renderPlanTable(r, { color: false, all: true });
    expect(all.find((l) => l.startsWith('web-1'))).toMatch(/compliant$/);
    expect(all.at(-1)).toBe(renderPlanTable(r).at(-1));
  });

  test('an empty plan', () => {
    expect(renderPlanTable(report([], { command: 'plan' }))).toMatchInlineSnapshot(`
      [
        "0 hosts: 0 to change, 0 already compliant",
      ]
    `);
  });
});

describe('reserved values near one kernel write (issue 17)', () => {
  const long = Array.from({ length: 6000 }, (_, i) => String(10000 + 2 * i)).join(','); // 35,999 characters
  const near = long.slice(0, 4001); // 4,001 characters, ends on a whole number
  const hosts = [
    host('web-1'),
    host('web-2', { desired: near, current: near }),
    host('db-1', { verdict: 'drift', desired: long, current: '5000', runtime: { missing: long, extra: '5000' } }),
  ];

  test('check names the length of every host close to or over the limit, compliant or not', () => {
    const lines = renderTable(report(hosts), { color: false });
    expect(lines).toContain('web-2: value 4,001 characters, close to the 4,094 one sysctl write takes');
    expect(lines).toContain('db-1: value 35,999 characters: over the 4,094 one sysctl write takes, fleet writes it whole in chunks');
    expect(lines.join('\n')).not.toContain('web-1:');
  });

  test('plan too', () => {
    const lines = renderPlanTable(report(hosts, { command: 'plan' }));
    expect(lines).toContain('db-1: value 35,999 characters: over the 4,094 one sysctl write takes, fleet writes it whole in chunks');
    expect(lines).toContain('web-2: value 4,001 characters, close to the 4,094 one sysctl write takes');
  });
});
