/**
 * Turns any failure into one clear line on stderr (and the stack only with
 * --verbose): a user mistake never shows a raw Node stack trace.
 */
import { isLIPRemoteError, type LIPRemoteError } from '../errors.js';
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

export function reportError(error: unknown, verbose: boolean): void {
  process.stderr.write(`${err.red('lip: error:')} ${describeError(error)}\n`);
  if (!verbose) return;
  if (isLIPRemoteError(error) && error.remote.stack) process.stderr.write(`${err.dim('remote stack:')}\n${error.remote.stack}\n`);
  const stack = error instanceof Error ? error.stack : undefined;
  if (stack) process.stderr.write(`${err.dim('local stack:')}\n${stack}\n`);
  const cause = error instanceof Error ? (error.cause as Error | undefined) : undefined;
  if (cause?.stack) process.stderr.write(`${err.dim('caused by:')}\n${cause.stack}\n`);
}
