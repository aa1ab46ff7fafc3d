/**
 * The Prometheus HTTP API, read only: one instant query. The answer is
 * parsed by verify/pull-status.ts; this module only fetches.
 */
import { ExitCode, FleetError } from '../errors.js';

/** Check `--prometheus URL` before any request: http(s), no credentials in it. */
export function prometheusUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FleetError(`--prometheus "${text}" is not a URL: write e.g. http://prometheus.example:9090`, ExitCode.invalid);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new FleetError(`--prometheus "${text}": only http:// and https:// are supported`, ExitCode.invalid);
  if (url.username || url.password)
    throw new FleetError('--prometheus: put no credentials in the URL (they would show in process lists and logs)', ExitCode.invalid);
  return url;
}

/** GET /api/v1/query?query=...; returns the decoded JSON body (also for Prometheus' own error answers). */
export async function queryPrometheus(base: URL, promql: string, timeoutMs = 30_000): Promise<unknown> {
  const url = new URL('api/v1/query', base.href.endsWith('/') ? base : new URL(`${base.href}/`));
  url.searchParams.set('query', promql);
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (e) {
    const cause = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
    throw new FleetError(`cannot reach Prometheus at ${base.href}: ${cause}`, ExitCode.environment);
  }
  const text = await res.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new FleetError(`Prometheus at ${base.href} answered HTTP ${res.status} with no JSON: ${text.slice(0, 200)}`, ExitCode.environment);
  }
}
