/**
 * One client connection to one function's socket: many calls in flight,
 * replies matched by request id, one deadline timer for all of them, every
 * pending promise settled when the connection goes away.
 */
import type { Socket } from 'node:net';
import {
  fromRemoteErrorInfo,
  LIPAbortError,
  LIPBusyError,
  LIPConnectionError,
  LIPProtocolError,
  LIPTimeoutError,
  type LIPError,
} from '../errors.js';
import type { Envelope } from '../protocol/codec.js';
import { DEFAULT_MAX_FRAME_BYTES, PREAMBLE } from '../protocol/frame.js';
import { Kind, parseServerMessage, type CallOptions, type ControlVerb, type HelloInfo } from '../protocol/messages.js';
import { SocketChannel } from '../transport/socket-channel.js';
import { OWN_TRUST, type SocketTrust } from '../transport/socket-trust.js';
import { connectTrusted } from '../transport/trusted-connect.js';

export interface CallSettings {
  /** Milliseconds to wait for the answer; 0 or Infinity waits for ever. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /**
   * When the call's time started before this connection got it (its first contact went first):
   * the Date.now() at which the deadline passes. `timeoutMs` stays the deadline the caller gave.
   */
  deadline?: number | undefined;
}

interface Pending {
  fn: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  deadline: number;
  /** The deadline as the caller gave it, for the timeout's message. */
  timeoutMs: number | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** Set for streams: where items go. */
  stream: StreamSink | undefined;
}

/** Receives a stream's items; the connection calls these as frames arrive. */
export interface StreamSink {
  item(value: unknown): void;
  end(): void;
  fail(error: Error): void;
}

const MAX_ID = 0xffffffff;

/**
 * What LIPClient needs of a way to reach one function: a lipmodule socket
 * (ClientConnection), the Python original (OneShotConnection) or NATS (NatsRoute).
 */
export interface FunctionConnection {
  /** The server's Hello; undefined for transports that have none. */
  readonly hello: HelloInfo | undefined;
  readonly isClosed: boolean;
  ready(): Promise<void>;
  call(fn: string, args: unknown[], kwargs: Record<string, unknown> | null, settings: CallSettings): Promise<unknown>;
  control(verb: ControlVerb, settings: CallSettings): Promise<unknown>;
  /** Opens a stream; items go to `sink`. `id` resolves once sent (0: nothing to grant credit to or cancel). */
  openStream(
    fn: string,
    args: unknown[],
    kwargs: Record<string, unknown> | null,
    settings: CallSettings,
    sink: StreamSink,
    credit: number,
  ): { id: Promise<number>; done: Promise<unknown> };
  grantCredit(id: number, n: number): void;
  cancel(id: number, error: Error): void;
  close(): Promise<void>;
  destroy(reason?: string): void;
}

export class ClientConnection implements FunctionConnection {
  readonly path: string;
  readonly name: string;
  hello: HelloInfo | undefined;
  private channel: SocketChannel | undefined;
  private readonly connecting: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** Why the connection ended, when the server or a framing error ended it. */
  private closeReason: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private readonly maxFrameBytes: number | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(
    name: string,
    path: string,
    options: {
      connectTimeoutMs: number;
      maxFrameBytes?: number | undefined;
      trust?: SocketTrust;
      /** The connection the kind probe opened (its socket file's owner already checked), to go on with. */
      probed?: { socket: Socket; head: Buffer } | undefined;
    },
  ) {
    this.name = name;
    this.path = path;
    this.maxFrameBytes = options.maxFrameBytes;
    const probed = options.probed;
    // The preamble is written only once the socket file is known to be a trusted user's.
    const connected = probed
      ? Promise.resolve(probed.socket)
      : connectTrusted(path, { timeoutMs: options.connectTimeoutMs, trust: options.trust ?? OWN_TRUST });
    this.connecting = connected.then(
      (socket) => this.attach(socket, probed?.head),
      (error: LIPError) => {
        this.closed = true;
        throw error;
      },
    );
    // A failed connect is reported to whoever calls; never as an unhandled rejection.
    this.connecting.catch(() => {});
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Resolves once connected (and rejects with the connect error). */
  ready(): Promise<void> {
    return this.connecting;
  }

  call(fn: string, args: unknown[], kwargs: Record<string, unknown> | null, settings: CallSettings): Promise<unknown> {
    return this.request(fn, settings, undefined, (id, timeoutMs) => [Kind.Call, id, fn, args, kwargs, timeoutMs ? this.callOptions(timeoutMs) : null]);
  }

  // The same deadline call after call: reuse its options object rather than allocate one per call.
  private lastOptions: { timeoutMs: number } | undefined;
  private callOptions(timeoutMs: number): { timeoutMs: number } {
    if (this.lastOptions?.timeoutMs !== timeoutMs) this.lastOptions = Object.freeze({ timeoutMs });
    return this.lastOptions;
  }

  control(verb: ControlVerb, settings: CallSettings): Promise<unknown> {
    return this.request(this.name, settings, undefined, (id) => [Kind.Control, id, verb]);
  }

  /** Opens a stream; items go to `sink`. Returns the request id (for credit and cancel) once sent. */
  openStream(
    fn: string,
    args: unknown[],
    kwargs: Record<string, unknown> | null,
    settings: CallSettings,
    sink: StreamSink,
    credit: number,
  ): { id: Promise<number>; done: Promise<unknown> } {
    let resolveId!: (id: number) => void;
    const idPromise = new Promise<number>((resolve) => (resolveId = resolve));
    const done = this.request(fn, settings, sink, (id, timeoutMs) => {
      resolveId(id);
      const options: CallOptions = { stream: true, credit };
      if (timeoutMs) options.timeoutMs = timeoutMs;
      return [Kind.Call, id, fn, args, kwargs, options];
    });
    return { id: idPromise, done };
  }

  grantCredit(id: number, n: number): void {
    if (this.pending.has(id)) this.channel?.send([Kind.Credit, id, n]);
  }

  /** Stops a call the caller no longer wants: rejects it here and tells the server. */
  cancel(id: number, error: Error): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.settle(id, entry);
    this.channel?.send([Kind.Cancel, id]);
    entry.stream?.fail(error);
    entry.reject(error);
  }

