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
  /** Told when a stream call ends, for its figures. */
  readonly onStreamEnd?: (outcome: 'ok' | 'error' | 'cancelled') => void;
}

export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
