/**
 * LIPClient: finds served functions in the socket directory, keeps one
 * persistent connection per function, and calls, streams, describes and
 * pings them.
 */
import { lstat } from 'node:fs/promises';
import { atCallSite } from './call-site.js';
import { ClientConnection, type CallSettings, type FunctionConnection } from './client-connection.js';
import { resolveSocketDir, scanSocketDir, socketPathFor, isValidName, type SocketEntry } from '../transport/socket-names.js';
import { remoteCall } from './remote-call.js';
import { didYouMean } from './suggest.js';
import { LIPAbortError, LIPConnectionError, LIPNotFoundError, LIPTimeoutError } from '../errors.js';
import type { FunctionInfo, FunctionStats } from '../function/introspection.js';
import { NatsDirectory } from '../nats/directory.js';
import { NatsRoute } from '../nats/route.js';
import { OneShotConnection } from '../python/one-shot-connection.js';
import { ServerKinds, type ProbeBudget } from './server-kind.js';
import { checkSocketDir } from '../transport/socket-dir.js';
import { SocketTrust } from '../transport/socket-trust.js';
import type { SocketState } from '../transport/unix-socket.js';

export interface LIPClientOptions {
  /** Directory holding the `lipcm-<name>.sock` files. @default $LIP_SOCKET_DIR, else /tmp */
  socketDir?: string;
  /** Deadline of every call, in milliseconds; 0 waits for ever. @default 30000 */
  timeoutMs?: number;
  /** How long to wait for a connection to open. @default 5000 */
  connectTimeoutMs?: number;
  /** Largest frame accepted from a server, in bytes. @default 16 MiB */
  maxFrameBytes?: number;
  /** Stream items the server may send ahead of the consumer. @default 16 */
  streamWindow?: number;
  /**
   * Users (uids) besides yourself and root whose socket files (and socket directory) you will
   * connect to. A socket file owned by anyone else (a squatter in a shared /tmp) is refused with
   * ERR_LIP_UNTRUSTED_SOCKET, checked on every connection before anything is sent. @default []
   */
  trustUids?: readonly number[];
  /** Also find and call functions served over NATS at this URL (or URLs). */
  nats?: string | string[];
  /** When a name is served both on a local socket and over NATS, which one to call. @default 'local' */
  prefer?: 'local' | 'nats';
}

export interface CallOptions {
  /** Deadline of this call in milliseconds (overrides the client's). */
  timeoutMs?: number;
  /** Aborting it cancels the call, here and on the server. */
  signal?: AbortSignal;
}

export interface ListOptions {
  /** How long each socket may take to answer its probe (all are probed at once), at most `connectTimeoutMs`. @default the client's timeoutMs */
  timeoutMs?: number;
}

/** A socket file found in the directory and whether anyone answers there. */
export interface SocketStatus extends SocketEntry {
  /** `untrusted`: owned by another user not in `trustUids`; not connected to, not even probed. */
  state: SocketState | 'untrusted';
}

/**
 * A typed remote version of a local function type: a promise of its result, or, for a function that
 * returns an async iterable (an async generator), an async iterable of its items, streamed.
 */
export type Remote<F> = F extends (...args: infer A) => infer R
  ? (...args: A) => R extends AsyncIterable<infer T> ? AsyncIterable<T> : Promise<Awaited<R>>
  : never;

const DEFAULT_TIMEOUT_MS = 30_000;
const NO_ARGS: readonly unknown[] = Object.freeze([]);


export class LIPClient {
  readonly socketDir: string;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly maxFrameBytes: number | undefined;
  private readonly streamWindow: number;
  private known = new Map<string, string>();
  private scanned: Promise<void> | undefined;
  private readonly connections = new Map<string, FunctionConnection>();
  private readonly kinds: ServerKinds;
  private readonly nats: NatsDirectory | undefined;
  private readonly prefer: 'local' | 'nats';
  private readonly defaults: CallSettings;
  private closed = false;
  private readonly trust: SocketTrust;

  constructor(options: LIPClientOptions = {}) {
    validateClientOptions(options);
    this.socketDir = resolveSocketDir(options.socketDir);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.maxFrameBytes = options.maxFrameBytes;
    this.streamWindow = options.streamWindow ?? 16;
    this.trust = new SocketTrust(options.trustUids);
    this.kinds = new ServerKinds(this.trust);
    this.nats = options.nats ? new NatsDirectory(options.nats) : undefined;
    this.prefer = options.prefer ?? 'local';
    this.defaults = Object.freeze({ timeoutMs: this.timeoutMs, signal: undefined });
  }

