/**
 * LIPClient, the facade: one connection per function (a lipmodule socket, the Python original or
 * NATS), and calls, streams, introspection and pings through it. Finding sockets is the
 * SocketLocator's job, telling server kinds apart ServerKinds', choosing NATS the NatsPreference's.
 */
import { lstat } from 'node:fs/promises';
import { deadlineAfter, remainingMs } from '../call/deadline.js';
import { inheritFrom, servedCall } from '../call/nested.js';
import type { FunctionInfo, FunctionStats } from '../function/introspection.js';
import { LIPConnectionError, LIPNotFoundError } from '../errors.js';
import { natsSubject } from '../nats/names.js';
import { activeTelemetry, type Telemetry } from '../telemetry/active.js';
import { ClientCallRecord } from '../telemetry/call-record.js';
import { RpcTarget } from '../telemetry/rpc-target.js';
import { tracedCall, TracedStream } from '../telemetry/traced-client.js';
import { isValidName, resolveSocketDir, socketPathFor, type SocketEntry } from '../transport/socket-names.js';
import { restartAnnounced, restartMarkerPath } from '../transport/restart-marker.js';
import { SocketTrust } from '../transport/socket-trust.js';
import type { SocketState } from '../transport/unix-socket.js';
import { OneShotConnection } from '../python/one-shot-connection.js';
import { callTimedOut } from './call-errors.js';
import { atCallSite } from './call-site.js';
import { ClientConnection } from './client-connection.js';
import { CLIENT_DEFAULTS, kwargsOrNull, validateClientOptions, type CallOptions, type LIPClientOptions, type ListOptions } from './client-options.js';
import type { CallSettings, FunctionConnection } from './function-connection.js';
import { LazyStream } from './lazy-stream.js';
import { NatsPreference } from './nats-preference.js';
import { remoteCall } from './remote-call.js';
import { isDrainRefusal, waitingForRestart } from './restart-wait.js';
import { findChannels } from './argument-finder.js';
import { notLipServer, probedState, probeSaysNotLip, ServerKinds, type ProbeBudget } from './server-kind.js';
import { SocketLocator } from './socket-locator.js';

export type { CallOptions, LIPClientOptions, ListOptions } from './client-options.js';

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
  ? (...args: CallerArguments<A>) => R extends AsyncIterable<infer T> ? AsyncIterable<T> : Promise<Awaited<R>>
  : never;

/**
 * What a caller passes for a served function's parameter: the same type, except that for a callback
 * (which the served function sees as async) the caller's function may answer at once or with a promise.
 * An `AsyncIterable<T>` parameter takes an async generator, a Node Readable or a web ReadableStream of T.
 */
export type CallerArgument<P> = P extends (...args: infer A) => infer R ? (...args: A) => Awaited<R> | Promise<Awaited<R>> : P;
type CallerArguments<A extends unknown[]> = { [K in keyof A]: CallerArgument<A[K]> };

const NO_ARGS: readonly unknown[] = Object.freeze([]);

export class LIPClient {
  readonly socketDir: string;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly maxFrameBytes: number | undefined;
  private readonly streamWindow: number;
  private readonly maxCallbackCalls: number | undefined;
  private readonly connections = new Map<string, FunctionConnection>();
  private readonly trust: SocketTrust;
  private readonly sockets: SocketLocator;
  private readonly kinds: ServerKinds;
  private readonly nats: NatsPreference | undefined;
  private readonly defaults: CallSettings;
  // How telemetry names each connection's calls, made at its first traced call.
  private readonly targets = new WeakMap<FunctionConnection, RpcTarget>();
  private closed = false;

  constructor(options: LIPClientOptions = {}) {
    validateClientOptions(options);
    this.socketDir = resolveSocketDir(options.socketDir);
    this.timeoutMs = options.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs;
    this.connectTimeoutMs = options.connectTimeoutMs ?? CLIENT_DEFAULTS.connectTimeoutMs;
    this.maxFrameBytes = options.maxFrameBytes;
    this.streamWindow = options.streamWindow ?? CLIENT_DEFAULTS.streamWindow;
    this.maxCallbackCalls = options.maxCallbackCalls;
    this.trust = new SocketTrust(options.trustUids);
    this.sockets = new SocketLocator(this.socketDir, this.trust);
    this.kinds = new ServerKinds(this.trust);
    this.nats = options.nats ? new NatsPreference(options.nats, options.prefer ?? CLIENT_DEFAULTS.prefer) : undefined;
    this.defaults = Object.freeze({ timeoutMs: this.timeoutMs, signal: undefined });
  }