  /** Waits until no call is pending, then ends the connection. */
  async close(): Promise<void> {
    if (this.pending.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.closed = true;
    this.stopTimer();
    this.channel?.close();
    await this.connecting.catch(() => {});
    this.channel?.close();
  }

  /** Ends the connection now; pending calls reject. */
  destroy(reason = 'the client was closed'): void {
    this.closed = true;
    if (this.channel) this.channel.destroy();
    this.failAll(new LIPConnectionError(`'${this.name}': ${reason}`));
  }

  private request(
    fn: string,
    settings: CallSettings,
    stream: StreamSink | undefined,
    build: (id: number, timeoutMs: number | undefined) => unknown[],
  ): Promise<unknown> {
    if (settings.signal?.aborted) {
      return Promise.reject(abortError(fn, settings.signal));
    }
    if (this.closed) {
      return Promise.reject(this.closeReason ?? new LIPConnectionError(`'${fn}': the connection is closed`));
    }
    return new Promise((resolve, reject) => {
      const id = this.takeId();
      const timeoutMs = Number.isFinite(settings.timeoutMs) && settings.timeoutMs > 0 ? settings.timeoutMs : undefined;
      const entry: Pending = {
        fn,
        resolve,
        reject,
        deadline: timeoutMs ? (settings.deadline ?? Date.now() + timeoutMs) : Infinity,
        timeoutMs,
        signal: settings.signal,
        onAbort: undefined,
        stream,
      };
      if (settings.signal) {
        const signal = settings.signal;
        entry.onAbort = () => this.cancel(id, abortError(fn, signal));
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.pending.set(id, entry);
      if (entry.deadline !== Infinity) this.armTimer(entry.deadline);
      // The server's deadline is what is left of the caller's.
      const message = build(id, timeoutMs && settings.deadline !== undefined ? Math.max(1, entry.deadline - Date.now()) : timeoutMs);
      if (this.channel) this.sendOrFail(id, message);
      else {
        this.connecting.then(
          () => this.sendOrFail(id, message),
          (error: Error) => {
            const waiting = this.pending.get(id);
            if (!waiting) return;
            this.settle(id, waiting);
            waiting.stream?.fail(error);
            waiting.reject(error);
          },
        );
      }
    });
  }

  private sendOrFail(id: number, message: unknown[]): void {
    const entry = this.pending.get(id);
    if (!entry || !this.channel) return;
    try {
      this.channel.send(message);
    } catch (error) {
      // Arguments CBOR can't carry: this call fails, the connection is fine.
      this.settle(id, entry);
      entry.reject(error as Error);
    }
  }

  private takeId(): number {
    // Skip ids still in use after wrapping around 2^32.
    do {
      const id = this.nextId;
      this.nextId = id >= MAX_ID ? 1 : id + 1;
      if (!this.pending.has(id)) return id;
    } while (true);
  }

  /** `head`: the connection was opened by the kind probe, whose preamble is sent and whose first answer this is. */
  private attach(socket: Socket, head?: Buffer): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    // Our limit is the server's default too: a request over it fails alone instead of ending the connection.
    const channel = new SocketChannel(socket, { maxFrameBytes: this.maxFrameBytes, maxSendBytes: this.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES });
    this.channel = channel;
    channel.onMessage = (message) => this.receive(message);
    channel.onUndecodable = (envelope, error) => this.receiveUndecodable(envelope, error);
    // The channel ends the connection after a framing error: later calls take a new one.
    channel.onProtocolError = (error) => this.endWith(error);
    channel.onClose = (error) => {
      this.closed = true;
      const why = error ? `: ${error.message}` : '';
      this.failAll(
        error instanceof LIPProtocolError
          ? error
          : new LIPConnectionError(`'${this.name}': the connection closed before the answer came (${this.path})${why}`, { cause: error }),
      );
    };
    if (!head) return void socket.write(PREAMBLE);
    channel.feed(head);
    socket.resume();
  }

  private receive(raw: unknown): void {
    let message;
    try {
      message = parseServerMessage(raw);
    } catch (error) {
      this.channel?.destroy(error as Error);
      return;
    }
    switch (message[0]) {
      case Kind.Hello:
        this.hello = message[1];
        return;
      case Kind.Result: {
        const entry = this.take(message[1]);
        if (!entry) return;
        if (entry.stream) {
          // A plain value answered a stream request: it is the only item.
          entry.stream.item(message[2]);
          entry.stream.end();
        }
        entry.resolve(message[2]);
        return;
      }
      case Kind.Error: {
        const [, id, info] = message;
        if (id === 0) {
          // The server ends this connection: from now on calls go to a new one (none may write after our end).
          const error = fromRemoteErrorInfo(this.name, info);
          // A refusal (maxConnections: ERR_LIP_BUSY) keeps its class; anything else concerns the protocol.
          this.endWith(error instanceof LIPProtocolError || error instanceof LIPBusyError ? error : new LIPProtocolError(error.message, { cause: error }));
          this.failAll(this.closeReason!);
          this.channel?.close();
          return;
        }
        const entry = this.take(id);
        if (!entry) return;
        const error = fromRemoteErrorInfo(entry.fn, info);
        entry.stream?.fail(error);
        entry.reject(error);
        return;
      }
      case Kind.Item: {
        const entry = this.pending.get(message[1]);
        entry?.stream?.item(message[2]);
        return;
      }
      case Kind.End: {
        const entry = this.take(message[1]);
        if (!entry) return;
        entry.stream?.end();
        entry.resolve(undefined);
        return;
      }
    }
  }

  /** An answer whose values can't be decoded fails only its own call (a stream is cancelled on the server). */
  private receiveUndecodable({ kind, id }: Envelope, error: Error): void {
    const entry = this.pending.get(id);
    if (id === 0 || !entry) {
      if (id === 0) this.channel?.destroy(error);
      return;
    }
    const failure = new LIPProtocolError(`'${entry.fn}': ${kind === Kind.Item ? 'a stream item' : 'the answer'} could not be decoded: ${error.message}`, { cause: error });
    // A stream's producer is still running on the server: stop it. Any other answer was the last.
    if (kind === Kind.Item) {
      this.cancel(id, failure);
      return;
    }
    this.settle(id, entry);
    entry.stream?.fail(failure);
    entry.reject(failure);
  }

  /** The connection is ending for `reason`: calls still to be made here fail with it, and the client takes a new connection. */
  private endWith(reason: Error): void {
    this.closed = true;
    this.closeReason ??= reason;
  }

  private take(id: number): Pending | undefined {
    const entry = this.pending.get(id);
    if (entry) this.settle(id, entry);
    return entry;
  }

  /** Forgets a call: it is answered, failed or cancelled. */
  private settle(id: number, entry: Pending): void {
    this.pending.delete(id);
    if (entry.onAbort) entry.signal!.removeEventListener('abort', entry.onAbort);
    if (this.pending.size === 0) {
      // The deadline timer stays armed while the connection is open (it is unref'd and
      // finds nothing to expire): re-arming it for every sequential call cost ~1 µs each.
      if (this.idleWaiters.length > 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const wake of waiters) wake();
      }
    }
  }