  /** Names of the functions that answer, sorted. Scans the directory the first time. */
  async listFunctions(options: ListOptions = {}): Promise<string[]> {
    const [sockets, remote] = await Promise.all([this.listSockets(options), this.nats?.names() ?? []]);
    const local = sockets.filter((s) => s.state === 'live').map((s) => s.name);
    return remote.length === 0 ? local : [...new Set([...local, ...remote])].sort();
  }

  /** Names of the functions served over NATS (needs the `nats` option), sorted. */
  async listNatsFunctions(): Promise<string[]> {
    return this.nats ? this.nats.names() : [];
  }

  /** Every socket file in the directory with its state: live, stale (nobody answers) or missing. */
  async listSockets(options: ListOptions = {}): Promise<SocketStatus[]> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    if (!(typeof timeoutMs === 'number' && timeoutMs >= 0)) throw new TypeError(`listing option 'timeoutMs' must be a non-negative number, got ${String(timeoutMs)}`);
    const budget = { timeoutMs: timeoutMs > 0 ? Math.min(timeoutMs, this.connectTimeoutMs) : this.connectTimeoutMs };
    await this.ensureScanned();
    const entries = [...this.known].map(([name, path]) => ({ name, path }));
    const states = await Promise.all(
      entries.map(async (entry): Promise<SocketStatus> => {
        const open = this.connections.get(entry.name);
        if (open && !open.isClosed && open.hello) return { ...entry, state: 'live' };
        // Another user's file is reported from its owner alone: not even probed.
        const owner = await lstat(entry.path).then((stats) => stats.uid, () => undefined);
        if (owner === undefined) return { ...entry, state: 'missing' };
        if (!this.trust.trusts(owner)) return { ...entry, state: 'untrusted' };
        return { ...entry, state: await this.probe(entry.path, budget) };
      }),
    );
    return states.filter((s) => s.state !== 'missing');
  }

  /** Live, stale or missing; a live server's kind is remembered, so the first call needs no probe of its own. */
  private async probe(path: string, budget: ProbeBudget): Promise<SocketState> {
    try {
      await this.kinds.kindOf(path, budget);
      return 'live';
    } catch (error) {
      if (error instanceof LIPNotFoundError) return 'missing';
      // Refused: a file nobody listens on. No cause (no answer in time, or not a LIP server): someone is there.
      return (error as Error).cause ? 'stale' : 'live';
    }
  }

  /** Rescans the socket directory; returns the names found (live or not). */
  async refreshSockets(): Promise<string[]> {
    this.scanned = this.scan();
    const [, remote] = await Promise.all([this.scanned, this.nats?.names(true) ?? []]);
    const local = [...this.known.keys()];
    return remote.length === 0 ? local : [...new Set([...local, ...remote])].sort();
  }

  /** The function's documentation, or null if it has none. */
  async getDocstring(name: string, options: CallOptions = {}): Promise<string | null> {
    return (await this.control(name, 'doc', options)) as string | null;
  }

  /** Name, doc, parameters, signature, cache settings and process facts of a function. */
  async describe(name: string, options: CallOptions = {}): Promise<FunctionInfo> {
    return (await this.control(name, 'info', options)) as FunctionInfo;
  }

  /** Calls, errors, latency and cache figures of a function. */
  async stats(name: string, options: CallOptions = {}): Promise<FunctionStats> {
    return (await this.control(name, 'stats', options)) as FunctionStats;
  }

  /** Round-trip time to the function's server, in milliseconds. */
  async ping(name: string, options: CallOptions = {}): Promise<number> {
    try {
      const settings = this.timed(this.settings(options));
      const connection = await this.connection(name, settings);
      await connection.ready();
      const started = performance.now();
      await connection.control('ping', settings);
      return performance.now() - started;
    } catch (error) {
      throw atCallSite(error, this.ping);
    }
  }

  /**
   * Who serves `name`: a lipmodule server (`'lipmodule'`), the Python original (`'python'`: calls and
   * docstrings only, no info, stats or stop) or lipmodule over NATS (`'nats'`).
   */
  async serverKind(name: string, options: CallOptions = {}): Promise<'lipmodule' | 'python' | 'nats'> {
    try {
      const connection = await this.connection(name, this.timed(this.settings(options)));
      return connection instanceof OneShotConnection ? 'python' : connection instanceof NatsRoute ? 'nats' : 'lipmodule';
    } catch (error) {
      throw atCallSite(error, this.serverKind);
    }
  }

  /** Asks the server to shut the function down gracefully. Resolves true if it agreed. */
  async stop(name: string, options: CallOptions = {}): Promise<boolean> {
    return (await this.control(name, 'stop', options)) as boolean;
  }

  /**
   * Calls `name` with positional `args` and keyword `kwargs`. Rejects with the
   * remote error (LIPRemoteError, LIPArgumentError, ...) if the call fails.
   */
  async callFunction<T = unknown>(
    name: string,
    args: readonly unknown[] = NO_ARGS,
    kwargs?: Record<string, unknown>,
    options?: CallOptions,
  ): Promise<T> {
    if (!Array.isArray(args)) throw new TypeError('args must be an array');
    try {
      const open = this.closed ? undefined : this.connections.get(name);
      // The common case, an open connection, takes no extra await.
      if (open && !open.isClosed) return (await open.call(name, args as unknown[], kwargsOrNull(kwargs), this.settings(options))) as T;
      // First contact: finding the server is part of the call, and counts against its deadline.
      const settings = this.timed(this.settings(options));
      const connection = await this.connection(name, settings);
      return (await connection.call(name, args as unknown[], kwargsOrNull(kwargs), settings)) as T;
    } catch (error) {
      throw atCallSite(error, this.callFunction);
    }
  }

  /**
   * Streams the values of a function that returns an async iterable. Breaking
   * out of the loop, aborting, or the deadline stops the function on the server.
   */
  stream<T = unknown>(
    name: string,
    args: readonly unknown[] = [],
    kwargs: Record<string, unknown> = {},
    options: CallOptions = {},
  ): AsyncIterable<T> {
    // Streams wait for ever unless the caller sets a deadline.
    const untimed = { ...this.settings(options), timeoutMs: options.timeoutMs ?? 0 };
    // The stream's clock starts when it is first read.
    const open = async () => {
      const settings = this.timed(untimed);
      return { connection: await this.connection(name, settings), settings };
    };
    const window = this.streamWindow;
    return {
      [Symbol.asyncIterator]: () => new StreamReader<T>(open, name, args as unknown[], kwargsOrNull(kwargs), window),
    };
  }

  /**
   * A typed function that calls `name`: `await client.bind<typeof add>('add')(2, 3)`. For an async
   * generator, iterate the call's result to stream its items: `for await (const x of bind<typeof feed>('feed')(3))`.
   */
  bind<F extends (...args: never[]) => unknown>(name: string, options: CallOptions = {}): Remote<F> {
    return ((...args: unknown[]) =>
      remoteCall(
        () => this.callFunction(name, args, {}, options),
        () => this.stream(name, args, {}, options),
      )) as unknown as Remote<F>;
  }

  /** Waits for pending calls, then closes every connection. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.connections.values()].map((c) => c.close()));
    this.connections.clear();
    await this.nats?.close();
  }

  /** Closes every connection now; pending calls reject with LIPConnectionError. */
  destroy(): void {
    this.closed = true;
    for (const connection of this.connections.values()) connection.destroy();
    this.connections.clear();
    this.nats?.destroy();
  }

  private async control(name: string, verb: 'doc' | 'info' | 'stats' | 'stop', options: CallOptions): Promise<unknown> {
    try {
      const settings = this.timed(this.settings(options));
      const connection = await this.connection(name, settings);
      return await connection.control(verb, settings);
    } catch (error) {
      throw atCallSite(error, this.control);
    }
  }

  private settings(options: CallOptions | undefined): CallSettings {
    // Most calls take the client's defaults: one shared settings object, no allocation.
    if (options === undefined || (options.timeoutMs === undefined && options.signal === undefined)) return this.defaults;
    return { timeoutMs: options.timeoutMs ?? this.timeoutMs, signal: options.signal };
  }

  /** `settings` with the clock started now: the first contact and the call then share one deadline. */
  private timed(settings: CallSettings): CallSettings {
    const ms = settings.timeoutMs;
    return Number.isFinite(ms) && ms > 0 ? { ...settings, deadline: Date.now() + ms } : settings;
  }

  /**
   * How long the first contact (the kind probe) may take: the connect timeout, or less if the
   * call's deadline comes first, in which case running out of time is the call's timeout.
   */
  private probeBudget(name: string, path: string, settings: CallSettings): ProbeBudget {
    const left = settings.deadline === undefined ? Infinity : settings.deadline - Date.now();
    if (left > this.connectTimeoutMs) return { timeoutMs: this.connectTimeoutMs };
    const expired = () =>
      new LIPTimeoutError(`'${name}' did not answer within its deadline of ${settings.timeoutMs} ms (no answer yet from ${path}: its server is busy or blocked)`);
    if (left <= 0) throw expired();
    return { timeoutMs: left, expired };
  }

  private ensureScanned(): Promise<void> {
    if (!this.scanned) {
      const scan = this.scan();
      this.scanned = scan;
      // A failed scan (an unsafe directory, say) is tried again next time, not remembered.
      scan.catch(() => {
        if (this.scanned === scan) this.scanned = undefined;
      });
    }
    return this.scanned;
  }

  private async scan(): Promise<void> {
    // Listed through the real path of a directory whose every parent is safe.
    const real = await checkSocketDir(this.socketDir, this.trust, 'connect');
    const entries = await scanSocketDir(real ?? this.socketDir);
    const known = new Map(entries.map((e) => [e.name, e.path]));
    for (const [name, connection] of this.connections) {
      if (!known.has(name)) {
        connection.destroy('the socket file is gone');
        this.connections.delete(name);
      }
    }
    this.known = known;
  }

  /** The open connection to `name`, opening (or reopening after a restart) as needed. */
  private async connection(name: string, settings: CallSettings = this.defaults): Promise<FunctionConnection> {
    if (this.closed) throw new LIPConnectionError(`'${name}': the client is closed`);
    const open = this.connections.get(name);
    if (open && !open.isClosed) return open;
    if (this.nats && this.prefer === 'nats' && (await this.servedOverNats(name))) return this.natsRoute(name);
    let path: string;
    try {
      path = await this.locate(name);
    } catch (error) {
      if (this.nats && error instanceof LIPNotFoundError && (await this.servedOverNats(name))) return this.natsRoute(name);
      throw error;
    }
    // Every new connection checks the socket directory and its parents, then the socket file's owner, as it connects (connectTrusted).
    // Gone before any Hello: whatever serves there now may be the other kind.
    if (open && !open.hello) this.kinds.forget(path);
    const { kind, connection: probed } = await this.kinds.open(path, this.probeBudget(name, path, settings));
    const opened = this.connections.get(name);
    if (opened && !opened.isClosed) {
      probed?.socket.destroy();
      return opened;
    }
    const options = { connectTimeoutMs: this.connectTimeoutMs, maxFrameBytes: this.maxFrameBytes, trust: this.trust };
    const connection = kind === 'one-shot' ? new OneShotConnection(name, path, options) : new ClientConnection(name, path, { ...options, probed });
    this.connections.set(name, connection);
    return connection;
  }

  /** Whether NATS has `name`, looking again once if the last discovery did not see it. */
  private async servedOverNats(name: string): Promise<boolean> {
    if (await this.nats!.has(name)) return true;
    await this.nats!.names(true);
    return this.nats!.has(name);
  }

  private natsRoute(name: string): NatsRoute {
    const route = new NatsRoute(name, this.nats!);
    this.connections.set(name, route);
    return route;
  }

  private async locate(name: string): Promise<string> {
    if (typeof name !== 'string' || !isValidName(name)) {
      throw new LIPNotFoundError(`Function ${JSON.stringify(name)} is not a valid function name`);
    }
    await this.ensureScanned();
    const known = this.known.get(name);
    if (known) return known;
    // Started after our last scan? Its socket would be at the usual path.
    const path = socketPathFor(name, this.socketDir);
    const stats = await lstat(path).catch(() => undefined);
    if (stats?.isSocket()) {
      this.known.set(name, path);
      return path;
    }
    throw new LIPNotFoundError(`Function '${name}' not found in ${this.socketDir}${didYouMean(name, this.known.keys())}`);
  }
}

