/**
 * What a call made from inside a served call inherits from it (issue 16): the
 * sooner of the two deadlines, and cancellation when the served call is
 * cancelled, so a request's deadline shrinks as it goes deeper instead of
 * restarting in every process. Outside a served call nothing is inherited.
 */
import { callStorage, LazyCallContext } from './context.js';
import { deadlineAfter, earlierDeadline, remainingMs } from './deadline.js';

/** What a nested call is given: its deadline and signal after inheritance. */
export interface Inherited {
  /** Milliseconds the call waits (what is left when the served call's deadline comes first). */
  timeoutMs: number;
  /** The Date.now() at which the call's deadline passes, if it has one. */
  deadline: number | undefined;
  /** Fires when the caller's own signal does, or when the served call is cancelled. */
  signal: AbortSignal;
}

/** The served call this code runs in (a lipmodule server's, not a direct local call), or undefined. */
export function servedCall(): LazyCallContext | undefined {
  const store = callStorage.getStore();
  return store instanceof LazyCallContext ? store : undefined;
}

/**
 * A nested call's deadline and signal: `own` (the call's timeout and signal) limited by `served`.
 * Reads `served.signal`, which arms the served call's own deadline timer: only for calls made inside one.
 */
export function inheritFrom(served: LazyCallContext, own: { timeoutMs: number; signal?: AbortSignal | undefined }): Inherited {
  const now = Date.now();
  const ownDeadline = deadlineAfter(own.timeoutMs, now);
  const deadline = earlierDeadline(ownDeadline, served.deadline);
  // The served call's deadline comes first: the call waits what is left of it (at least 1 ms: 0 would mean for ever).
  const timeoutMs = deadline === ownDeadline ? own.timeoutMs : Math.max(1, remainingMs(deadline, now)!);
  const signal = own.signal ? AbortSignal.any([own.signal, served.signal]) : served.signal;
  return { timeoutMs, deadline, signal };
}
