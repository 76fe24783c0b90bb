/**
 * What LIPClient needs of a way to reach one function, whatever carries it: a lipmodule socket
 * (ClientConnection), the Python original (OneShotConnection) or NATS (NatsRoute). Each implements
 * every member; transport details (request ids, stream credit) stay inside the transport.
 */
import type { ControlVerb, HelloInfo } from '../protocol/messages.js';
import type { TraceCarrier } from '../telemetry/propagation.js';

/** Who answers on a connection, as `LIPClient.serverKind` reports it. */
export type ConnectionKind = 'lipmodule' | 'python' | 'nats';

export interface CallSettings {
  /** Milliseconds to wait for the answer; 0 or Infinity waits for ever. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /**
   * When the call's time started before this connection got it (its first contact went first):
   * the Date.now() at which the deadline passes. `timeoutMs` stays the deadline the caller gave.
   */
  deadline?: number | undefined;
  /** The call's trace context, sent with it (a Call's `trace` option, NATS headers); set only when an SDK is registered. */
  trace?: TraceCarrier | undefined;
}

/** One call whose values are read as they come. */
export interface StreamRequest {
  fn: string;
  args: unknown[];
  kwargs: Record<string, unknown> | null;
  settings: CallSettings;
  /** Items the server may send ahead of the reader (where the transport streams at all). */
  window: number;
}

export interface FunctionConnection {
  readonly kind: ConnectionKind;
  /** The lipmodule server's Hello once it came; the Python original and NATS send none. */
  readonly hello: HelloInfo | undefined;
  /** True once closed or broken: the client then opens a new connection. */
  readonly isClosed: boolean;
  /** Resolves once requests go out without first waiting for a connection (rejects if it can't connect). */
  ready(): Promise<void>;
  call(fn: string, args: unknown[], kwargs: Record<string, unknown> | null, settings: CallSettings): Promise<unknown>;
  control(verb: ControlVerb, settings: CallSettings): Promise<unknown>;
  /** The call's values, one by one; leaving the loop early stops the call. */
  stream(request: StreamRequest): AsyncIterator<unknown>;
  /** Waits for the calls in flight, then closes. */
  close(): Promise<void>;
  /** Closes now; calls in flight reject with LIPConnectionError. */
  destroy(reason?: string): void;
}
