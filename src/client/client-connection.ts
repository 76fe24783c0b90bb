/**
 * One client connection to one function's lipmodule socket: connects (trusted), sends requests,
 * dispatches the server's frames to the pending calls (pending-calls.ts), and settles every one of
 * them when the connection goes away.
 */
import type { Socket } from 'node:net';
import { fromRemoteErrorInfo, LIPArgumentError, LIPBusyError, LIPConnectionError, LIPNotLipServerError, LIPProtocolError, type LIPError } from '../errors.js';
import type { Envelope } from '../protocol/codec.js';
import { DEFAULT_MAX_FRAME_BYTES, PREAMBLE } from '../protocol/frame.js';
import { Capability, helloHas, Kind, parseServerMessage, type CallOptions, type ControlVerb, type HelloInfo } from '../protocol/messages.js';
import type { TraceCarrier } from '../telemetry/propagation.js';
import { SocketChannel } from '../transport/socket-channel.js';
import { OWN_TRUST, type SocketTrust } from '../transport/socket-trust.js';
import { connectTrusted } from '../transport/trusted-connect.js';
import { callAborted } from './call-errors.js';
import type { CallSettings, FunctionConnection, StreamRequest } from './function-connection.js';
import { findChannels, type FoundChannels } from './argument-finder.js';
import { CallerChannels, type CallerSlots, type CallerWire } from './caller-channels.js';
import { failCall, PendingCalls, type PendingCall } from './pending-calls.js';
import { isDrainRefusal } from './restart-wait.js';
import { replyStream } from './reply-stream.js';
import { StreamReader } from './stream-reader.js';

export interface ClientConnectionOptions {
  connectTimeoutMs: number;
  maxFrameBytes?: number | undefined;
  trust?: SocketTrust;
  /** Callbacks of this connection's calls running at once; more are answered ERR_LIP_BUSY. @default 256 */
  maxCallbackCalls?: number | undefined;
  /** The connection the kind probe opened (its socket file's owner already checked), to go on with. */
  probed?: { socket: Socket; head: Buffer } | undefined;
}

/** Callbacks of one connection's calls running at once, by default. */
export const DEFAULT_MAX_CALLBACK_CALLS = 256;

/** A stream's entry settles through its reader; its promise has no one waiting on it. */
const ignore = (): void => {};

export class ClientConnection implements FunctionConnection {
  readonly kind = 'lipmodule';
  readonly path: string;
  readonly name: string;
  hello: HelloInfo | undefined;
  private channel: SocketChannel | undefined;
  private readonly connecting: Promise<void>;
  private readonly calls = new PendingCalls((id, error) => this.cancel(id, error));
  private closed = false;
  /** Why the connection ended, when the server or a framing error ended it. */
  private closeReason: Error | undefined;
  private readonly maxFrameBytes: number | undefined;
  private readonly callbackSlots: CallerSlots;
  // Settles when the server's Hello came (or the connection ended first): calls with callbacks wait for it.
  private readonly greeted: Promise<void>;
  private greet: () => void = () => {};

  constructor(name: string, path: string, options: ClientConnectionOptions) {
    this.name = name;
    // Arguments of running callbacks: as much as a server holds for one connection by default.
    const maxBytes = 2 * (options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
    this.callbackSlots = { running: 0, max: options.maxCallbackCalls ?? DEFAULT_MAX_CALLBACK_CALLS, bytes: 0, maxBytes };
    this.greeted = new Promise((resolve) => (this.greet = resolve));
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
        this.greet();
        throw error;
      },
    );
    // A failed connect is reported to whoever calls; never as an unhandled rejection.
    this.connecting.catch(() => {});
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves once connected (and rejects with the connect error). */
  ready(): Promise<void> {
    return this.connecting;
  }

  call(fn: string, args: unknown[], kwargs: Record<string, unknown> | null, settings: CallSettings): Promise<unknown> {
    const refused = this.refusal(fn, settings);
    if (refused) return Promise.reject(refused);
    const found = findChannels(args, kwargs);
    return new Promise((resolve, reject) => {
      const id = this.calls.newId();
      const call: PendingCall = { fn, settings, resolve, reject, stream: undefined, deadline: undefined, onAbort: undefined };
      const timeoutMs = this.calls.add(id, call);
      if (found) {
        this.sendWithChannels(id, call, found, timeoutMs === undefined ? {} : { timeoutMs });
        return;
      }
      const options = settings.trace ? tracedOptions(timeoutMs, settings.trace) : timeoutMs ? this.callOptions(timeoutMs) : null;
      this.send(id, [Kind.Call, id, fn, args, kwargs, options]);
    });
  }

