/**
 * One accepted connection: its first bytes say which protocol it speaks (a
 * Python one-shot request is handed off); a native client then gets the message
 * loop: calls run by the server's CallRunner, cancels, stream credit, built-in
 * verbs, and the per-connection limits and idle clock.
 */
import type { Socket } from 'node:net';
import { cancelledError } from '../call/context.js';
import { answerControl } from '../call/control.js';
import {
  ErrorCode,
  errorInfo,
  LIPBusyError,
  LIPCallbackExpiredError,
  LIPConnectionError,
  LIPNotFoundError,
  LIPProtocolError,
  ownErrorInfo,
  ownFault,
  type RemoteErrorInfo,
} from '../errors.js';
import { encodeErrorMessage } from '../call/error-message.js';
import { DEFAULT_MAX_FRAME_BYTES, PREAMBLE, PROBE_PREAMBLE, PROTOCOL_VERSION } from '../protocol/frame.js';
import { parseChannelSpecs } from '../protocol/channel-slots.js';
import { isRequestId, Kind, parseClientMessage, SERVER_CAPABILITIES, type CallMessage, type ChannelSpec, type ClientMessage } from '../protocol/messages.js';
import { SocketChannel } from '../transport/socket-channel.js';
import { LIB_ID } from '../version.js';
import { detachSmallBinaries, DETACH_ABOVE } from './detach-binaries.js';
import { sniffProtocol, type Protocol } from './first-bytes.js';
import type { ConnectionShare } from './memory-budget.js';
import { MAX_STREAM_CREDIT, NativeCall, type CallConnection } from './native-call.js';
import type { ConnectionHost } from './connection-host.js';
import type { CallbackSlots } from './argument-channels.js';

const DEFAULT_STREAM_CREDIT = 16;
export const DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION = 10_000;
export const DEFAULT_MAX_ARGUMENT_CHANNELS = 16;
export const DEFAULT_MAX_CALLBACK_CALLS = 256;
/** How long a connection we closed may take to go away before it is cut. */
export const CLOSE_GRACE_MS = 1000;

export class NativeConnection implements CallConnection {
  readonly server: ConnectionHost;
  readonly id: number;
  private readonly socket: Socket;
  // Set once the first bytes said "native" (or "probe"); calls only arrive after.
  private channelOrUndefined: SocketChannel | undefined;
  private shareOrUndefined: ConnectionShare | undefined;
  private readonly calls = new Map<number, NativeCall>();
  // Calls started here and not finished (a cancelled call still counts until it returns).
  private running = 0;
  // For the idle sweep: a whole message arrived or a call ended since the last sweep.
  private touched = false;
  private lastActive = Date.now();
  // Given to the one-shot handler, which keeps its own read timeout and may run a long call.
  private handedOff = false;
  readonly callbackSlots: CallbackSlots;

  constructor(server: ConnectionHost, socket: Socket, id: number) {
    this.server = server;
    this.callbackSlots = { running: 0, max: server.options.maxCallbackCalls ?? DEFAULT_MAX_CALLBACK_CALLS };
    this.socket = socket;
    this.id = id;
    sniffProtocol(socket, this.known);
    socket.on('error', () => {});
  }

  /** The native channel: only read by calls, which exist only once it does. */
  get channel(): SocketChannel {
    return this.channelOrUndefined!;
  }

  get share(): ConnectionShare {
    return this.shareOrUndefined!;
  }

