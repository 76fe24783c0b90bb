/**
 * Turns any failure into one clear line on stderr (and the stack only with
 * --verbose): a user mistake never shows a raw Node stack trace.
 */
import { isLIPRemoteError, type LIPRemoteError, type RemoteErrorInfo } from '../errors.js';
import { CliError } from './exit-codes.js';
import { err } from './style.js';

export function describeError(error: unknown): string {
  if (isLIPRemoteError(error)) return describeRemote(error);
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const suffix = typeof code === 'string' && !(error instanceof CliError) ? ` (${code})` : '';
    return `${error.message}${suffix}`;
  }
  return String(error);
}

function describeRemote(error: LIPRemoteError): string {
  const { name, message, code } = error.remote;
  return `'${error.functionName}' raised ${name}: ${message}${code === undefined ? '' : ` (code ${code})`}`;
}

export interface ErrorJson {
  error: { code: string; name: string; message: string; remote: RemoteErrorInfo | null };
}

/** What `--json` prints on stderr for a failure; the remote error's stack only with `verbose`. */
export function errorAsJson(error: unknown, verbose: boolean): ErrorJson {
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as { code?: unknown }).code;
  let remote: RemoteErrorInfo | null = null;
  if (isLIPRemoteError(error)) {
    const { stack, ...rest } = error.remote;
    remote = verbose && stack !== undefined ? { ...rest, stack } : rest;
  }
  return { error: { code: typeof code === 'string' ? code : 'ERR_LIP_CLI', name: e.name, message: e.message, remote } };
}

export function reportError(error: unknown, options: { verbose: boolean; json: boolean }): void {
  const { verbose, json } = options;
  if (json) {
    process.stderr.write(`${JSON.stringify(errorAsJson(error, verbose))}\n`);
    return;
  }
  process.stderr.write(`${err.red('lip: error:')} ${describeError(error)}\n`);
  if (!verbose) return;
  if (isLIPRemoteError(error) && error.remote.stack) process.stderr.write(`${err.dim('remote stack:')}\n${error.remote.stack}\n`);
  const stack = error instanceof Error ? error.stack : undefined;
  if (stack) process.stderr.write(`${err.dim('local stack:')}\n${stack}\n`);
  const cause = error instanceof Error ? (error.cause as Error | undefined) : undefined;
  if (cause?.stack) process.stderr.write(`${err.dim('caused by:')}\n${cause.stack}\n`);
}