  /**
   * A call passing callbacks or iterables: sent once the server's Hello says it takes them (an older
   * server would refuse the call's nulls, or run it without them), with their slots named in `channels`.
   */
  private sendWithChannels(id: number, call: PendingCall, found: FoundChannels, options: CallOptions): void {
    if (call.settings.trace) options.trace = call.settings.trace;
    options.channels = found.specs;
    call.channels = new CallerChannels(id, found.values, this.callerWire, this.callbackSlots);
    const message = [Kind.Call, id, call.fn, found.args, found.kwargs, options];
    if (this.hello !== undefined) this.sendIfCapable(id, message);
    else this.greeted.then(() => this.sendIfCapable(id, message));
  }

  private sendIfCapable(id: number, message: unknown[]): void {
    const call = this.calls.get(id);
    if (!call) return;
    if (this.hello !== undefined && !helloHas(this.hello, Capability.Channels)) {
      this.calls.take(id);
      const lib = this.hello.lib ?? 'an older server';
      failCall(call, new LIPArgumentError(`'${call.fn}': its server (${lib}) does not take callbacks or iterables as arguments; upgrade it`));
      return;
    }
    this.send(id, message);
  }

  // What a call's callbacks and iterables need of this connection.
  private readonly callerWire: CallerWire = ((connection: ClientConnection) => ({
    send: (message: unknown[]) => connection.channel?.send(message),
    get congested(): boolean {
      return connection.channel?.congested ?? false;
    },
    drained: () => connection.channel?.drained() ?? Promise.resolve(),
  }))(this);

  // The same deadline call after call: reuse its options object rather than allocate one per call.
  private lastOptions: { timeoutMs: number } | undefined;
  private callOptions(timeoutMs: number): { timeoutMs: number } {
    if (this.lastOptions?.timeoutMs !== timeoutMs) this.lastOptions = Object.freeze({ timeoutMs });
    return this.lastOptions;
  }

  control(verb: ControlVerb, settings: CallSettings): Promise<unknown> {
    const refused = this.refusal(this.name, settings);
    if (refused) return Promise.reject(refused);
    return new Promise((resolve, reject) => {
      const id = this.calls.newId();
      this.calls.add(id, { fn: this.name, settings, resolve, reject, stream: undefined, deadline: undefined, onAbort: undefined });
      this.send(id, [Kind.Control, id, verb]);
    });
  }

  /** Sends a stream request; its items are read, under credit, from the returned reader. */
  stream({ fn, args, kwargs, settings, window }: StreamRequest): AsyncIterator<unknown> {
    const refused = this.refusal(fn, settings);
    if (refused) return replyStream(Promise.reject(refused));
    const id = this.calls.newId();
    const reader = new StreamReader(fn, {
      window,
      grantCredit: (n) => {
        if (this.calls.get(id)) this.channel?.send([Kind.Credit, id, n]);
      },
      cancel: (error) => this.cancel(id, error),
    });
    const call: PendingCall = { fn, settings, resolve: ignore, reject: ignore, stream: reader, deadline: undefined, onAbort: undefined };
    const timeoutMs = this.calls.add(id, call);
    const options: CallOptions = { stream: true, credit: window };
    if (timeoutMs) options.timeoutMs = timeoutMs;
    const found = findChannels(args, kwargs);
    if (found) {
      this.sendWithChannels(id, call, found, options);
      return reader;
    }
    if (settings.trace) options.trace = settings.trace;
    this.send(id, [Kind.Call, id, fn, args, kwargs, options]);
    return reader;
  }

  /** Stops a call the caller no longer wants: fails it here and tells the server. */
  private cancel(id: number, error: Error): void {
    const call = this.calls.take(id);
    if (!call) return;
    this.channel?.send([Kind.Cancel, id]);
    failCall(call, error);
  }

  /** Waits until no call is pending, then ends the connection. */
  async close(): Promise<void> {
    await this.calls.idle();
    this.closed = true;
    this.calls.stopTimer();
    this.channel?.close();
    await this.connecting.catch(() => {});
    this.channel?.close();
  }

  /** Takes no new calls and closes once those pending are answered. */
  private retire(): void {
    if (this.closed) return;
    this.closed = true;
    void this.calls.idle().then(() => {
      this.calls.stopTimer();
      this.channel?.close();
    });
  }

  /** Ends the connection now; pending calls reject. */
  destroy(reason = 'the client was closed'): void {
    this.closed = true;
    if (this.channel) this.channel.destroy();
    this.failAll(new LIPConnectionError(`'${this.name}': ${reason}`));
  }

  /** Why a new request can't go out: its caller already aborted it, or the connection is closed. */
  private refusal(fn: string, settings: CallSettings): Error | undefined {
    if (settings.signal?.aborted) return callAborted(fn, settings.signal);
    if (this.closed) return this.closeReason ?? new LIPConnectionError(`'${fn}': the connection is closed`);
    return undefined;
  }

