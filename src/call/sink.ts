/**
 * Where a call's answer goes: each transport implements a sink, the runner
 * (runner.ts) drives it. The runner calls exactly one of `result`, `error` or
 * (streams) `end` per call, even for a call whose caller went away: the sink
 * forgets the call there, and sends only if its caller still listens.
 */
import type { LazyCallContext } from './context.js';
import type { CollectLimits } from './collect.js';

/** What every sink has. */
interface SinkBase {
  /** The call's context: its signal, deadline and id. */
  readonly context: LazyCallContext;
  /**
   * The trace context the caller sent (the Call's `trace` option, NATS headers), unchecked:
   * read only when an OpenTelemetry SDK is registered, and ignored unless it is a valid carrier.
   */
  readonly traceCarrier?: unknown;
  /** What the call threw (even `undefined`: it still failed); the library's own faults are marked with ownFault. */
  error(thrown: unknown): void;
}

/** A transport with one reply per call. */
export interface CallSink extends SinkBase {
  /** What collecting a stream into the one reply may cost; absent: unbounded. */
  readonly collecting?: CollectLimits | undefined;
  /** A stream request on a transport with one reply: a plain value comes back as a list of one. */
  readonly wantsList?: boolean | undefined;
  /** The call's value (a stream's values collected into a list). */
  result(value: unknown): void;
}

/** A transport that sends a stream's values one by one, as its caller takes them. */
export interface StreamSink extends SinkBase {
  /** False once the caller can take nothing more (its connection is closing). */
  readonly open: boolean;
  /** Something to wait for before the next item (the caller's credit, room in the socket), or undefined to go on now. */
  room(): PromiseLike<unknown> | undefined;
  /** One value of the stream. Throws if the value can't be sent. */
  item(value: unknown): void;
  /** The stream ended (also when cancelled: then nothing is sent). */
  end(): void;
}
