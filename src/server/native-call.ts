/**
 * One call on a native connection, and the sink its answer goes to: a Result,
 * Items under the client's credit then End, or an Error, each only while the
 * caller still listens. The request's bytes stay held against the memory
 * budget until the call ends.
 */
import { LazyCallContext } from '../call/context.js';
import { roughSize, type CollectLimits } from '../call/collect.js';
import { deadlineAfter } from '../call/deadline.js';
import type { CallSink, StreamSink } from '../call/sink.js';
import { encodeMessage } from '../protocol/codec.js';
import type { EncodedMessage } from '../protocol/left-out-binaries.js';
import { Kind, type CallOptions } from '../protocol/messages.js';
import { ErrorCode, errorInfo, LIPCallbackExpiredError, LIPProtocolError, ownErrorInfo, type RemoteErrorInfo } from '../errors.js';
import type { SocketChannel } from '../transport/socket-channel.js';
import type { ConnectionHost } from './connection-host.js';
import type { ConnectionShare } from './memory-budget.js';
import { ArgumentChannels, type CallbackSlots } from './argument-channels.js';
import type { ChannelSpec } from '../protocol/messages.js';

/** Items of an iterable argument asked for ahead of the function (the server's defaultStreamCredit when set). */
const DEFAULT_ARGUMENT_WINDOW = 16;
/** Bytes of an iterable argument's items the server buffers before it stops granting credit. */
export const DEFAULT_MAX_ARGUMENT_BUFFER_BYTES = 1024 * 1024;

/** Most stream items a client may have outstanding; credit beyond it is ignored. */
export const MAX_STREAM_CREDIT = 65_536;
/** At least what a Result frame adds around its value (header, kind, id). */
const REPLY_HEADER_BYTES = 8;

/** What a call needs from the connection it came on (a NativeConnection). */
export interface CallConnection {
  readonly id: number;
  readonly channel: SocketChannel;
  readonly share: ConnectionShare;
  readonly server: ConnectionHost;
  /** The callback calls waiting on this connection, and their bound. */
  readonly callbackSlots: CallbackSlots;
  /** The largest frame a reply may be. */
  readonly maxFrameBytes: number;
  /** Forgets a call that ended; returns whether its caller still wants the answer. */
  ended(call: NativeCall): boolean;
  sendError(id: number, info: RemoteErrorInfo): void;
}

export class NativeCall implements CallSink, StreamSink {
  readonly context: LazyCallContext;
  readonly id: number;
  readonly traceCarrier: unknown;
  /** Bytes of the request's frame (and of a stream's collected values), held until the call ends. */
  bytes: number;
  /** For streams: items the client will still take. */
  private credit = 0;
  private wakeStream: (() => void) | undefined = undefined;
  private readonly connection: CallConnection;
  /** The call's callbacks and iterables, when its caller passed any. */
  channels: ArgumentChannels | undefined;
  /** Set when the connection forgets the call (it ended, or was cancelled and answered). */
  finished = false;

  /** Takes over the reservation of the request's frame (its arguments live as long as the call). */
  constructor(connection: CallConnection, id: number, options: CallOptions | null) {
    this.connection = connection;
    this.id = id;
    this.context = new LazyCallContext(connection.id, id, deadlineAfter(options?.timeoutMs));
    this.traceCarrier = options?.trace;
    this.bytes = connection.channel.claimFrame();
  }

  /** A stream collected for one reply: as much as the connection's budget, charged to the call as it grows. */
  get collecting(): CollectLimits {
    const share = this.connection.share;
    return {
      maxBytes: this.connection.server.budget.limits.connectionBytes,
      charge: (bytes) => {
        if (!share.tryHold(bytes)) return false;
        this.bytes += bytes;
        return true;
      },
    };
  }

  /** Puts the caller's callbacks and iterables in their slots; they end when the call ends or is aborted. */
  openChannels(specs: readonly ChannelSpec[], args: unknown[], kwargs: Record<string, unknown> | null): void {
    const { channel, share, server, callbackSlots } = this.connection;
    const channels = new ArgumentChannels(
      this.id,
      {
        send: (message) => channel.send(message),
        hold: (bytes) => share.tryHold(bytes),
        release: (bytes) => channel.release(bytes),
      },
      callbackSlots,
      {
        window: server.options.defaultStreamCredit ?? DEFAULT_ARGUMENT_WINDOW,
        maxBufferBytes: server.options.maxArgumentBufferBytes ?? DEFAULT_MAX_ARGUMENT_BUFFER_BYTES,
      },
    );
    channels.place(specs, args, kwargs);
    this.channels = channels;
    // Read here, the signal also arms the call's deadline: a callback that never answers ends with it.
    const signal = this.context.signal;
    signal.addEventListener('abort', () => channels.close(this.context.reason ?? new LIPCallbackExpiredError('the call was cancelled')), { once: true });
  }