  /** Names of the functions that answer, sorted. Scans the directory the first time. */
  async listFunctions(options: ListOptions = {}): Promise<string[]> {
    const [sockets, remote] = await Promise.all([this.listSockets(options), this.nats?.directory.names() ?? []]);
    const local = sockets.filter((s) => s.state === 'live').map((s) => s.name);
    return remote.length === 0 ? local : [...new Set([...local, ...remote])].sort();
  }

  /** Names of the functions served over NATS (needs the `nats` option), sorted. */
  async listNatsFunctions(): Promise<string[]> {
    return this.nats ? this.nats.directory.names() : [];
  }

  /** Every socket file in the directory with its state: live, stale (nobody answers) or missing. */
  async listSockets(options: ListOptions = {}): Promise<SocketStatus[]> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    if (!(typeof timeoutMs === 'number' && timeoutMs >= 0))
      throw new TypeError(`listing option 'timeoutMs' must be a non-negative number, got ${String(timeoutMs)}`);
    const budget = { timeoutMs: timeoutMs > 0 ? Math.min(timeoutMs, this.connectTimeoutMs) : this.connectTimeoutMs };
    const entries = await this.sockets.entries();
    const states = await Promise.all(
      entries.map(async (entry): Promise<SocketStatus> => {
        const open = this.connections.get(entry.name);
        if (open && !open.isClosed && open.hello) return { ...entry, state: 'live' };
        // Another user's file is reported from its owner alone: not even probed.
        const owner = await lstat(entry.path).then(
          (stats) => stats.uid,
          () => undefined,
        );
        if (owner === undefined) return { ...entry, state: 'missing' };
        if (!this.trust.trusts(owner)) return { ...entry, state: 'untrusted' };
        return { ...entry, state: await probedState(this.kinds, entry.path, budget) };
      }),
    );
    return states.filter((s) => s.state !== 'missing');
  }

  /** Rescans the socket directory; returns the names found (live or not). */
  async refreshSockets(): Promise<string[]> {
    const [local, remote] = await Promise.all([this.sockets.rescan(), this.nats?.directory.rediscover() ?? []]);
    this.dropGoneSockets();
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
      return (await this.connection(name, this.timed(this.settings(options)))).kind;
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
  async callFunction<T = unknown>(name: string, args: readonly unknown[] = NO_ARGS, kwargs?: Record<string, unknown>, options?: CallOptions): Promise<T> {
    if (!Array.isArray(args)) throw new TypeError('args must be an array');
    try {
      const open = this.closed ? undefined : this.connections.get(name);
      // The common case, an open connection, takes no extra await.
      if (open && !open.isClosed) return (await this.send(open, name, args as unknown[], kwargsOrNull(kwargs), this.settings(options))) as T;
      // First contact: finding the server is part of the call, and counts against its deadline.
      const settings = this.timed(this.settings(options));
      const connection = await this.connection(name, settings);
      return (await this.send(connection, name, args as unknown[], kwargsOrNull(kwargs), settings)) as T;
    } catch (error) {
      // A call passing callbacks or iterables is not sent twice: its iterables may have been closed with it.
      if (!isDrainRefusal(error) || findChannels(args as unknown[], kwargsOrNull(kwargs))) throw atCallSite(error, this.callFunction);
      try {
        return (await this.afterDrain(
          name,
          error,
          (connection, settings) => this.send(connection, name, args as unknown[], kwargsOrNull(kwargs), settings),
          options,
        )) as T;
      } catch (again) {
        throw atCallSite(again, this.callFunction);
      }
    }
  }

  /**
   * A draining server refused the call (it never ran): once more on a new connection, which reaches
   * the server that took the socket over (a reload). If nobody took over, the refusal stands.
   */
  private async afterDrain(
    name: string,
    refusal: unknown,
    send: (connection: FunctionConnection, settings: CallSettings) => Promise<unknown>,
    options: CallOptions | undefined,
  ): Promise<unknown> {
    const settings = this.timed(this.settings(options));
    const connection = await this.connection(name, settings, { wait: false }).catch(() => Promise.reject(refusal));
    return send(connection, settings);
  }

  /**
   * Streams the values of a function that returns an async iterable. Breaking
   * out of the loop, aborting, or the deadline stops the function on the server.
   */
  stream<T = unknown>(name: string, args: readonly unknown[] = [], kwargs: Record<string, unknown> = {}, options: CallOptions = {}): AsyncIterable<T> {
    // Streams wait for ever unless the caller (or the served call this runs in) sets a deadline.
    const untimed = this.inherited({ timeoutMs: options.timeoutMs ?? 0, signal: options.signal }, options);
    const request = { fn: name, args: args as unknown[], kwargs: kwargsOrNull(kwargs), window: this.streamWindow };
    // The stream's clock starts when it is first read.
    const open = async () => {
      const settings = this.timed(untimed);
      const connection = await this.connection(name, settings);
      const telemetry = activeTelemetry();
      if (telemetry === undefined) return connection.stream({ ...request, settings });
      const record = new ClientCallRecord(telemetry, this.rpcTarget(name, connection));
      return new TracedStream(record, connection.stream({ ...request, settings: { ...settings, trace: record.carrier } }));
    };
    return { [Symbol.asyncIterator]: () => new LazyStream<T>(open) };
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
    await this.nats?.directory.close();
  }

  /** Closes every connection now; pending calls reject with LIPConnectionError. */
  destroy(): void {
    this.closed = true;
    for (const connection of this.connections.values()) connection.destroy();
    this.connections.clear();
    this.nats?.directory.destroy();
  }

  private async control(name: string, verb: 'doc' | 'info' | 'stats' | 'stop', options: CallOptions): Promise<unknown> {
    try {
      const settings = this.timed(this.settings(options));
      const connection = await this.connection(name, settings);
      return await connection
        .control(verb, settings)
        .catch((error: unknown) =>
          isDrainRefusal(error) ? this.afterDrain(name, error, (again, s) => again.control(verb, s), options) : Promise.reject(error),
        );
    } catch (error) {
      throw atCallSite(error, this.control);
    }
  }

  private settings(options: CallOptions | undefined): CallSettings {
    // Most calls take the client's defaults: one shared settings object, no allocation.
    const own =
      options === undefined || (options.timeoutMs === undefined && options.signal === undefined)
        ? this.defaults
        : { timeoutMs: options.timeoutMs ?? this.timeoutMs, signal: options.signal };
    return this.inherited(own, options);
  }

  /** Inside a served call (unless `detached`): the sooner deadline of the two, and cancelled with it. */
  private inherited(own: CallSettings, options: CallOptions | undefined): CallSettings {
    if (options?.detached === true) return own;
    const served = servedCall();
    return served === undefined ? own : inheritFrom(served, own);
  }

  /** One call on `connection`; with an SDK registered, in a CLIENT span whose context travels with it. */
  private send(
    connection: FunctionConnection,
    name: string,
    args: unknown[],
    kwargs: Record<string, unknown> | null,
    settings: CallSettings,
  ): Promise<unknown> {
    const telemetry = activeTelemetry();
    if (telemetry === undefined) return connection.call(name, args, kwargs, settings);
    return this.traced(telemetry, connection, name, args, kwargs, settings);
  }

  private traced(
    telemetry: Telemetry,
    connection: FunctionConnection,
    name: string,
    args: unknown[],
    kwargs: Record<string, unknown> | null,
    settings: CallSettings,
  ): Promise<unknown> {
    return tracedCall(telemetry, this.rpcTarget(name, connection), (trace) => connection.call(name, args, kwargs, trace ? { ...settings, trace } : settings));
  }

  private rpcTarget(name: string, connection: FunctionConnection): RpcTarget {
    let target = this.targets.get(connection);
    if (target === undefined) {
      target =
        connection.kind === 'nats'
          ? new RpcTarget({ method: name, serverAddress: natsSubject(name), transport: 'tcp' })
          : new RpcTarget({ method: name, serverAddress: socketPathFor(name, this.socketDir), transport: 'unix' });
      this.targets.set(connection, target);
    }
    return target;
  }

  /** `settings` with the clock started now: the first contact and the call then share one deadline. */
  private timed(settings: CallSettings): CallSettings {
    // An inherited deadline is already set, and passes when the served call's does.
    if (settings.deadline !== undefined) return settings;
    const deadline = deadlineAfter(settings.timeoutMs);
    return deadline === undefined ? settings : { ...settings, deadline };
  }

  /**
   * How long the first contact (the kind probe) may take: the connect timeout, or less if the
   * call's deadline comes first, in which case running out of time is the call's timeout.
   */
  private probeBudget(name: string, path: string, settings: CallSettings): ProbeBudget {
    const left = remainingMs(settings.deadline) ?? Infinity;
    if (left > this.connectTimeoutMs) return { timeoutMs: this.connectTimeoutMs };
    const expired = () => callTimedOut(name, settings.timeoutMs, `no answer yet from ${path}: its server is busy or blocked`);
    if (left <= 0) throw expired();
    return { timeoutMs: left, expired };
  }

  /** Connections to sockets the last scan no longer found are ended (NATS routes have no socket file). */
  private dropGoneSockets(): void {
    for (const [name, connection] of this.connections) {
      if (connection.kind !== 'nats' && !this.sockets.has(name)) {
        connection.destroy('the socket file is gone');
        this.connections.delete(name);
      }
    }
  }

  /**
   * The open connection to `name`, opening (or reopening after a restart) as needed. A function whose
   * restart is announced (restart-wait.ts) is waited for within the call's deadline (no deadline: the
   * connect timeout), unless `wait` is false.
   */
  private async connection(name: string, settings: CallSettings = this.defaults, how: { wait: boolean } = { wait: true }): Promise<FunctionConnection> {
    if (this.closed) throw new LIPConnectionError(`'${name}': the client is closed`);
    const open = this.connections.get(name);
    if (open && !open.isClosed) return open;
    if (this.nats && (await this.nats.goesFirst(name))) return this.keep(name, this.nats.route(name));
    const reopen = async () => {
      const connection = await this.openConnection(name, settings, this.connections.get(name));
      // Its connect failing is a restart gap to wait through, when one is announced.
      await connection.ready();
      return connection;
    };
    if (!how.wait) return reopen();
    return waitingForRestart(name, settings, { noDeadlineMs: this.connectTimeoutMs, announced: () => this.restartAnnounced(name) }, reopen);
  }

  private restartAnnounced(name: string): Promise<boolean> {
    if (!isValidName(name)) return Promise.resolve(false);
    return restartAnnounced(restartMarkerPath(name, this.socketDir), this.trust);
  }

  private async openConnection(name: string, settings: CallSettings, open: FunctionConnection | undefined): Promise<FunctionConnection> {
    let path: string;
    try {
      path = await this.sockets.locate(name);
    } catch (error) {
      if (!this.nats) throw error;
      if (await this.nats.takesOver(name, error)) return this.keep(name, this.nats.route(name));
      throw error instanceof LIPNotFoundError ? this.sockets.notFound(name, 'over NATS') : error;
    }
    // Every new connection checks the socket directory and its parents, then the socket file's owner, as it connects (connectTrusted).
    // Gone before any Hello: whatever serves there now may be the other kind.
    if (open && !open.hello) this.kinds.forget(path);
    const { kind, connection: probed } = await this.kinds.open(path, this.probeBudget(name, path, settings)).catch((error: unknown) => {
      throw probeSaysNotLip(error) ? notLipServer(name, error) : error;
    });
    const opened = this.connections.get(name);
    if (opened && !opened.isClosed) {
      probed?.socket.destroy();
      return opened;
    }
    const options = { connectTimeoutMs: this.connectTimeoutMs, maxFrameBytes: this.maxFrameBytes, trust: this.trust };
    return this.keep(
      name,
      kind === 'one-shot'
        ? new OneShotConnection(name, path, options)
        : new ClientConnection(name, path, { ...options, probed, maxCallbackCalls: this.maxCallbackCalls }),
    );
  }

  private keep(name: string, connection: FunctionConnection): FunctionConnection {
    this.connections.set(name, connection);
    return connection;
  }
}