  end(): void {
    if (this.channelOrUndefined) this.channelOrUndefined.close();
    else this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /**
   * Ends the connection once the server has drained. With no call of ours still running, the client is
   * told first (an Error frame, id 0, ERR_LIP_SHUTTING_DOWN) that whatever it still waits for here was
   * never run: requests that crossed our end on the wire can be sent again elsewhere (a reload's new server).
   */
  endDrained(): void {
    if (this.running === 0) {
      const name = this.server.endpoint.name;
      this.sendError(
        0,
        ownErrorInfo(new LIPConnectionError(`'${name}' has shut down; calls not answered on this connection were not run`, { code: ErrorCode.ShuttingDown })),
      );
    }
    this.end();
  }

  /** Closes the connection if nothing ran or arrived whole for `idleMs` (a half-sent frame doesn't count). */
  checkIdle(now: number, idleMs: number): void {
    if (this.handedOff) return;
    if (this.running > 0 || this.touched) {
      this.touched = false;
      this.lastActive = now;
      return;
    }
    if (now - this.lastActive < idleMs) return;
    this.server.options.logger?.debug({ conn: this.id, idleMs }, 'connection closed: idle');
    this.lastActive = Infinity; // once
    this.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /** Forgets a call that ended; returns whether its caller still wants the answer. */
  ended(call: NativeCall): boolean {
    call.finished = true;
    if (this.calls.get(call.id) === call) this.calls.delete(call.id);
    call.channels?.close(new LIPCallbackExpiredError('the call that passed it has ended'));
    this.running--;
    this.touched = true;
    this.channel.release(call.bytes);
    return !call.context.aborted && !this.channel.isClosed;
  }

  /** The largest frame either side takes (the client's default limit is the same): no reply is sent larger. */
  get maxFrameBytes(): number {
    return this.server.options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  sendError(id: number, info: RemoteErrorInfo): void {
    const channel = this.channelOrUndefined;
    if (!channel || channel.isClosed) return;
    channel.sendEncoded(encodeErrorMessage(id, info, this.maxFrameBytes));
  }

  private readonly known = (protocol: Protocol, bytes: Buffer): void => {
    const onOneShot = this.server.options.onOneShot;
    if (protocol === 'probe') this.startNative(Buffer.concat([PREAMBLE, bytes.subarray(PROBE_PREAMBLE.length)]));
    else if (protocol === 'native') this.startNative(bytes);
    else if (protocol === 'one-shot' && onOneShot) {
      this.handedOff = true;
      onOneShot(this.socket, bytes);
    } else {
      this.server.options.logger?.debug({ conn: this.id }, 'connection closed: not a LIP client');
      this.socket.destroy();
    }
  };

  private startNative(bytes: Buffer): void {
    const version = bytes[3];
    const share = this.server.budget.open();
    const channel = new SocketChannel(this.socket, { maxFrameBytes: this.server.options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, share });
    this.channelOrUndefined = channel;
    this.shareOrUndefined = share;
    channel.onClose = () => this.dropAll();
    if (version !== PROTOCOL_VERSION) {
      this.sendError(0, protocolInfo(`unsupported protocol version ${version}; this server speaks ${PROTOCOL_VERSION}`));
      channel.close();
      return;
    }
    channel.onMessage = (message) => {
      this.touched = true;
      this.handle(message);
    };
    channel.onProtocolError = (error) => this.sendError(0, ownErrorInfo(error));
    // A frame whose values can't be decoded fails only the request it names; the connection stays.
    channel.onUndecodable = ({ kind, id }, error) => {
      this.touched = true;
      const what = kind === Kind.Call ? "the call's arguments" : `a message of kind ${kind}`;
      const failure = `${what} could not be decoded: ${error.message}`;
      if (kind >= Kind.CallbackResult && kind <= Kind.ArgEnd) return this.failChannels(id, failure);
      this.sendError(Math.max(id, 0), protocolInfo(failure));
    };
    channel.send([Kind.Hello, { v: PROTOCOL_VERSION, pid: process.pid, name: this.server.endpoint.name, lib: LIB_ID, caps: SERVER_CAPABILITIES }]);
    const rest = bytes.subarray(PREAMBLE.length);
    if (rest.length > 0) channel.feed(rest);
  }

  private handle(raw: unknown): void {
    let message: ClientMessage;
    try {
      message = parseClientMessage(raw);
    } catch (error) {
      // The frame was whole, so the stream is still in step: answer and carry on.
      const id = Array.isArray(raw) && isRequestId(raw[1]) ? raw[1] : 0;
      this.sendError(id, errorInfo(ownFault(error)));
      return;
    }
    switch (message[0]) {
      case Kind.Call:
        this.startCall(message);
        return;
      case Kind.Cancel:
        this.cancel(message[1]);
        return;
      case Kind.Credit:
        this.calls.get(message[1])?.grant(message[2]);
        return;
      case Kind.Control:
        this.control(message[1], message[2]);
        return;
      // Messages about a call that already ended (or never passed such a channel) are dropped: the caller raced its end.
      case Kind.CallbackResult:
        this.calls.get(message[1])?.channels?.result(message[2], message[3]);
        return;
      case Kind.CallbackError:
        this.calls.get(message[1])?.channels?.error(message[2], message[3]);
        return;
      case Kind.ArgItem:
        // Weighed as decoded: a small frame of empty maps takes ~60 times its length once decoded.
        this.calls.get(message[1])?.channels?.item(message[2], message[3], Math.max(this.channel.frameLength, this.channel.decoded.bytes));
        return;
      case Kind.ArgEnd:
        this.calls.get(message[1])?.channels?.end(message[2], message[3]);
        return;
    }
  }

  /** A callback's answer or an iterable's item that can't be decoded fails its call (the caller is told by the Error). */
  private failChannels(id: number, why: string): void {
    const call = this.calls.get(id);
    if (!call?.channels) return;
    this.calls.delete(id);
    call.cancel(new LIPProtocolError(why));
    this.sendError(id, protocolInfo(why));
  }

  private startCall(message: CallMessage): void {
    const [, id, fn, args, kwargs, options] = message;
    const server = this.server;
    const name = server.endpoint.name;
    if (this.calls.has(id)) {
      this.sendError(id, protocolInfo(`request id ${id} is already in use on this connection`));
      return;
    }
    const maxInFlight = server.options.maxInFlightPerConnection ?? DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION;
    if (this.running >= maxInFlight) {
      this.sendError(id, ownErrorInfo(new LIPBusyError(`${this.running} calls are running for this connection, its limit`)));
      return;
    }
    if (fn !== name) {
      this.sendError(id, ownErrorInfo(new LIPNotFoundError(`this socket serves '${name}', not '${fn}'`)));
      return;
    }
    if (server.draining) {
      this.sendError(id, ownErrorInfo(new LIPConnectionError(`'${name}' is shutting down and takes no new calls`, { code: ErrorCode.ShuttingDown })));
      return;
    }
    let specs: ChannelSpec[] | undefined;
    if (options?.channels != null) {
      try {
        specs = parseChannelSpecs(options.channels, args, kwargs, server.options.maxArgumentChannels ?? DEFAULT_MAX_ARGUMENT_CHANNELS);
      } catch (error) {
        this.sendError(id, ownErrorInfo(error as Error));
        return;
      }
    }
    // Held as decoded, not as sent: a small frame of empty maps takes ~60 times its length once decoded.
    const decodedExtra = Math.max(0, this.channel.decoded.bytes - this.share.costOf(this.channel.frameLength));
    if (decodedExtra > 0 && !this.share.tryHold(decodedExtra)) {
      this.sendError(id, server.busyInfo(`could not hold the call's arguments (${this.channel.decoded.bytes} bytes once decoded): the memory budget is spent`));
      return;
    }
    const call = new NativeCall(this, id, options);
    call.bytes += decodedExtra;
    if (this.channel.frameLength > DETACH_ABOVE) {
      detachSmallBinaries(args);
      detachSmallBinaries(kwargs);
    }
    this.running++;
    if (specs || options?.stream) {
      if (specs) call.openChannels(specs, args, kwargs);
      this.calls.set(id, call);
      if (!options?.stream) server.runner.run(call, args, kwargs);
      else {
        call.grant(Math.min(positiveInt(options.credit) ?? server.options.defaultStreamCredit ?? DEFAULT_STREAM_CREDIT, MAX_STREAM_CREDIT));
        void server.runner.stream(call, args, kwargs);
      }
      return;
    }
    // A call that ended as it ran (a synchronous function) is never looked up: no message about it can
    // arrive before it ended, so it skips the map (a set and a delete per call, the hottest line at 64 in flight).
    server.runner.run(call, args, kwargs);
    if (!call.finished) this.calls.set(id, call);
  }

  private cancel(id: number): void {
    const call = this.calls.get(id);
    if (!call) return;
    this.calls.delete(id);
    call.cancel(cancelledError('the caller cancelled the call'));
  }

  private control(id: number, verb: string): void {
    let value: unknown;
    try {
      value = answerControl(this.server.endpoint, verb, () => {
        const stop = this.server.options.onStopRequest;
        if (stop) setImmediate(stop);
        return stop !== undefined;
      });
    } catch (error) {
      this.sendError(id, errorInfo(ownFault(error)));
      return;
    }
    this.channelOrUndefined?.send([Kind.Result, id, value]);
  }

  /** The connection is gone: every running call's signal fires, streams stop. */
  private dropAll(): void {
    for (const call of this.calls.values()) call.cancel(cancelledError('the connection to the caller closed'));
    this.calls.clear();
  }
}

function protocolInfo(message: string): RemoteErrorInfo {
  return ownErrorInfo(new LIPProtocolError(message));
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}