  private failAll(error: Error): void {
    const entries = [...this.pending.entries()];
    for (const [id, entry] of entries) {
      this.settle(id, entry);
      const failure = error;
      entry.stream?.fail(failure);
      entry.reject(failure);
    }
    this.stopTimer();
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  // One timer per connection, set for the earliest deadline: a timer per call
  // would cost more than the call itself when many are in flight.
  private armTimer(deadline: number): void {
    if (this.timer && this.timerAt <= deadline) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = deadline;
    this.timer = setTimeout(this.expire, Math.max(0, deadline - Date.now()));
    this.timer.unref();
  }

  private readonly expire = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [id, entry] of [...this.pending.entries()]) {
      if (entry.deadline <= now) {
        this.cancel(id, new LIPTimeoutError(`'${entry.fn}' did not answer within its deadline of ${entry.timeoutMs} ms`));
      } else if (entry.deadline < next) next = entry.deadline;
    }
    if (next !== Infinity && this.pending.size > 0) this.armTimer(next);
  };
}

/** The error for a call whose caller's signal aborted. */
export function abortError(fn: string, signal: AbortSignal): LIPAbortError {
  const reason = signal.reason instanceof Error ? `: ${signal.reason.message}` : '';
  return new LIPAbortError(`'${fn}': the call was aborted${reason}`, { cause: signal.reason });
}

/**
 * For transports with one reply per request (the Python original, NATS): the
 * reply's values go to the stream's reader. Id 0: no credit to grant and
 * nothing to cancel on the other side.
 */
export function replyAsStream(reply: Promise<unknown>, sink: StreamSink, toItems: (value: unknown) => unknown[]): { id: Promise<number>; done: Promise<unknown> } {
  const done = reply.then(
    (value) => {
      for (const item of toItems(value)) sink.item(item);
      sink.end();
      return undefined;
    },
    (error: Error) => {
      sink.fail(error);
      throw error;
    },
  );
  return { id: Promise.resolve(0), done };
}
