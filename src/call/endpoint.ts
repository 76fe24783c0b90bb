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

export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
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
      const iterator = source[Symbol.asyncIterator]();
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

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
