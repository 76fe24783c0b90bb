/**
 * Answers the Python original's one-shot requests on a native socket: read one
 * CBOR map (until the item is whole, not until a short read), run it through the
 * Endpoint, write one reply map, close. Wired in through `ServerOptions.onOneShot`.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { CollectLimits } from '../call/collect.js';
import { cancelledError, LazyCallContext } from '../call/context.js';
import type { Endpoint } from '../call/endpoint.js';
import type { CallRunner } from '../call/runner.js';
import type { CallSink } from '../call/sink.js';
import { detachSmallBinaries, DETACH_ABOVE } from '../server/detach-binaries.js';
import type { ConnectionShare, MemoryBudget } from '../server/memory-budget.js';
import { CborItemReader } from './cbor-item.js';
import { errorInfo } from '../errors.js';
import { decodeOneShot, encodeOneShot, parseRequest, pythonErrorMessage, type OneShotRequest } from './wire.js';

export interface OneShotOptions {
  /** How long the whole request may take to arrive. @default 30000 */
  readTimeoutMs?: number;
  /** Largest request accepted, in bytes. @default the server's `maxFrameBytes` (16 MiB) */
  maxRequestBytes?: number;
}

/** What a one-shot exchange needs of the socket server that accepted it. */
export interface OneShotHost {
  readonly endpoint: Endpoint;
  /** True once the server takes no new calls. */
  readonly draining: boolean;
  /** Runs the call, counted with the server's others (what its drain waits for). */
  readonly runner: CallRunner;
  /** The request's bytes, and a stream's collected values, are held against it. */
  readonly budget: MemoryBudget;
  /** The default for `maxRequestBytes`. */
  readonly maxFrameBytes: number;
  readonly logger: Logger | undefined;
}

const DEFAULT_READ_TIMEOUT_MS = 30_000;
// After our reply, a peer that never closes its end is cut off after this long.
const LINGER_MS = 5_000;
// CBOR's self-describe tag (55799): decoders read it as a prefix of the item that follows, nothing more.
const SELF_DESCRIBE = Buffer.from([0xd9, 0xd9, 0xf7]);

let nextRequest = 1;

/** Serves one one-shot connection; `firstBytes` are what the server read while sniffing. */
export function serveOneShot(server: OneShotHost, socket: Socket, firstBytes: Buffer, options: OneShotOptions = {}): void {
  new OneShotExchange(server, socket, options).start(firstBytes);
}

class OneShotExchange implements CallSink {
  private readonly reader: CborItemReader;
  private readonly readTimer: NodeJS.Timeout;
  // Set when the call starts; a sink's context is read only from then on.
  private callContext: LazyCallContext | undefined;
  private requestRead = false;
  private finished = false;
  // The request's bytes count against the server's memory budget until the reply is sent.
  private readonly share: ConnectionShare;
  private reserved = 0;
  // A chunk waiting for the budget to make room (the socket is paused meanwhile).
  private held: Buffer | undefined;

  constructor(
    private readonly server: OneShotHost,
    private readonly socket: Socket,
    options: OneShotOptions,
  ) {
    this.reader = new CborItemReader(options.maxRequestBytes ?? server.maxFrameBytes);
    this.share = server.budget.open();
    // A client that half-closes after its request (as one should with the original)
    // must still get the reply: don't let its FIN end our side too.
    socket.allowHalfOpen = true;
    const readTimeoutMs = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    this.readTimer = setTimeout(() => this.fail(`no complete request within ${readTimeoutMs} ms`), readTimeoutMs);
    this.readTimer.unref();
  }

