/** The two ways a caller ends a call early, worded alike on every transport. */
import { LIPAbortError, LIPTimeoutError } from '../errors.js';

/** The error for a call whose caller's signal aborted. */
export function callAborted(fn: string, signal: AbortSignal): LIPAbortError {
  const reason = signal.reason instanceof Error ? `: ${signal.reason.message}` : '';
  return new LIPAbortError(`'${fn}': the call was aborted${reason}`, { cause: signal.reason });
}

/** The error for a call whose deadline passed; `detail` says what was still awaited. */
export function callTimedOut(fn: string, timeoutMs: number | undefined, detail?: string): LIPTimeoutError {
  const deadline = timeoutMs === undefined ? 'its deadline' : `its deadline of ${timeoutMs} ms`;
  return new LIPTimeoutError(`'${fn}' did not answer within ${deadline}${detail ? ` (${detail})` : ''}`);
}
