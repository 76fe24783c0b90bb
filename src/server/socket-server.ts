/**
 * The socket server for one served function: accepts connections (each a
 * NativeConnection, which hands a Python one-shot request off), holds the
 * limits every connection shares (connections, memory budget, idle sweep),
 * runs calls through one CallRunner, and drains on close.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { encodeErrorMessage } from '../call/error-message.js';
import { InFlight } from '../call/in-flight.js';
import { CallRunner } from '../call/runner.js';
import { RpcTarget } from '../telemetry/rpc-target.js';
import type { Endpoint } from '../call/endpoint.js';
import { LIPBusyError, ownErrorInfo, type ErrorInfoOptions, type RemoteErrorInfo } from '../errors.js';
import { DEFAULT_MAX_FRAME_BYTES, joinFrame } from '../protocol/frame.js';
import { encodeOneShot } from '../python/wire.js';
import { listenInherited, listenUnix, removeOwnSocket, type Listening } from '../transport/unix-socket.js';
import { classifyFirstBytes } from './first-bytes.js';
import { MemoryBudget } from './memory-budget.js';
import { CLOSE_GRACE_MS, NativeConnection } from './native-connection.js';
import type { ConnectionHost, ServerOptions } from './connection-host.js';

export type { ServerOptions } from './connection-host.js';

export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
export const DEFAULT_MAX_CONNECTIONS = 1024;
export const DEFAULT_MAX_SERVER_BYTES = 256 * 1024 * 1024;
/** The longest a drained server waits for its clients to close their connections. */
const DRAINED_GRACE_MS = 5000;

export class SocketServer implements ConnectionHost {
  readonly endpoint: Endpoint;
  readonly options: ServerOptions;
  /** Calls running on every connection (native and one-shot): what close() waits for. */
  readonly inFlight = new InFlight();
  /** Runs every call of this server, whichever connection brought it. */
  readonly runner: CallRunner;
  /** What clients may make this server hold, per connection and in all. */
  readonly budget: MemoryBudget;
  /** How much of an error a caller is sent (stacks unless `sendStacks: false`). */
  readonly errorDetail: ErrorInfoOptions;
  private listening: Listening | undefined;
  private path = '';
  private readonly connections = new Set<NativeConnection>();
  private nextConnectionId = 1;
  private sweeper: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(endpoint: Endpoint, options: ServerOptions = {}) {
    this.endpoint = endpoint;
    this.options = options;
    this.runner = new CallRunner({
      endpoint,
      inFlight: this.inFlight,
      rpcTarget: () => new RpcTarget({ method: endpoint.name, serverAddress: this.path, transport: 'unix' }),
    });
    this.budget = new MemoryBudget(budgetLimits(options));
    this.errorDetail = { stack: options.sendStacks !== false };
  }

  get socketPath(): string {
    return this.path;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  get inflightCount(): number {
    return this.inFlight.count;
  }

  /** True from close() on: new calls are refused, running ones finish. */
  get draining(): boolean {
    return this.closing;
  }

  /** Largest request accepted, in bytes. */
  get maxFrameBytes(): number {
    return this.options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  get logger(): Logger | undefined {
    return this.options.logger;
  }

  /** `how`: take the path over from the server there, or serve on an inherited listening socket. */
  async listen(path: string, how: { takeOver?: boolean | undefined; listenFd?: number | undefined } = {}): Promise<void> {
    this.path = path;
    this.closing = false;
    const accept = (socket: Socket) => this.accept(socket);
    this.listening =
      how.listenFd === undefined
        ? await listenUnix(path, accept, { socketMode: this.options.socketMode, logger: this.options.logger, takeOver: how.takeOver })
        : await listenInherited(how.listenFd, path, accept);
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
    return ownErrorInfo(new LIPBusyError(`'${this.endpoint.name}' ${what}; try again later`));
  }

  /**
   * Graceful shutdown: stop accepting, refuse new calls, let running calls
   * finish (up to `timeoutMs`), then close connections and remove the socket file.
   */
  async close(timeoutMs: number): Promise<{ unfinished: number }> {
    const listening = this.listening;
    if (!listening) return { unfinished: 0 };
    this.listening = undefined;
    this.closing = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    const closed = new Promise<void>((resolve) => listening.server.close(() => resolve()));
    await this.inFlight.idle(timeoutMs);
    const unfinished = this.inFlight.count;
    for (const connection of this.connections) connection.endDrained();
    // Connections that don't end politely are cut after a grace: long enough for a busy client to read our
    // goodbye (requests it sent meanwhile are then sent again elsewhere), short enough not to hold an exit.
    const grace = setTimeout(
      () => {
        for (const connection of this.connections) connection.destroy();
      },
      Math.max(500, Math.min(timeoutMs, DRAINED_GRACE_MS)),
    );
    await closed;
    clearTimeout(grace);
    if (!listening.inherited) await removeOwnSocket(listening.path ?? this.path, listening.ino);
    return { unfinished };
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const max = this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    if (this.connections.size >= max) {
      this.refuse(socket, max);
      return;
    }
    const connection = new NativeConnection(this, socket, this.nextConnectionId++);
    this.connections.add(connection);
    socket.once('close', () => this.connections.delete(connection));
  }

  /**
   * Over `maxConnections`: say why, then close. The first bytes tell which protocol
   * the peer reads: the Python original's one-shot client gets an {"error": ...} map,
   * anyone else an Error frame (id 0). Nothing else is read.
   */
  private refuse(socket: Socket, max: number): void {
    socket.on('error', () => {});
    this.options.logger?.warn({ max }, 'connection refused: maxConnections reached');
    const info = ownErrorInfo(new LIPBusyError(`'${this.endpoint.name}' holds its maximum of ${max} connections; try again later`));
    const answer = (chunk?: Buffer): void => {
      clearTimeout(silent);
      socket.off('data', answer);
      const oneShot = chunk !== undefined && classifyFirstBytes(chunk) === 'one-shot' && this.options.onOneShot !== undefined;
      socket.end(oneShot ? encodeOneShot({ error: info.message }) : joinFrame(encodeErrorMessage(0, info)));
      socket.resume(); // the rest of the request is read and dropped, so the answer isn't lost to a reset
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    };
    // A peer that sends nothing at first is answered as a native client.
    const silent = setTimeout(answer, CLOSE_GRACE_MS);
    silent.unref();
    socket.on('data', answer);
  }
}

/** The budget's figures from the options, defaults filled in. */
function budgetLimits(options: ServerOptions): { connectionBytes: number; serverBytes: number } {
  const frame = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const connectionBytes = options.maxConnectionBytes ?? 2 * frame;
  // A frame must always fit an idle server, whatever the settings.
  const serverBytes = Math.max(options.maxServerBytes ?? Math.max(DEFAULT_MAX_SERVER_BYTES, 2 * connectionBytes), frame);
  return { connectionBytes, serverBytes };
}
