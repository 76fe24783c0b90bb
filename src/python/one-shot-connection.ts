/**
 * The client side of the Python original's protocol: one connection per
 * request (connect, write one CBOR map, half-close, read until the server
 * closes): the FunctionConnection of a function the original serves.
 */
import type { Socket } from 'node:net';
import { effectiveTimeout, remainingMs, timerDelay } from '../call/deadline.js';
import { callAborted, callTimedOut } from '../client/call-errors.js';
import type { CallSettings, FunctionConnection, StreamRequest } from '../client/function-connection.js';
import { refuseChannels } from '../client/argument-finder.js';
import { replyStream } from '../client/reply-stream.js';
import { RequestsInFlight } from '../client/requests-in-flight.js';
import { LIPConnectionError, LIPProtocolError, LIPRemoteError } from '../errors.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../protocol/frame.js';
import type { ControlVerb } from '../protocol/messages.js';
import { OWN_TRUST, type SocketTrust } from '../transport/socket-trust.js';
import { connectTrusted } from '../transport/trusted-connect.js';
import { CborItemReader } from './cbor-item.js';
import { decodeOneShot, DOCSTRING_REQUEST, encodeCallRequest, parseReply } from './wire.js';

export interface OneShotConnectionOptions {
  connectTimeoutMs: number;
  /** Largest reply accepted, in bytes. @default 16 MiB */
  maxFrameBytes?: number | undefined;
  /** Whose socket files a request may be written to; checked on every connection. @default ourselves and root */
  trust?: SocketTrust;
}

/** Calls a function served by the Python original. Each request is its own connection. */
export class OneShotConnection implements FunctionConnection {
  readonly kind = 'python';
  readonly name: string;
  readonly path: string;
  /** The original sends no Hello. */
  readonly hello: undefined = undefined;
  private readonly connectTimeoutMs: number;
  private readonly maxReplyBytes: number;
  private readonly trust: SocketTrust;
  private readonly sockets = new Set<Socket>();
  private readonly requests = new RequestsInFlight();

  constructor(name: string, path: string, options: OneShotConnectionOptions) {
    this.name = name;
    this.path = path;
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.maxReplyBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.trust = options.trust ?? OWN_TRUST;
  }

  /** True once closed, or once a connect failed (the client then probes the path again). */
  get isClosed(): boolean {
    return this.requests.closed;
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  call(fn: string, args: unknown[], kwargs: Record<string, unknown> | null, settings: CallSettings): Promise<unknown> {
    let request: Buffer;
    try {
      refuseChannels(fn, args, kwargs, "a lipmodule server: it is served by the Python original, whose protocol can't carry them");
      request = encodeCallRequest(args, kwargs);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.exchange(fn, request, settings);
  }

  control(verb: ControlVerb, settings: CallSettings): Promise<unknown> {
    switch (verb) {
      case 'doc':
        return this.exchange(this.name, DOCSTRING_REQUEST, settings);
      case 'ping':
        // The docstring request is the original's only request that runs nothing.
        return this.exchange(this.name, DOCSTRING_REQUEST, settings).then(() => true);
      default:
        return Promise.reject(
          new LIPProtocolError(`'${this.name}' is served by the Python original, which does not support '${verb}' (only calls and docstrings)`),
        );
    }
  }

  /** The original has no streams: the call's value arrives as the stream's only item. */
  stream({ fn, args, kwargs, settings }: StreamRequest): AsyncIterator<unknown> {
    return replyStream(this.call(fn, args, kwargs, settings).then((value) => [value]));
  }

  /** Refuses new requests, then waits for those in flight. */
  close(): Promise<void> {
    return this.requests.close();
  }

  /** Cuts every request in flight; they reject with LIPConnectionError. */
  destroy(reason = 'the client was closed'): void {
    this.requests.destroy(this.name, reason);
  }

  private exchange(fn: string, request: Buffer, settings: CallSettings): Promise<unknown> {
    const signal = settings.signal;
    if (signal?.aborted) return Promise.reject(callAborted(fn, signal));
    if (this.requests.closed) return Promise.reject(new LIPConnectionError(`'${fn}': the connection is closed`));
    return new Promise((resolve, reject) => {
      let socket: Socket | undefined;
      let timer: NodeJS.Timeout | undefined;
      const reader = new CborItemReader(this.maxReplyBytes);
      const finish = (error: Error | undefined, value?: unknown) => {
        if (!this.requests.end(fail)) return;
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (socket) {
          this.sockets.delete(socket);
          socket.destroy();
        }
        if (error) reject(error);
        else resolve(value);
      };
      const fail = (error: Error) => finish(error);
      const onAbort = () => fail(callAborted(fn, signal!));
      this.requests.begin(fail);
      signal?.addEventListener('abort', onAbort, { once: true });
      const timeoutMs = effectiveTimeout(settings.timeoutMs);
      if (timeoutMs !== undefined) {
        const left = remainingMs(settings.deadline) ?? timeoutMs;
        timer = setTimeout(() => fail(callTimedOut(fn, timeoutMs)), timerDelay(left));
        timer.unref();
      }

      const onData = (chunk: Buffer) => {
        let item: Buffer | undefined;
        try {
          item = reader.push(chunk);
        } catch (error) {
          fail(error as Error);
          return;
        }
        if (!item) return;
        let reply;
        try {
          reply = parseReply(decodeOneShot(item));
        } catch (error) {
          fail(error as Error);
          return;
        }
        if ('error' in reply) fail(new LIPRemoteError(fn, { name: 'PythonError', message: reply.error }));
        else finish(undefined, reply.result);
      };
      const onClosed = () => {
        // The original closes without a reply when a result can't be encoded or the request isn't a map.
        const detail = reader.received === 0 ? 'without a reply' : `after ${reader.received} bytes, before its reply was complete`;
        fail(new LIPProtocolError(`'${fn}': the server closed the connection ${detail} (${this.path})`));
      };

      // A new connection for every request, so the owner is checked for every request.
      connectTrusted(this.path, { timeoutMs: this.connectTimeoutMs, trust: this.trust }).then(
        (connected) => {
          if (!this.requests.has(fail)) {
            connected.destroy();
            return;
          }
          socket = connected;
          this.sockets.add(connected);
          connected.on('data', onData);
          connected.on('end', onClosed);
          connected.on('close', onClosed);
          connected.on('error', (error) => fail(new LIPConnectionError(`'${fn}': ${error.message} (${this.path})`, { cause: error })));
          // Half-closing ends the original's read loop cleanly whatever the request's size.
          connected.end(request);
        },
        (error: Error) => {
          // Nobody there any more: the client reopens, and probes, next time.
          this.requests.refuseNew();
          fail(error);
        },
      );
    });
  }
}