function kwargsOrNull(kwargs: Record<string, unknown> | undefined | null): Record<string, unknown> | null {
  if (kwargs == null) return null;
  if (typeof kwargs !== 'object' || Array.isArray(kwargs)) throw new TypeError('kwargs must be a plain object');
  for (const _ in kwargs) return kwargs;
  return null;
}

function validateClientOptions(options: LIPClientOptions): void {
  const nonNegative = (key: keyof LIPClientOptions) => {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'number' || !(value >= 0))) {
      throw new TypeError(`LIPClient option '${key}' must be a non-negative number, got ${String(value)}`);
    }
  };
  const positiveInteger = (key: keyof LIPClientOptions) => {
    const value = options[key];
    if (value !== undefined && !(typeof value === 'number' && Number.isInteger(value) && value > 0)) {
      throw new TypeError(`LIPClient option '${key}' must be a whole number > 0, got ${String(value)}`);
    }
  };
  nonNegative('timeoutMs');
  nonNegative('connectTimeoutMs');
  positiveInteger('maxFrameBytes');
  positiveInteger('streamWindow');
  if (options.prefer !== undefined && options.prefer !== 'local' && options.prefer !== 'nats') {
    throw new TypeError(`LIPClient option 'prefer' must be 'local' or 'nats'`);
  }
  const nats = options.nats;
  if (nats !== undefined && !(typeof nats === 'string' || (Array.isArray(nats) && nats.every((u) => typeof u === 'string')))) {
    throw new TypeError(`LIPClient option 'nats' must be a URL or a list of URLs`);
  }
  const trust = options.trustUids;
  if (trust !== undefined && !(Array.isArray(trust) && trust.every((u) => Number.isInteger(u) && u >= 0))) {
    throw new TypeError(`LIPClient option 'trustUids' must be an array of uids (whole numbers >= 0)`);
  }
  if (options.socketDir !== undefined && typeof options.socketDir !== 'string') {
    throw new TypeError(`LIPClient option 'socketDir' must be a string`);
  }
}

