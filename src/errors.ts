/**
 * Exit codes shared by every fleet command.
 * 0 success/compliant, 1 drift or host failures, 2 invalid input or usage,
 * 3 environment problem (missing tool, no root, unreadable inventory),
 * 128 + signal number when interrupted (SIGHUP 129, SIGINT 130, SIGTERM 143).
 */
export const ExitCode = {
  ok: 0,
  drift: 1,
  invalid: 2,
  environment: 3,
  sighup: 129,
  sigint: 130,
  sigterm: 143,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The one error type fleet throws on purpose. Its message says what to do;
 * only the CLI entry turns it into an exit code. Anything else is a bug.
 */
export class FleetError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.invalid,
    readonly details: readonly string[] = [],
  ) {
    super(message);
    this.name = 'FleetError';
  }
}

export function isFleetError(e: unknown): e is FleetError {
  return e instanceof FleetError;
}
