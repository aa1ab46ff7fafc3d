import type { Command } from 'commander';
import { ExitCode, FleetError } from '../errors.js';
import { prometheusUrl, queryPrometheus } from '../io/prometheus.js';
import { policyDigest, policyStem, pullTargets } from '../render/pull.js';
import type { ReportSpec } from '../report/index.js';
import { parseQueryResponse, pullQuery, pullStatus } from '../verify/pull-status.js';
import { makeReport } from '../verify/report.js';
import { examples, sessionFor, warn } from './common.js';
import { collectReport, emit, verdictExit } from './run-support.js';

interface StatusOptions {
  prometheus: string;
  maxAge: string;
  inventory?: string;
  json?: boolean;
  report?: ReportSpec[];
}

/** `90s`, `30m`, `2h`, `1d` or plain seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(s|m|h|d)?$/.exec(text.trim());
  if (!m || Number(m[1]) <= 0) throw new FleetError(`--max-age "${text}" is not a duration: write e.g. 90s, 30m, 2h or 1d`, ExitCode.invalid);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('pull mode: the fleet view from Prometheus (what every host running ansible-pull reported), as a check report')
    .argument('<policy>', 'policy YAML file the pull repository was rendered from')
    .requiredOption('--prometheus <url>', 'Prometheus base URL, e.g. http://prometheus:9090')
    .option('--max-age <duration>', 'a host whose last pull run is older is stale (not_run)', '2h')
    .option('-i, --inventory <source>', "inventory to use instead of the policy's")
    .option('--report <format=path>', 'write a report: json, junit, prometheus or html (repeatable)', collectReport)
    .option('--json', 'print one JSON document on stdout, nothing else')
    .addHelpText(
      'after',
      examples(['fleet status policy.yaml --prometheus http://prometheus:9090', 'fleet status policy.yaml --prometheus http://127.0.0.1:9090 --max-age 90m --report junit=out/pull.xml']) +
        '\nEvery host of the inventory gets a verdict: compliant, drift (also: another policy version), failed,\nnot_run (never reported, or stale). Exit codes as for check: 0 all compliant, 1 otherwise, 2 bad input, 3 Prometheus unreachable.\n',
    )
    .action(async (file: string, opts: StatusOptions) => {
      const started = new Date();
      const url = prometheusUrl(opts.prometheus);
      const maxAgeSeconds = parseDuration(opts.maxAge);
      // The same session as render --pull (policy targets included), so the digest is the rendered one.
      const { policy, plans } = await sessionFor(file, { ...(opts.inventory ? { inventory: opts.inventory } : {}), ...(opts.json ? { json: true } : {}) });
      const digest = policyDigest(policy, pullTargets(plans));
      const parsed = parseQueryResponse(await queryPrometheus(url, pullQuery(policyStem(file))));
      if (!parsed.ok) throw new FleetError(`Prometheus at ${url.href}: ${parsed.error}`, ExitCode.environment);
      const known = new Set(plans.map((p) => p.host));
      const strangers = [...new Set(parsed.samples.map((s) => s.labels.host!))].filter((h) => !known.has(h)).sort();
      if (strangers.length) warn(`${strangers.length} host(s) report under this policy but are not in its inventory: ${strangers.slice(0, 20).join(', ')}`);
      const hosts = pullStatus({ plans, mode: policy.mode, digest, samples: parsed.samples, maxAgeSeconds });
      const report = makeReport({ command: 'status', policy, policyLabel: file, startedAt: started, finishedAt: new Date(), hosts });
      await emit(report, opts);
      process.exitCode = verdictExit(report);
    });
}