/** Pulls a stream's items with bounded buffering: credit is granted as items are consumed. */
class StreamReader<T> implements AsyncIterator<T> {
  private readonly buffer: unknown[] = [];
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: Error) => void } | undefined;
  private ended = false;
  private failure: Error | undefined;
  private started: Promise<void> | undefined;
  private connection: FunctionConnection | undefined;
  private id: number | undefined;
  private consumed = 0;

  constructor(
    private readonly open: () => Promise<{ connection: FunctionConnection; settings: CallSettings }>,
    private readonly fn: string,
    private readonly args: unknown[],
    private readonly kwargs: Record<string, unknown> | null,
    private readonly window: number,
  ) {}

  async next(): Promise<IteratorResult<T>> {
    try {
      this.started ??= this.start();
      await this.started;
      if (this.buffer.length > 0) return { value: this.takeItem(), done: false };
      if (this.failure) throw this.failure;
      if (this.ended) return { value: undefined, done: true };
      return await new Promise<IteratorResult<T>>((resolve, reject) => (this.waiter = { resolve, reject }));
    } catch (error) {
      throw atCallSite(error, this.next);
    }
  }

  async return(): Promise<IteratorResult<T>> {
    // The consumer left early: stop the generator on the server.
    const open = !this.ended && !this.failure;
    this.ended = true; // from here a failure caused by our own cancel is not the reader's concern
    if (open && this.started) {
      // Still opening: wait until the request is out, so there is an id to cancel.
      await this.started.catch(() => {});
      if (this.connection && this.id !== undefined && this.id > 0) {
        this.connection.cancel(this.id, new LIPAbortError(`'${this.fn}': the stream was closed by its reader`));
      }
    }
    return { value: undefined, done: true };
  }

  private async start(): Promise<void> {
    const { connection, settings } = await this.open();
    this.connection = connection;
    const sink = {
      item: (value: unknown) => {
        if (this.waiter) {
          const waiter = this.waiter;
          this.waiter = undefined;
          this.countConsumed();
          waiter.resolve({ value: value as T, done: false });
        } else this.buffer.push(value);
      },
      end: () => {
        this.ended = true;
        this.wake();
      },
      fail: (error: Error) => {
        // A cancel we asked for is not an error to our reader.
        if (this.ended) return;
        this.failure = error;
        this.wake();
      },
    };
    const { id, done } = connection.openStream(this.fn, this.args, this.kwargs, settings, sink, this.window);
    done.catch(() => {});
    this.id = await Promise.race([id, done.then(() => -1, () => -1)]);
  }

  private takeItem(): T {
    this.countConsumed();
    return this.buffer.shift() as T;
  }

  // Credit goes back in batches of half a window: fewer frames, same bound.
  private countConsumed(): void {
    this.consumed++;
    if (this.consumed >= Math.max(1, this.window >> 1) && this.id !== undefined && this.id > 0) {
      this.connection?.grantCredit(this.id, this.consumed);
      this.consumed = 0;
    }
  }

  private wake(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    if (this.failure) waiter.reject(this.failure);
    else waiter.resolve({ value: undefined, done: true });
  }
}
