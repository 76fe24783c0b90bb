/**
 * What a transport needs from a served function. The module builds one; the
 * socket server (and later other transports) only call through this.
 */
import type { CallContext } from './context.js';

export interface Endpoint {
  readonly name: string;
  /**
   * Runs one call with already-decoded arguments, inside `context`. Returns the
   * value, a promise of it, or an async iterable for a stream. Throws (or
   * rejects) with LIPArgumentError when the arguments don't fit.
   */
  invoke(args: unknown[], kwargs: Record<string, unknown> | null, context: CallContext): unknown;
  /** The function's documentation, or null. */
  doc(): string | null;
  /** Self-description for the `info` verb. */
  info(): unknown;
  /** Figures for the `stats` verb. */
  stats(): unknown;
}

/** Never throws (see isPromiseLike below). */
export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  try {
    return typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
  } catch {
    return false;
  }
}

/**
 * Wraps a stream so `onEnd` is told once when its iteration ends: finished,
 * thrown, or closed early with return(). A served stream holds its
 * concurrency slot and its place in the figures until then.
 */
export function onIterationEnd(source: AsyncIterable<unknown>, onEnd: (failed: boolean, error: unknown) => void): AsyncIterable<unknown> {
  let ended = false;
  const end = (failed: boolean, error: unknown) => {
    if (ended) return;
    ended = true;
    onEnd(failed, error);
  };
  return {
    [Symbol.asyncIterator](): AsyncIterator<unknown> {
      let iterator: AsyncIterator<unknown>;
      try {
        iterator = source[Symbol.asyncIterator]();
      } catch (error) {
        // Never iterated, so never ended by next() or return(): end it here, or its slot and figures stay taken.
        end(true, error);
        throw error;
      }
      return {
        async next(...value: [] | [unknown]) {
          try {
            const step = await iterator.next(...value);
            if (step.done) end(false, undefined);
            return step;
          } catch (error) {
            end(true, error);
            throw error;
          }
        },
        async return(value?: unknown) {
          // Ended for the caller now, even if the generator is stuck in an await and finishes later.
          end(false, undefined);
          return (await iterator.return?.(value)) ?? { done: true, value };
        },
      };
    },
  };
}

// A function may return anything, a revoked Proxy or an object whose getters throw included: these two
// checks never throw, so the call's slot and figures are given back on the plain-value path.

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  try {
    return typeof (value as { then?: unknown }).then === 'function';
  } catch {
    return false;
  }
}
