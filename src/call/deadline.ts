/**
 * Timeouts and deadlines, one rule for every transport: a timeout limits
 * anything only when it is a finite number above zero; a deadline is an epoch
 * millisecond (`Date.now()` scale) or `undefined` for none.
 */

/** The longest delay a Node timer takes; longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` if it limits anything (a finite number > 0), else `undefined` (no limit). */
export function effectiveTimeout(ms: unknown): number | undefined {
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** The latest time a `Date` holds (epoch ms): a deadline past it is never reached. */
export const LATEST_DATE_MS = 8.64e15;

/**
 * The deadline `ms` from `now`, or `undefined` when `ms` doesn't limit anything, a timeout so long
 * (a peer's 1e308) that the deadline would be past the latest Date included: it is never reached,
 * and a served function reading `context().deadline` gets no deadline rather than one `new Date()` refuses.
 */
export function deadlineAfter(ms: unknown, now = Date.now()): number | undefined {
  const timeout = effectiveTimeout(ms);
  return timeout === undefined || now + timeout > LATEST_DATE_MS ? undefined : now + timeout;
}

/** Milliseconds left until `deadline` (never below 0), or `undefined` for no deadline. */
export function remainingMs(deadline: number | undefined, now = Date.now()): number | undefined {
  return deadline === undefined ? undefined : Math.max(0, deadline - now);
}

/** The sooner of two deadlines (`undefined` is no deadline). */
export function earlierDeadline(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** A delay a Node timer honours: within 0 and MAX_TIMER_MS. */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_TIMER_MS);
}
