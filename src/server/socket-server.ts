/**
 * The socket server for one served function: accepts connections, tells a
 * native client from a Python one-shot request by the first byte, dispatches
 * calls, streams and built-in verbs to the Endpoint, and drains on close.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { callStorage, LazyCallContext } from '../call/context.js';
import { AbortRace, answerControl, collectInContext, invokeEndpoint, nextStep, roughSize, stopIterator, type CollectLimits } from '../call/runner.js';
import { detachSmallBinaries, DETACH_ABOVE } from './detach-binaries.js';
import { isAsyncIterable, isPromiseLike, type Endpoint } from '../call/endpoint.js';
import { nextTurn, onNextTurn, sliceUsedUp } from '../event-loop-turn.js';
import { ErrorCode, libraryError, LIPProtocolError, toRemoteErrorInfo, type RemoteErrorInfo } from '../errors.js';
import { MemoryBudget, type ConnectionShare } from './memory-budget.js';
import { encodeValue } from '../protocol/codec.js';
import { DEFAULT_MAX_FRAME_BYTES, joinFrame, PREAMBLE, PROBE_PREAMBLE, PROTOCOL_VERSION } from '../protocol/frame.js';
import { Kind, parseClientMessage, type CallMessage, type CallOptions, type ClientMessage } from '../protocol/messages.js';
import { encodeOneShot } from '../python/wire.js';
import { SocketChannel } from '../transport/socket-channel.js';
import { listenUnix, removeOwnSocket, type Listening } from '../transport/unix-socket.js';
import { LIB_ID } from '../version.js';

export interface ServerOptions {
  /** Largest frame accepted from a client, in bytes. @default 16 MiB */
  maxFrameBytes?: number;
  /** Socket file mode. @default 0o600 */
  socketMode?: number;
  /** Stream items sent before the client must grant more credit. @default 16 */
  defaultStreamCredit?: number;
  /** Include stacks in errors sent to callers. @default true */
  sendStacks?: boolean;
  logger?: Logger;
  /** Asked by the `stop` verb to shut the function down. */
  onStopRequest?: () => void;
  /** Connections with no call running and no whole message received for this long are closed; 0 never. @default 300000 (5 min) */
  idleTimeoutMs?: number;
  /** Most connections held at once; more are refused with an Error frame (ERR_LIP_BUSY) and closed. @default 1024 */
  maxConnections?: number;
  /** Most calls running at once for one connection; more are answered ERR_LIP_BUSY. @default 10000 */
  maxInFlightPerConnection?: number;
  /** Most bytes of requests one connection may have the server hold (frames being received or whose calls run), and of its replies not yet read. @default 2 × maxFrameBytes */
  maxConnectionBytes?: number;
  /** Most bytes all connections together may have the server hold. @default 256 MiB (at least 2 × maxConnectionBytes) */
  maxServerBytes?: number;
  /** Handles a connection that opened with a bare CBOR map (the Python original's one-shot request). */
  onOneShot?: (socket: Socket, firstBytes: Buffer) => void;
}

const DEFAULT_STREAM_CREDIT = 16;
/** Most stream items a client may have outstanding; credit beyond it is ignored. */
export const MAX_STREAM_CREDIT = 65_536;
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
export const DEFAULT_MAX_CONNECTIONS = 1024;
export const DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION = 10_000;
export const DEFAULT_MAX_SERVER_BYTES = 256 * 1024 * 1024;
/** Replies bigger than this (by a cheap lower bound) wait for the next turn when the event loop's slice is used up. */
const DEFER_REPLIES_ABOVE = 64 * 1024;
/** At least what a Result frame adds around its value (header, kind, id). */
const REPLY_HEADER_BYTES = 8;
/** How long a connection we closed may take to go away before it is cut. */
const CLOSE_GRACE_MS = 1000;

