import { ExitCode, FleetError } from '../errors.js';
import { prometheusUrl, queryPrometheus } from '../io/prometheus.js';
import { policyDigest, policyStem, pullTargets } from '../render/pull.js';
import type { ReportSpec } from '../report/index.js';
import { parseQueryResponse, pullQuery, pullStatus } from '../verify/pull-status.js';
import { makeReport } from '../verify/report.js';
import { verdictExit } from './exit-codes.js';
import { emit, warn } from './output.js';
import { sessionFor } from './targets.js';

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

export async function run(file: string, opts: StatusOptions): Promise<number> {
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
  return verdictExit(report);
}
