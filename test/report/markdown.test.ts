import { describe, expect, test } from 'vitest';
import { mdCell, renderPlanMarkdown } from '../../src/report/markdown.js';
import { HOSTILE_HOST, HOSTILE_MESSAGE, host, planReport, report } from '../fixtures/reports/build.js';

describe('renderPlanMarkdown', () => {
  test('counts, a table of the hosts that change, collapsed detail per host', () => {
    const md = renderPlanMarkdown(planReport());
    expect(md).toMatchInlineSnapshot(`
      "### fleet plan: policies/ports.yaml (exact)

      **2 to change**, 1 already compliant, **2 cannot be planned** (1 refused, 1 unreachable, 0 failed, 0 not run) — 5 hosts

      | Host | Current | Desired | Add | Remove | Ephemeral free | Why |
      |---|---|---|---|---|---|---|
      | db-1 | \`5000-5499,7000\` | \`5000-5999,8080,9100\` | \`5500-5999,8080,9100\` | \`7000\` | 28232 → 27232 | runtime differs |
      | db-2 | - | \`5000-5999,8080,9100\` | \`5000-5999,8080,9100\` | - | 28232 → 27232 | runtime differs |
      | legacy-1 | - | \`5000-5999,8080,9100\` | \`5000-5999,8080,9100\` | - | 1900 → 900 | refused: would leave 900 ephemeral ports (minimum 1000) |
      | gone-1 | ? | \`5000-5999,8080,9100\` | - | - | - | unreachable: ssh: Connection refused |

      <details>
      <summary>db-1: runtime differs</summary>

      <pre>runtime missing: 5500-5999,8080,9100 (502 ports)
      runtime extra:   7000 (1 port)
      runtime value:   5000-5499,7000
      persisted value: 5000-5999,8080,9100
      desired value:   5000-5999,8080,9100</pre>
      </details>
      <details>
      <summary>db-2: runtime differs</summary>

      <pre>runtime missing: 5000-5999,8080,9100 (1002 ports)
      runtime value:   (empty)
      persisted value: 5000-5999,8080,9100
      desired value:   5000-5999,8080,9100</pre>
      </details>
      <details>
      <summary>legacy-1: refused: would leave 900 ephemeral ports (minimum 1000)</summary>

      <pre>runtime missing: 5000-5999,8080,9100 (1002 ports)
      runtime value:   (empty)
      persisted value: 5000-5999,8080,9100
      desired value:   5000-5999,8080,9100
      message: would leave 900 ephemeral ports (minimum 1000)</pre>
      </details>
      <details>
      <summary>gone-1: unreachable: ssh: Connection refused</summary>

      <pre>runtime value:   (unknown)
      persisted value: 5000-5999,8080,9100
      desired value:   5000-5999,8080,9100
      message: ssh: Connection refused</pre>
      </details>
      "
    `);
    expect(md).not.toContain('| web-1 |');
    expect(renderPlanMarkdown(planReport(), { all: true })).toContain('| web-1 |');
  });

  test('hostile names and messages cannot break the table or inject markup', () => {
    const md = renderPlanMarkdown(
      report(
        [
          host(HOSTILE_HOST, { verdict: 'drift', message: HOSTILE_MESSAGE, persisted: null }),
          host('a|b', { verdict: 'unreachable', message: '| x | <img src=x>' }),
        ],
        { command: 'plan', policy: 'p|<x>.yaml' },
      ),
    );
    expect(md).not.toMatch(/<(script|img|b)\b/);
    expect(md).not.toContain('\x1b');
    const rows = md.split('\n').filter((l) => l.startsWith('| '));
    // header + 2 hosts, each with exactly 7 unescaped separators + 1
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r.replace(/\\\|/g, '').split('|')).toHaveLength(9);
  });

  test('mdCell escapes markdown and HTML', () => {
    expect(mdCell('a|b*c_<d>`e`\nf')).toBe('a\\|b\\*c\\_&lt;d&gt;\\`e\\` f');
  });
});
