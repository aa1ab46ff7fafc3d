/** `--report FORMAT=PATH`: the formats and the parser (no renderer, so option parsing loads none). */
import { FleetError, ExitCode } from '../errors.js';

/** File formats `--report` accepts. */
export const REPORT_FORMATS = ['json', 'junit', 'prometheus', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** A parsed `--report FORMAT=PATH`. */
export interface ReportSpec {
  format: ReportFormat;
  path: string;
}

function isFormat(s: string): s is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(s);
}

/**
 * Parse `junit=out/x.xml` into `{format: 'junit', path: 'out/x.xml'}`.
 * Splits at the first `=`, so paths may contain `=`.
 * @throws FleetError (exit 2) naming the allowed formats when the spec is malformed.
 */
export function parseReportSpec(spec: string): ReportSpec {
  const allowed = REPORT_FORMATS.join(', ');
  const eq = spec.indexOf('=');
  if (eq < 0) {
    throw new FleetError(`--report "${spec}" must be FORMAT=PATH, e.g. junit=out/fleet.xml (formats: ${allowed})`, ExitCode.invalid);
  }
  const format = spec.slice(0, eq).trim().toLowerCase();
  const path = spec.slice(eq + 1);
  if (!isFormat(format)) {
    throw new FleetError(`--report "${spec}": unknown format "${format}" (formats: ${allowed})`, ExitCode.invalid);
  }
  if (path.trim() === '') {
    throw new FleetError(
      `--report "${spec}": missing file path after "=", e.g. ${format}=out/fleet.${format === 'junit' ? 'xml' : format === 'prometheus' ? 'prom' : format}`,
      ExitCode.invalid,
    );
  }
  return { format, path };
}