  get open(): boolean {
    return !this.connection.channel.isClosed;
  }

  /** The client took items and grants `n` more (up to MAX_STREAM_CREDIT outstanding). */
  grant(n: number): void {
    this.credit = Math.min(this.credit + n, MAX_STREAM_CREDIT);
    this.wake();
  }

  /** The caller went away or cancelled: the function's signal fires, a waiting stream stops. */
  cancel(reason: Error): void {
    this.context.abort(reason);
    this.wake();
  }

  room(): PromiseLike<unknown> | undefined {
    if (this.credit <= 0) return new Promise<void>((resolve) => (this.wakeStream = resolve));
    // Credit is the client's word, not room: the socket must also have taken the items already sent.
    const { channel, share } = this.connection;
    // The socket's own 'drain', not the budget's: the backlog may have been sampled empty (another write, after the
    // kernel took everything) while the socket still owes its 'drain', and then the budget would never see room made.
    if (channel.congested) return channel.drained();
    if (!share.mayStream()) return share.whenRoom();
    return undefined;
  }

  item(value: unknown): void {
    const body = encodeMessage([Kind.Item, this.id, value]);
    if (body.length > this.connection.maxFrameBytes) throw this.tooLarge('an item', body.length);
    this.credit--;
    this.connection.channel.sendEncoded(body);
  }

  end(): void {
    if (this.connection.ended(this)) this.connection.channel.send([Kind.End, this.id]);
  }

  result(value: unknown): void {
    if (!this.connection.ended(this)) return;
    const { share, server } = this.connection;
    // Not even encoded when it can't fit (a cheap lower bound of its size says so).
    if (!share.mayWrite(roughSize(value) + REPLY_HEADER_BYTES)) {
      this.refuseReply('a reply');
      return;
    }
    let body: EncodedMessage;
    try {
      body = encodeMessage([Kind.Result, this.id, value]);
    } catch (encodeError) {
      const why = `the result of '${server.endpoint.name}' could not be sent: ${(encodeError as Error).message}`;
      this.connection.sendError(this.id, ownErrorInfo(new LIPProtocolError(why)));
      return;
    }
    if (body.length > this.connection.maxFrameBytes) {
      this.connection.sendError(this.id, ownErrorInfo(this.tooLarge('the result', body.length)));
      return;
    }
    if (!share.mayWrite(body.length)) {
      this.refuseReply(`a reply of ${body.length} bytes`);
      return;
    }
    this.connection.channel.sendEncoded(body);
  }

  /** Answers with what the function threw (even `undefined`: it still failed). */
  error(thrown: unknown): void {
    if (this.connection.ended(this)) this.connection.sendError(this.id, errorInfo(thrown, this.connection.server.errorDetail));
  }

  /** A reply that would be a frame over the limit: the caller (and a peer written to PROTOCOL.md) would refuse it. */
  private tooLarge(what: string, bytes: number): LIPProtocolError {
    const { server, maxFrameBytes } = this.connection;
    return new LIPProtocolError(
      `${what} of '${server.endpoint.name}' is ${bytes} bytes encoded, over the frame limit of ${maxFrameBytes} bytes (maxFrameBytes)`,
      {
        code: ErrorCode.FrameTooLarge,
      },
    );
  }

  private wake(): void {
    const wake = this.wakeStream;
    this.wakeStream = undefined;
    wake?.();
  }

  /** The call ran, but its answer can't be held: say so (typed), rather than queue it without bound. */
  private refuseReply(what: string): void {
    const backlog = this.connection.share.backlog;
    const why = backlog > 0 ? `${backlog} bytes of earlier replies wait for this client to read them` : "the server's memory budget is spent";
    this.connection.sendError(this.id, this.connection.server.busyInfo(`could not hold ${what}: ${why}`));
  }
}
