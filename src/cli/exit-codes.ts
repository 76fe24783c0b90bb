/**
 * The `lip` exit codes, stable and documented in docs/CLI.md, and which one
 * each failure maps to.
 */
import { ErrorCode, isLIPError } from '../errors.js';

export const ExitCode = {
  Ok: 0,
  /** The function raised (or refused the call as busy), or `serve` could not start. */
  Failed: 1,
  /** Bad command line, or arguments the function refused. */
  Usage: 2,
  /** No such function, or nobody answers on its socket. */
  Unreachable: 3,
  Timeout: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the CLI itself detected: its message is the whole story, no stack needed. */
export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: ExitCode;

  constructor(message: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, ExitCode.Usage);
}

const BY_CODE: Record<string, ExitCode> = {
  [ErrorCode.Remote]: ExitCode.Failed,
  [ErrorCode.Busy]: ExitCode.Failed,
  [ErrorCode.AlreadyServed]: ExitCode.Failed,
  [ErrorCode.Argument]: ExitCode.Usage,
  [ErrorCode.SocketPath]: ExitCode.Usage,
  [ErrorCode.NotFound]: ExitCode.Unreachable,
  [ErrorCode.Connection]: ExitCode.Unreachable,
  [ErrorCode.ShuttingDown]: ExitCode.Unreachable,
  [ErrorCode.Protocol]: ExitCode.Unreachable,
  [ErrorCode.FrameTooLarge]: ExitCode.Unreachable,
  [ErrorCode.Untrusted]: ExitCode.Unreachable,
  [ErrorCode.Timeout]: ExitCode.Timeout,
};

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (isLIPError(error)) return BY_CODE[error.code] ?? ExitCode.Failed;
  return ExitCode.Failed;
}