  /** Sends the request of pending call `id`, once connected; a failed connect fails the call. */
  private send(id: number, message: unknown[]): void {
    if (this.channel) {
      this.sendOrFail(id, message);
      return;
    }
    this.connecting.then(
      () => this.sendOrFail(id, message),
      (error: Error) => {
        const waiting = this.calls.take(id);
        if (waiting) failCall(waiting, error);
      },
    );
  }

  private sendOrFail(id: number, message: unknown[]): void {
    const call = this.calls.get(id);
    if (!call || !this.channel) return;
    try {
      this.channel.send(message);
    } catch (error) {
      // Arguments CBOR can't carry: this call fails, the connection is fine.
      this.calls.take(id);
      failCall(call, error as Error);
    }
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
    channel.onProtocolError = (error) => this.endWith(this.beforeHello(error));
    channel.onClose = (closeError) => {
      this.closed = true;
      this.greet();
      // The reason we ended the connection for, when we did (it may say more than the channel's error).
      const error = this.closeReason instanceof LIPProtocolError ? this.closeReason : closeError;
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
      this.channel?.destroy(this.beforeHello(error as Error));
      return;
    }
    // A lipmodule server says Hello first (or refuses with an Error frame): anything else is another program.
    if (this.hello === undefined && message[0] !== Kind.Hello && message[0] !== Kind.Error) {
      this.channel?.destroy(this.beforeHello(new LIPProtocolError(`the first message was not a Hello (kind ${message[0]})`)));
      return;
    }
    switch (message[0]) {
      case Kind.Hello:
        this.hello = message[1];
        this.greet();
        return;
      // A server can reach a call's callbacks and iterables only while the call is pending here.
      case Kind.CallbackCall:
        this.calls.get(message[1])?.channels?.callback(message[2], message[3], message[4], this.channel?.frameLength ?? 0);
        return;
      case Kind.ArgCredit:
        this.calls.get(message[1])?.channels?.credit(message[2], message[3]);
        return;
      case Kind.ArgStop:
        this.calls.get(message[1])?.channels?.stop(message[2]);
        return;
      case Kind.Result: {
        const entry = this.calls.take(message[1]);
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
          // A refusal (maxConnections: ERR_LIP_BUSY) or a drained server's goodbye keeps its class; anything else concerns the protocol.
          const kept = error instanceof LIPProtocolError || error instanceof LIPBusyError || isDrainRefusal(error);
          this.endWith(kept ? error : new LIPProtocolError(error.message, { cause: error }));
          this.failAll(this.closeReason!);
          this.channel?.close();
          return;
        }
        const entry = this.calls.take(id);
        if (!entry) return;
        const error = fromRemoteErrorInfo(entry.fn, info);
        // The server drains: no new call goes here (the client opens a new connection), those running finish.
        if (isDrainRefusal(error)) this.retire();
        failCall(entry, error);
        return;
      }
      case Kind.Item: {
        this.calls.get(message[1])?.stream?.item(message[2]);
        return;
      }
      case Kind.End: {
        const entry = this.calls.take(message[1]);
        if (!entry) return;
        entry.stream?.end();
        entry.resolve(undefined);
        return;
      }
    }
  }

  /** An answer whose values can't be decoded fails only its own call (a stream is cancelled on the server). */
  private receiveUndecodable({ kind, id }: Envelope, error: Error): void {
    const entry = this.calls.get(id);
    if (id === 0 || !entry) {
      if (id === 0) this.channel?.destroy(this.beforeHello(error));
      return;
    }
    const failure = new LIPProtocolError(`'${entry.fn}': ${kind === Kind.Item ? 'a stream item' : 'the answer'} could not be decoded: ${error.message}`, {
      cause: error,
    });
    // A stream's producer (or the function calling back) is still running on the server: stop it. Any other answer was the last.
    if (kind === Kind.Item || kind === Kind.CallbackCall) {
      this.cancel(id, failure);
      return;
    }
    this.calls.take(id);
    failCall(entry, failure);
  }

  /** A protocol failure before the server's Hello: what answers there is not a LIP server. */
  private beforeHello(error: Error): Error {
    if (this.hello !== undefined || error instanceof LIPNotLipServerError) return error;
    return new LIPNotLipServerError(this.name, { cause: error, detail: `${this.path}: ${error.message}` });
  }

  /** The connection is ending for `reason`: calls still to be made here fail with it, and the client takes a new connection. */
  private endWith(reason: Error): void {
    this.closed = true;
    this.closeReason ??= reason;
  }

  private failAll(error: Error): void {
    for (const call of this.calls.takeAll()) failCall(call, error);
  }
}

/** A traced call's options: its deadline and its trace context (a fresh span each call, so not reused). */
function tracedOptions(timeoutMs: number | undefined, trace: TraceCarrier): CallOptions {
  return timeoutMs ? { timeoutMs, trace } : { trace };
}
