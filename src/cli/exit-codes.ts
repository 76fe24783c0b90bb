/**
 * The `lip` exit codes, stable and documented in docs/CLI.md, and which one
 * each failure maps to.
 */
import { ErrorCode, isLIPError } from '../errors.js';

export const ExitCode = {
  Ok: 0,
  /** The function raised (or refused the call as busy), the server can't do what was asked, or `serve` could not start. */
  Failed: 1,
  /** Bad command line, or arguments the function refused. */
  Usage: 2,
  /** No such function, nobody answers on its socket, it is shutting down, or its socket is another user's. */
  Unreachable: 3,
  Timeout: 4,
  /** A malformed or oversized message, or a value CBOR can't carry. */
  Protocol: 5,
  /** Interrupted (Ctrl-C), as a shell reports 128 + SIGINT. */
  Interrupted: 130,
  /** Whoever read our stdout stopped reading (`| head`), as a shell reports 128 + SIGPIPE. */
  BrokenPipe: 141,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the CLI itself detected: its message is the whole story, no stack needed. */
export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: ExitCode;
  /** For `--json` error output: ERR_LIP_USAGE, ERR_LIP_TIMEOUT, or ERR_LIP_CLI unless given. */
  readonly code: string;

  constructor(message: string, exitCode: ExitCode, options?: { cause?: unknown; code?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = exitCode;
    this.code = options?.code ?? CLI_CODES[exitCode] ?? 'ERR_LIP_CLI';
  }
}

const CLI_CODES: Partial<Record<ExitCode, string>> = { [ExitCode.Usage]: 'ERR_LIP_USAGE', [ExitCode.Timeout]: ErrorCode.Timeout };

export function usageError(message: string): CliError {
  return new CliError(message, ExitCode.Usage);
}

/** Every code the library raises has its status here (test/cli-errors.test.ts checks none is missing). */
export const EXIT_CODE_BY_ERROR: Readonly<Record<ErrorCode, ExitCode>> = {
  [ErrorCode.Error]: ExitCode.Failed,
  [ErrorCode.Remote]: ExitCode.Failed,
  [ErrorCode.Busy]: ExitCode.Failed,
  [ErrorCode.AlreadyServed]: ExitCode.Failed,
  [ErrorCode.CallbackExpired]: ExitCode.Failed,
  [ErrorCode.Argument]: ExitCode.Usage,
  [ErrorCode.SocketPath]: ExitCode.Usage,
  [ErrorCode.NotFound]: ExitCode.Unreachable,
  [ErrorCode.Connection]: ExitCode.Unreachable,
  [ErrorCode.ShuttingDown]: ExitCode.Unreachable,
  [ErrorCode.Untrusted]: ExitCode.Unreachable,
  [ErrorCode.Timeout]: ExitCode.Timeout,
  [ErrorCode.Protocol]: ExitCode.Protocol,
  [ErrorCode.FrameTooLarge]: ExitCode.Protocol,
  [ErrorCode.Aborted]: ExitCode.Interrupted,
};

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (isLIPError(error)) return EXIT_CODE_BY_ERROR[error.code as ErrorCode] ?? ExitCode.Failed;
  return ExitCode.Failed;
}
