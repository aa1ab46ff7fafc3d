/** Exit codes from a run's outcome: verdicts, and the signal that stopped it. */
import { ExitCode } from '../errors.js';
import type { RunReport, Verdict } from '../verify/types.js';
import { FAILING_VERDICTS } from './options.js';

export function signalExit(sig: NodeJS.Signals | undefined): number | undefined {
  return sig === 'SIGINT' ? ExitCode.sigint : sig === 'SIGTERM' ? ExitCode.sigterm : sig === 'SIGHUP' ? ExitCode.sighup : undefined;
}

/** 0 when every targeted host is compliant (or in a verdict `failOn` does not name), 1 otherwise. */
export function verdictExit(report: RunReport, strictAudit = false, failOn: readonly Verdict[] = FAILING_VERDICTS): number {
  const s = report.summary;
  const bad = failOn.reduce((n, v) => n + s[v], 0);
  if (bad > 0) return ExitCode.drift;
  if (strictAudit && s.auditFindings > 0) return ExitCode.drift;
  return ExitCode.ok;
}
