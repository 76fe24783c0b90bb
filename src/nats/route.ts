/**
 * A function reached over NATS: the FunctionConnection LIPClient holds for it. The NATS connection
 * itself belongs to the directory (shared by every route); a route owns its requests in flight.
 * Streams arrive item by item under the reader's credit (stream-call.ts).
 */
import type { CallSettings, FunctionConnection, StreamRequest } from '../client/function-connection.js';
import { refuseChannels } from '../client/argument-finder.js';
import { RequestsInFlight } from '../client/requests-in-flight.js';
import { LIPConnectionError } from '../errors.js';
import type { ControlVerb } from '../protocol/messages.js';
import type { NatsDirectory } from './directory.js';
import type { OpenNatsStream } from './stream-call.js';

/** Over NATS a call has no channel back to the caller for a callback's calls or an iterable's items. */
const NATS_REFUSAL = 'the socket transport: this function is reached over NATS, where a call has no channel back to the caller';

export class NatsRoute implements FunctionConnection {
  readonly kind = 'nats';
  /** NATS services send no Hello. */
  readonly hello = undefined;
  /** NATS can't recall a request, but its caller stops waiting on destroy(). */
  private readonly requests = new RequestsInFlight();

  constructor(
    readonly name: string,
    private readonly directory: NatsDirectory,
  ) {}

  get isClosed(): boolean {
    return this.requests.closed;
  }

  /** Requests go out on the directory's NATS connection, which connects on the first one. */
  ready(): Promise<void> {
    return Promise.resolve();
  }

  call(fn: string, args: unknown[], kwargs: Record<string, unknown> | null, settings: CallSettings): Promise<unknown> {
    try {
      refuseChannels(fn, args, kwargs, NATS_REFUSAL);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.track(fn, () => this.directory.call({ name: fn, args, kwargs, settings }));
  }

  control(verb: ControlVerb, settings: CallSettings): Promise<unknown> {
    return this.track(this.name, () => this.directory.control(this.name, verb, settings));
  }

  stream(request: StreamRequest): AsyncIterator<unknown> {
    try {
      refuseChannels(request.fn, request.args, request.kwargs, NATS_REFUSAL);
    } catch (error) {
      return failedStream(error as Error);
    }
    if (this.requests.closed) return failedStream(new LIPConnectionError(`'${request.fn}': the connection is closed`));
    // Counted in flight from now until the stream ends, so close() waits for it and destroy() cuts it.
    let stream: OpenNatsStream | undefined;
    let cut: Error | undefined;
    const fail = (error: Error): void => {
      if (!this.requests.end(fail)) return;
      cut = error;
      stream?.fail(error);
    };
    this.requests.begin(fail);
    const opening = this.directory.stream(request, () => this.requests.end(fail));
    opening.then(
      (opened) => {
        stream = opened;
        if (cut) opened.fail(cut);
      },
      (error: Error) => fail(error),
    );
    const reader = opening.then((opened) => opened.reader);
    reader.catch(() => {});
    return {
      next: async () => {
        if (cut && !stream) throw cut;
        return (await reader).next();
      },
      return: async () => (await reader.catch(() => undefined))?.return() ?? { done: true, value: undefined },
    };
  }

  /** Waits for the requests in flight; new ones are refused from now on. */
  close(): Promise<void> {
    return this.requests.close();
  }

  /** Stops waiting for the requests in flight: they reject with LIPConnectionError. */
  destroy(reason = 'the client was closed'): void {
    this.requests.destroy(this.name, reason);
  }

  /** Sends a request (`send`) unless closed, and tracks its reply. */
  private track(fn: string, send: () => Promise<unknown>): Promise<unknown> {
    if (this.requests.closed) return Promise.reject(new LIPConnectionError(`'${fn}': the connection is closed`));
    const reply = send();
    return new Promise((resolve, reject) => {
      const settle = (error: Error | undefined, value?: unknown): void => {
        if (!this.requests.end(fail)) return;
        if (error) reject(error);
        else resolve(value);
      };
      const fail = (error: Error): void => settle(error);
      this.requests.begin(fail);
      reply.then((value) => settle(undefined, value), fail);
    });
  }
}

/** A stream that fails at its first read. */
function failedStream(error: Error): AsyncIterator<unknown> {
  return { next: () => Promise.reject(error) };
}