  start(firstBytes: Buffer): void {
    this.socket.on('data', this.onData);
    this.socket.on('end', this.onEnd);
    this.socket.on('close', this.onClose);
    this.onData(firstBytes);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.requestRead) return;
    if (!this.share.reserveFrame(chunk.length, this.granted)) {
      this.held = chunk;
      this.socket.pause();
      return;
    }
    this.reserved += chunk.length;
    this.take(chunk);
  };

  private readonly granted = (): void => {
    const chunk = this.held!;
    this.held = undefined;
    this.reserved += chunk.length;
    setImmediate(() => {
      if (this.finished) return;
      this.socket.resume();
      this.take(chunk);
    });
  };

  private take(chunk: Buffer): void {
    let item: Buffer | undefined;
    try {
      item = this.reader.push(chunk);
    } catch (error) {
      this.fail(errorText(error));
      return;
    }
    if (item) this.received(item);
  }

  private readonly onEnd = (): void => {
    // The peer is done sending; if the request isn't whole by now it never will be.
    if (!this.requestRead) {
      this.fail(`the request ended after ${this.reader.received} bytes, before its CBOR item was complete`);
      return;
    }
    // A FIN after the request: the peer half-closed and still reads, or it has gone (the original's
    // client never half-closes). Only a write tells them apart: to a peer that has gone it fails, the
    // socket closes, and the call's signal fires. What is written is the start of the reply's item
    // ('end' comes once, so it is written once).
    if (!this.finished) this.socket.write(SELF_DESCRIBE);
  };

  private readonly onClose = (): void => {
    clearTimeout(this.readTimer);
    // A call still running keeps its request's bytes counted until it answers.
    if (!this.callContext || this.finished) this.releaseBudget();
    const context = this.callContext;
    if (context && !this.finished) {
      context.abort(cancelledError('the connection to the caller closed'));
    }
  };

  private received(item: Buffer): void {
    this.requestRead = true;
    clearTimeout(this.readTimer);
    // Bytes after the item are ignored, as the original ignores them.
    this.socket.off('data', this.onData);
    let request: OneShotRequest;
    try {
      request = parseRequest(decodeOneShot(item));
      if (request.kind === 'call' && item.length > DETACH_ABOVE) {
        detachSmallBinaries(request.args);
        detachSmallBinaries(request.kwargs);
      }
    } catch (error) {
      this.reply({ error: errorText(error) });
      return;
    } finally {
      // The connection lives on until the caller closes or the linger ends: its request's bytes needn't.
      this.reader.discard();
    }
    if (request.kind === 'docstring') {
      let doc: string | null;
      try {
        doc = this.server.endpoint.doc();
      } catch (error) {
        this.reply({ error: errorText(error) });
        return;
      }
      this.reply({ result: doc });
      return;
    }
    this.call(request.args, request.kwargs);
  }

  private call(args: unknown[], kwargs: Record<string, unknown> | null): void {
    if (this.server.draining) {
      this.reply({ error: `'${this.server.endpoint.name}' is shutting down and takes no new calls` });
      return;
    }
    this.callContext = new LazyCallContext('py', nextRequest++, undefined);
    // A streaming function's values come back as one list: the original has no streams.
    this.server.runner.run(this, args, kwargs);
  }

  get context(): LazyCallContext {
    return this.callContext!;
  }

  get collecting(): CollectLimits {
    return {
      maxBytes: this.server.budget.limits.connectionBytes,
      charge: (bytes) => {
        if (!this.share.tryHold(bytes)) return false;
        this.reserved += bytes;
        return true;
      },
    };
  }

  result(value: unknown): void {
    this.reply({ result: value });
  }

  error(thrown: unknown): void {
    this.reply({ error: errorText(thrown) });
  }

  private fail(message: string): void {
    this.server.logger?.debug({ err: message }, 'one-shot request refused');
    this.reply({ error: message });
  }

  private reply(message: { result: unknown } | { error: string }): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.readTimer);
    this.releaseBudget();
    this.socket.off('data', this.onData);
    const socket = this.socket;
    if (socket.destroyed || socket.writableEnded) return;
    let bytes: Buffer;
    try {
      bytes = encodeOneShot(message);
    } catch (error) {
      // The original closes without a word here; a message is kinder.
      bytes = encodeOneShot({ error: `the result of '${this.server.endpoint.name}' could not be encoded: ${(error as Error).message}` });
    }
    // Unread request bytes are drained, not left to reset the connection before our reply is read.
    socket.resume();
    socket.end(bytes);
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  }

  private releaseBudget(): void {
    this.share.release(this.reserved);
    this.reserved = 0;
    this.held = undefined;
    this.share.close();
  }
}

/** The text of an {"error": ...} reply: Python's wording where we mimic it; never throws, always a string. */
function errorText(error: unknown): string {
  try {
    const text = pythonErrorMessage(error);
    if (typeof text === 'string') return text;
  } catch {
    // A getter of the thrown value threw: fall back to the reading that can't.
  }
  return errorInfo(error).message;
}