export class SocketServer {
  readonly endpoint: Endpoint;
  readonly options: ServerOptions;
  private listening: Listening | undefined;
  private path = '';
  private readonly connections = new Set<ServerConnection>();
  private nextConnectionId = 1;
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];
  private sweeper: NodeJS.Timeout | undefined;
  draining = false;
  /** What clients may make this server hold, per connection and in all. */
  readonly budget: MemoryBudget;

  constructor(endpoint: Endpoint, options: ServerOptions = {}) {
    this.endpoint = endpoint;
    this.options = options;
    this.budget = new MemoryBudget(budgetLimits(options));
  }

  get socketPath(): string {
    return this.path;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  get inflightCount(): number {
    return this.inflight;
  }

  async listen(path: string): Promise<void> {
    this.path = path;
    this.draining = false;
    this.listening = await listenUnix(path, (socket) => this.accept(socket), { socketMode: this.options.socketMode, logger: this.options.logger });
    const idleMs = this.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    if (idleMs > 0) {
      // One timer for all connections: a timer per connection reset on every message would cost more.
      this.sweeper = setInterval(() => this.sweepIdle(idleMs), Math.min(1000, Math.max(10, idleMs / 4)));
      this.sweeper.unref();
    }
  }

  private sweepIdle(idleMs: number): void {
    const now = Date.now();
    for (const connection of this.connections) connection.checkIdle(now, idleMs);
  }

  /** A call that can't be taken now: too many bytes held. */
  busyInfo(what: string): RemoteErrorInfo {
    return libraryError('LIPBusyError', ErrorCode.Busy, `'${this.endpoint.name}' ${what}; try again later`);
  }

  /**
   * Graceful shutdown: stop accepting, refuse new calls, let running calls
   * finish (up to `timeoutMs`), then close connections and remove the socket file.
   */
  async close(timeoutMs: number): Promise<{ unfinished: number }> {
    const listening = this.listening;
    if (!listening) return { unfinished: 0 };
    this.listening = undefined;
    this.draining = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    const closed = new Promise<void>((resolve) => listening.server.close(() => resolve()));
    await this.waitIdle(timeoutMs);
    const unfinished = this.inflight;
    for (const connection of this.connections) connection.end();
    // Connections that don't end politely are cut after a short grace.
    const grace = setTimeout(() => {
      for (const connection of this.connections) connection.destroy();
    }, 500);
    await closed;
    clearTimeout(grace);
    await removeOwnSocket(listening.path ?? this.path, listening.ino);
    return { unfinished };
  }

  callStarted(): void {
    this.inflight++;
  }

  callFinished(): void {
    this.inflight--;
    if (this.inflight === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private waitIdle(timeoutMs: number): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private accept(socket: Socket): void {
    if (this.draining) {
      socket.destroy();
      return;
    }
    const max = this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    if (this.connections.size >= max) {
      this.refuse(socket, max);
      return;
    }
    const connection = new ServerConnection(this, socket, this.nextConnectionId++);
    this.connections.add(connection);
    socket.once('close', () => this.connections.delete(connection));
  }

  /**
   * Over `maxConnections`: say why, then close. The first byte tells which protocol
   * the peer reads: a native client gets an Error frame (id 0), the Python
   * original's one-shot client an {"error": ...} map. Nothing else is read.
   */
  private refuse(socket: Socket, max: number): void {
    socket.on('error', () => {});
    this.options.logger?.warn({ max }, 'connection refused: maxConnections reached');
    const info = libraryError('LIPBusyError', ErrorCode.Busy, `'${this.endpoint.name}' holds its maximum of ${max} connections; try again later`);
    const answer = (chunk?: Buffer): void => {
      clearTimeout(silent);
      socket.off('data', answer);
      const first = chunk?.[0];
      // The probe preamble is a CBOR map too, but its sender reads native frames.
      const oneShot = chunk !== undefined && isOneShotStart(chunk[0]!) && !startsProbe(chunk) && this.options.onOneShot !== undefined;
      socket.end(oneShot ? encodeOneShot({ error: info.message }) : joinFrame(encodeValue([Kind.Error, 0, info])));
      socket.resume(); // the rest of the request is read and dropped, so the answer isn't lost to a reset
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    };
    // A peer that sends nothing at first is answered as a native client.
    const silent = setTimeout(answer, CLOSE_GRACE_MS);
    silent.unref();
    socket.on('data', answer);
  }
}

interface RunningCall {
  context: LazyCallContext;
  /** Bytes of the request's frame, held against the budget until the call ends. */
  bytes: number;
  /** For streams: items the client will still take, and a waiter for more. */
  credit: number;
  wakeStream: (() => void) | undefined;
}

/** One accepted connection: protocol sniffing, then the native message loop. */
class ServerConnection {
  private readonly server: SocketServer;
  private readonly socket: Socket;
  private readonly id: number;
  private channel: SocketChannel | undefined;
  private share: ConnectionShare | undefined;
  private readonly calls = new Map<number, RunningCall>();
  private sniffed: Buffer | undefined;
  // Calls started here and not finished (a cancelled call still counts until it returns).
  private running = 0;
  // For the idle sweep: a whole message arrived or a call ended since the last sweep.
  private touched = false;
  private lastActive = Date.now();
  // Given to the one-shot handler, which keeps its own read timeout and may run a long call.
  private handedOff = false;

  constructor(server: SocketServer, socket: Socket, id: number) {
    this.server = server;
    this.socket = socket;
    this.id = id;
    socket.on('data', this.sniff);
    socket.on('error', () => {});
  }

  end(): void {
    if (this.channel) this.channel.close();
    else this.socket.end();
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

  destroy(): void {
    this.socket.destroy();
  }

  /** Reads just enough of the first bytes to know which protocol the peer speaks. */
  private readonly sniff = (chunk: Buffer): void => {
    const bytes = this.sniffed ? Buffer.concat([this.sniffed, chunk]) : chunk;
    const first = bytes[0]!;
    // A client probing which kind of server this is: a CBOR map that is also our preamble.
    if (startsProbe(bytes)) {
      if (bytes.length < PROBE_PREAMBLE.length) return void (this.sniffed = bytes);
      this.socket.off('data', this.sniff);
      this.sniffed = undefined;
      return this.startNative(Buffer.concat([PREAMBLE, bytes.subarray(PROBE_PREAMBLE.length)]));
    }
    if (isOneShotStart(first) && this.server.options.onOneShot) {
      this.socket.off('data', this.sniff);
      this.handedOff = true;
      this.server.options.onOneShot(this.socket, bytes);
      return;
    }
    if (bytes.length < PREAMBLE.length) {
      if (first === PREAMBLE[0] && PREAMBLE.subarray(0, bytes.length).equals(bytes)) {
        this.sniffed = bytes;
        return;
      }
    }
    this.socket.off('data', this.sniff);
    this.sniffed = undefined;
    if (!bytes.subarray(0, 3).equals(PREAMBLE.subarray(0, 3))) {
      this.server.options.logger?.debug({ conn: this.id }, 'connection closed: not a LIP client');
      this.socket.destroy();
      return;
    }
    this.startNative(bytes);
  };

  private startNative(bytes: Buffer): void {
    const version = bytes[3];
    const share = this.server.budget.open();
    const channel = new SocketChannel(this.socket, { maxFrameBytes: this.server.options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, share });
    this.channel = channel;
    this.share = share;
    channel.onClose = () => this.dropAll();
    if (version !== PROTOCOL_VERSION) {
      this.sendError(0, libraryError('LIPProtocolError', ErrorCode.Protocol, `unsupported protocol version ${version}; this server speaks ${PROTOCOL_VERSION}`));
      channel.close();
      return;
    }
    channel.onMessage = (message) => {
      this.touched = true;
      this.handle(message);
    };
    channel.onProtocolError = (error) => this.sendError(0, toRemoteErrorInfo(error, false, true));
    // A frame whose values can't be decoded fails only the request it names; the connection stays.
    channel.onUndecodable = ({ kind, id }, error) => {
      this.touched = true;
      const what = kind === Kind.Call ? "the call's arguments" : `a message of kind ${kind}`;
      this.sendError(id > 0 ? id : 0, protocolInfo(`${what} could not be decoded: ${error.message}`));
    };
    channel.send([Kind.Hello, { v: PROTOCOL_VERSION, pid: process.pid, name: this.server.endpoint.name, lib: LIB_ID }]);
    const rest = bytes.subarray(PREAMBLE.length);
    if (rest.length > 0) channel.feed(rest);
  }

  private handle(raw: unknown): void {
    let message: ClientMessage;
    try {
      message = parseClientMessage(raw);
    } catch (error) {
      // The frame was whole, so the stream is still in step: answer and carry on.
      const id = Array.isArray(raw) && typeof raw[1] === 'number' && Number.isInteger(raw[1]) && raw[1] > 0 && raw[1] <= 0xffffffff ? raw[1] : 0;
      this.sendError(id, toRemoteErrorInfo(error, false, true));
      return;
    }
    switch (message[0]) {
      case Kind.Call:
        this.startCall(message);
        return;
      case Kind.Cancel:
        this.cancel(message[1]);
        return;
      case Kind.Credit: {
        const call = this.calls.get(message[1]);
        if (call) {
          call.credit = Math.min(call.credit + message[2], MAX_STREAM_CREDIT);
          call.wakeStream?.();
        }
        return;
      }
      case Kind.Control:
        this.control(message[1], message[2]);
        return;
    }
  }

  private startCall(message: CallMessage): void {
    const [, id, fn, args, kwargs, options] = message;
    const endpoint = this.server.endpoint;
    if (this.calls.has(id)) {
      this.sendError(id, protocolInfo(`request id ${id} is already in use on this connection`));
      return;
    }
    const maxInFlight = this.server.options.maxInFlightPerConnection ?? DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION;
    if (this.running >= maxInFlight) {
      this.sendError(id, libraryError('LIPBusyError', ErrorCode.Busy, `${this.running} calls are running for this connection, its limit`));
      return;
    }
    if (fn !== endpoint.name) {
      this.sendError(id, libraryError('LIPNotFoundError', ErrorCode.NotFound, `this socket serves '${endpoint.name}', not '${fn}'`));
      return;
    }
    if (this.server.draining) {
      this.sendError(id, libraryError('LIPShuttingDownError', ErrorCode.ShuttingDown, `'${endpoint.name}' is shutting down and takes no new calls`));
      return;
    }
    const timeoutMs = options?.timeoutMs;
    const deadline = typeof timeoutMs === 'number' && timeoutMs > 0 && Number.isFinite(timeoutMs) ? Date.now() + timeoutMs : undefined;
    // The request's frame stays reserved while the call runs: its arguments live that long.
    const bytes = this.channel!.claimFrame();
    if (this.channel!.frameLength > DETACH_ABOVE) {
      detachSmallBinaries(args);
      detachSmallBinaries(kwargs);
    }
    const call: RunningCall = { context: new LazyCallContext(this.id, id, deadline), bytes, credit: 0, wakeStream: undefined };
    this.calls.set(id, call);
    this.running++;
    this.server.callStarted();
    let result: unknown;
    try {
      result = callStorage.run(call.context, invokeEndpoint, endpoint, args, kwargs, call.context);
    } catch (error) {
      this.fail(id, call, error);
      return;
    }
    if (options?.stream) {
      void this.runStream(id, call, result, options);
      return;
    }
    if (isPromiseLike(result)) {
      result.then(
        (value) => this.succeed(id, call, value),
        (error: unknown) => this.fail(id, call, error),
      );
      return;
    }
    this.succeed(id, call, result);
  }

  private succeed(id: number, call: RunningCall, value: unknown): void {
    // Many calls ending at once (timers due together) would encode all their big replies in one go:
    // past the turn's slice, a big reply waits for the next turn (and asks again then). Small ones
    // cost next to nothing and are never held back behind big ones.
    if (roughSize(value) > DEFER_REPLIES_ABOVE && sliceUsedUp()) {
      onNextTurn(() => this.succeed(id, call, value));
      return;
    }
    this.succeedNow(id, call, value);
  }

  private succeedNow(id: number, call: RunningCall, value: unknown): void {
    if (isAsyncIterable(value)) {
      // A plain call on a streaming function gets every value, collected (and stopped if cancelled).
      collectInContext(value, call.context, this.collectLimits(call)).then(
        (items) => this.succeed(id, call, items),
        (error: unknown) => this.fail(id, call, error),
      );
      return;
    }
    if (!this.finish(id, call)) return;
    // Not even encoded when it can't fit (a cheap lower bound of its size says so).
    if (!this.share!.mayWrite(roughSize(value) + REPLY_HEADER_BYTES)) {
      this.refuseReply(id, 'a reply');
      return;
    }
    let body: Buffer;
    try {
      body = encodeValue([Kind.Result, id, value]);
    } catch (encodeError) {
      this.sendError(id, toRemoteErrorInfo(new LIPProtocolError(`the result of '${this.server.endpoint.name}' could not be sent: ${(encodeError as Error).message}`), false, true));
      return;
    }
    if (!this.share!.mayWrite(body.length)) {
      this.refuseReply(id, `a reply of ${body.length} bytes`);
      return;
    }
    this.channel!.sendEncoded(body);
  }

  /** The call ran, but its answer can't be held: say so (typed), rather than queue it without bound. */
  private refuseReply(id: number, what: string): void {
    const backlog = this.share!.backlog;
    const why = backlog > 0 ? `${backlog} bytes of earlier replies wait for this client to read them` : "the server's memory budget is spent";
    this.sendError(id, this.server.busyInfo(`could not hold ${what}: ${why}`));
  }

  /** Answers with what the function threw (even `undefined`: it still failed). */
  private fail(id: number, call: RunningCall, error: unknown): void {
    if (!this.finish(id, call)) return;
    this.sendError(id, toRemoteErrorInfo(error, this.server.options.sendStacks !== false));
  }

  /** A stream collected for one reply: as much as the connection's budget, charged to the call as it grows. */
  private collectLimits(call: RunningCall): CollectLimits {
    const share = this.share!;
    return {
      maxBytes: this.server.budget.limits.connectionBytes,
      charge: (bytes) => {
        if (!share.tryHold(bytes)) return false;
        call.bytes += bytes;
        return true;
      },
    };
  }

  /** Forgets a finished call; returns whether its caller still wants the answer. */
  private finish(id: number, call: RunningCall): boolean {
    this.forget(id, call);
    return !call.context.aborted && this.channel !== undefined && !this.channel.isClosed;
  }

  private forget(id: number, call: RunningCall): void {
    call.context.dispose();
    if (this.calls.get(id) === call) this.calls.delete(id);
    this.running--;
    this.touched = true;
    this.channel!.release(call.bytes);
    this.server.callFinished();
  }

  private async runStream(id: number, call: RunningCall, produced: unknown, options: CallOptions): Promise<void> {
    const channel = this.channel!;
    const share = this.share!;
    call.credit = Math.min(positiveInt(options.credit) ?? this.server.options.defaultStreamCredit ?? DEFAULT_STREAM_CREDIT, MAX_STREAM_CREDIT);
    let iterator: AsyncIterator<unknown> | undefined;
    // What failed: the function (its promise or its generator) or us (an item CBOR can't carry).
    let functionFailed = false;
    try {
      functionFailed = true;
      const value = isPromiseLike(produced) ? await produced : produced;
      functionFailed = false;
      if (!isAsyncIterable(value)) {
        // A plain value streams as one item.
        if (!call.context.aborted) channel.send([Kind.Item, id, value]);
      } else {
        iterator = value[Symbol.asyncIterator]();
        // A generator stuck between two yields must not keep a cancelled call open.
        const aborted = new AbortRace(call.context.signal);
        for (;;) {
          if (!(await this.readyToProduce(call, share, aborted))) break;
          let step: IteratorResult<unknown> | undefined;
          try {
            step = await aborted.race(callStorage.run(call.context, nextStep, iterator));
          } catch (error) {
            iterator = undefined; // it threw: the generator is already closed
            functionFailed = true;
            throw error;
          }
          if (step === undefined || call.context.aborted) break;
          if (step.done) {
            iterator = undefined;
            break;
          }
          // Streams woken together all found the slice fresh before any produced: ask again before encoding.
          while (sliceUsedUp() && !call.context.aborted) await nextTurn();
          if (call.context.aborted || channel.isClosed) break;
          call.credit--;
          channel.send([Kind.Item, id, step.value]);
        }
      }
      if (!call.context.aborted) channel.send([Kind.End, id]);
    } catch (error) {
      // An item that can't be encoded lands here too, with the generator still open: the finally closes it.
      if (!call.context.aborted && !channel.isClosed) this.sendError(id, toRemoteErrorInfo(error, this.server.options.sendStacks !== false, !functionFailed));
    } finally {
      // Stops the generator early (its `finally` runs) when the caller went away.
      if (iterator) stopIterator(iterator);
      this.forget(id, call);
    }
  }

  /**
   * Waits until the stream may produce its next item: the client granted credit, the socket took
   * the items already sent (credit is the client's word, not room) and the event loop's slice has
   * time left (a generator with no await of its own, or many streams woken at once, would keep
   * every other socket waiting). Each is asked again after any wait. False if the call ended.
   */
  private async readyToProduce(call: RunningCall, share: ConnectionShare, aborted: AbortRace): Promise<boolean> {
    const channel = this.channel!;
    for (;;) {
      if (call.context.aborted || channel.isClosed) return false;
      if (call.credit <= 0) {
        await new Promise<void>((resolve) => (call.wakeStream = resolve));
        call.wakeStream = undefined;
      } else if (channel.congested || !share.mayStream()) await aborted.race(share.whenRoom());
      else if (sliceUsedUp()) await nextTurn();
      else return true;
    }
  }

  private cancel(id: number): void {
    const call = this.calls.get(id);
    if (!call) return;
    this.calls.delete(id);
    call.context.abort(cancelledError('the caller cancelled the call'));
    call.wakeStream?.();
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
      this.sendError(id, toRemoteErrorInfo(error, false, true));
      return;
    }
    this.channel?.send([Kind.Result, id, value]);
  }

  private sendError(id: number, info: RemoteErrorInfo): void {
    if (!this.channel || this.channel.isClosed) return;
    try {
      this.channel.send([Kind.Error, id, info]);
    } catch {
      // `data` that can't be encoded: send the bare message.
      this.channel.send([Kind.Error, id, { name: info.name, message: info.message, code: info.code, lip: info.lip }]);
    }
  }

  /** The connection is gone: every running call's signal fires, streams stop. */
  private dropAll(): void {
    for (const call of this.calls.values()) {
      call.context.abort(cancelledError('the connection to the caller closed'));
      call.wakeStream?.();
    }
    this.calls.clear();
  }
}

function protocolInfo(message: string): RemoteErrorInfo {
  return libraryError('LIPProtocolError', ErrorCode.Protocol, message);
}

function cancelledError(message: string): Error {
  const error = new Error(message);
  error.name = 'AbortError';
  return error;
}

/** Whether `bytes` are the probe preamble, or as much of it as has arrived. */
function startsProbe(bytes: Buffer): boolean {
  const probed = Math.min(bytes.length, PROBE_PREAMBLE.length);
  return bytes.subarray(0, probed).equals(PROBE_PREAMBLE.subarray(0, probed));
}

/** Whether a connection's first byte starts a bare CBOR map: the Python original's one-shot request. */
function isOneShotStart(first: number): boolean {
  return first >= 0xa0 && first <= 0xbf;
}

/** The budget's figures from the options, defaults filled in. */
function budgetLimits(options: ServerOptions): { connectionBytes: number; serverBytes: number } {
  const frame = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const connectionBytes = options.maxConnectionBytes ?? 2 * frame;
  // A frame must always fit an idle server, whatever the settings.
  const serverBytes = Math.max(options.maxServerBytes ?? Math.max(DEFAULT_MAX_SERVER_BYTES, 2 * connectionBytes), frame);
  return { connectionBytes, serverBytes };
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}
