/**
 * One served function: its options, parameters, docs, cache, stats and
 * logger, and its socket server while it is served. Local calls of the
 * wrapper and remote calls both come through here.
 */
import type { Logger } from 'pino';
import { createBinder, type Binder } from './binding.js';
import type { CallContext } from '../call/context.js';
import { resolveSocketDir, socketPathFor } from '../transport/socket-names.js';
import { isAsyncIterable, isPromiseLike, onIterationEnd, type Endpoint } from '../call/endpoint.js';
import { ErrorCode, LIPAbortError, LIPArgumentError, LIPBusyError, LIPError, ownFault } from '../errors.js';
import type { FunctionInfo, FunctionStats, ParamInfo } from './introspection.js';
import { createLogger } from '../log/logger.js';
import type { LIPModuleOptions } from './options.js';
import { ResultCache } from './result-cache.js';
import { argumentsJsonSchema, validateArguments } from './schema.js';
import { SocketServer } from '../server/socket-server.js';
import { formatSignature, parseFunction, withWrittenTypes } from './signature.js';
import { docFromSource, locateCaller, writtenSignature } from './source-doc.js';
import { CallStats } from './stats.js';
import { serveOneShot } from '../python/one-shot-server.js';
import { LIB_ID } from '../version.js';

type AnyFunction = (...args: never[]) => unknown;

export interface InitOptions {
  /** Serve in this directory instead of the one given to LIPModule. */
  socketDir?: string;
  /** Also serve over NATS, as a NATS service (one URL or several). */
  nats?: string | string[];
  /** Serve on the Unix socket. Set false to serve over NATS only. @default true */
  socket?: boolean;
}

export interface ExitOptions {
  /** How long running calls may take to finish. @default the `exitTimeoutMs` option (10000) */
  timeoutMs?: number;
}

const DEFAULT_EXIT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_QUEUE = 1000;

// Paths served by this process, so a second instance with the same name gets a clear error.
const servedHere = new Map<string, ServedFunction>();

export class ServedFunction implements Endpoint {
  readonly name: string;
  /** As read from the compiled function; `signature()` completes them from the TypeScript source. */
  private readonly compiledParams: ParamInfo[];
  private written: { params: ParamInfo[]; returns?: string } | undefined;
  readonly streaming: boolean;
  readonly log: Logger;
  private readonly flushLog: () => Promise<void>;
  private readonly fn: AnyFunction;
  private readonly options: LIPModuleOptions;
  private readonly thisArg: unknown;
  private binder: Binder | undefined;
  private readonly cache: ResultCache | undefined;
  private readonly stat = new CallStats();
  private readonly bodyComment: string | undefined;
  private readonly callSites: (Error | undefined)[];
  private documentation: string | null | undefined;
  private server: SocketServer | undefined;
  private nats: import('../nats/serve.js').NatsServing | undefined;
  private starting: Promise<void> | undefined;
  private servedPath: string | undefined;
  private running = 0;
  private readonly queue: (() => void)[] = [];
  // Cached once: pino swaps disabled levels for no-ops, and we skip building their arguments too.
  private debugEnabled: boolean;

  constructor(fn: AnyFunction, name: string, options: LIPModuleOptions, callSites: (Error | undefined)[], thisArg?: unknown) {
    this.fn = fn;
    this.name = name;
    this.options = options;
    this.thisArg = thisArg;
    this.callSites = callSites;
    const parsed = parseFunction(fn);
    this.compiledParams = parsed.params;
    this.streaming = parsed.isGenerator && parsed.isAsync;
    this.bodyComment = parsed.bodyComment;
    this.cache = options.lru ? new ResultCache({ max: options.lruMax ?? 0, ttlMs: options.lruTtlMs ?? 0, clock: options.clock }) : undefined;
    const logging = createLogger({ name, logLevel: options.logLevel, logFile: options.logFile, logger: options.logger });
    this.log = logging.logger;
    this.flushLog = logging.flush;
    this.debugEnabled = this.log.isLevelEnabled('debug');
    this.log.on?.('level-change', () => (this.debugEnabled = this.log.isLevelEnabled('debug')));
  }

  get socketPath(): string | undefined {
    return this.servedPath;
  }

  get serving(): boolean {
    return this.server !== undefined || this.nats !== undefined;
  }

  /** A direct call of the wrapper: positional, through the cache when `lru` is on. */
  callLocal(thisArg: unknown, args: unknown[]): unknown {
    const target = this.thisArg ?? thisArg;
    if (!this.cache || this.streaming) return this.fn.apply(target, args as never[]);
    const key = this.cache.keyFor(args);
    if (key === undefined) return this.fn.apply(target, args as never[]);
    return this.cache.through(key, () => this.fn.apply(target, args as never[]));
  }

  // ---- Endpoint: what the server calls --------------------------------

  invoke(args: unknown[], kwargs: Record<string, unknown> | null, context: CallContext): unknown {
    const started = performance.now();
    this.stat.inFlight++;
    let result: unknown;
    try {
      // Made at the first call: which parameters are optional may come from reading the TypeScript source.
      const bound = (this.binder ??= createBinder(this.signature().params)).bind(args, kwargs);
      result = this.options.schema ? thenOrNow(validateArguments(this.options.schema, bound), (valid) => this.admit(valid, context)) : this.admit(bound, context);
    } catch (error) {
      this.done(started, context, true, error, args, kwargs);
      throw error;
    }
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then(
        (value) => this.settled(value, started, context, args, kwargs),
        (error: unknown) => {
          this.done(started, context, true, error, args, kwargs);
          throw error;
        },
      );
    }
    return this.settled(result, started, context, args, kwargs);
  }

  /** A value is done now; a stream is done (for figures and logs) when its iteration ends. */
  private settled(value: unknown, started: number, context: CallContext, args: unknown[], kwargs: Record<string, unknown> | null): unknown {
    if (isAsyncIterable(value)) return onIterationEnd(value, (failed, error) => this.done(started, context, failed, error, args, kwargs));
    this.done(started, context, false, undefined, args, kwargs);
    return value;
  }

  doc(): string | null {
    if (this.documentation === undefined) {
      this.documentation =
        this.options.doc ??
        docFromSource(this.callSites.map(locateCaller), this.fn.name || undefined) ??
        this.bodyComment ??
        null;
    }
    return this.documentation;
  }

  /** Parameters and return type, with types, `?` and defaults from the TypeScript source when it can be read. */
  signature(): { params: ParamInfo[]; returns?: string } {
    this.written ??= withWrittenTypes(this.compiledParams, writtenSignature(this.callSites.map(locateCaller), this.fn.name || undefined, this.name));
    return this.written;
  }

  info(): FunctionInfo {
    const { params, returns } = this.signature();
    const info: FunctionInfo = {
      name: this.name,
      doc: this.doc(),
      params,
      signature: formatSignature(this.name, params),
      ...(returns === undefined ? {} : { returns }),
      version: this.options.version ?? '0.0.0',
      lib: LIB_ID,
      pid: process.pid,
      startedAt: new Date(this.stat.startedAt).toISOString(),
      streaming: this.streaming,
      cache: { enabled: this.cache !== undefined, max: this.options.lruMax ?? 0, ttlMs: this.options.lruTtlMs ?? 0 },
    };
    const schema = this.options.schema && argumentsJsonSchema(this.options.schema);
    if (schema !== undefined) info.schema = schema;
    return info;
  }

  stats(): FunctionStats {
    return this.stat.snapshot(this.name, {
      queued: this.queue.length,
      cacheSize: this.cache?.size ?? 0,
      cacheHits: this.cache?.hits ?? 0,
      cacheMisses: this.cache?.misses ?? 0,
    });
  }

  // ---- lifecycle -------------------------------------------------------

  async init(options: InitOptions = {}): Promise<void> {
    validateInitOptions(options);
    if (this.server || this.nats || this.starting) {
      throw new LIPError(`'${this.name}' is already served${this.servedPath ? ` at ${this.servedPath}` : ''}`, { code: ErrorCode.AlreadyServed });
    }
    if (options.socket === false && !options.nats) throw new TypeError("init(): with socket: false, give a 'nats' server to serve on");
    let done!: () => void;
    this.starting = new Promise<void>((resolve) => (done = resolve));
    try {
      if (options.socket !== false) await this.startSocket(options);
      if (options.nats) await this.startNats(options.nats);
    } catch (error) {
      await this.stop({ timeoutMs: 0 });
      throw error;
    } finally {
      this.starting = undefined;
      done();
    }
  }

  private async startSocket(options: InitOptions): Promise<void> {
    const path = socketPathFor(this.name, resolveSocketDir(options.socketDir ?? this.options.socketDir));
    const other = servedHere.get(path);
    if (other) {
      throw new LIPError(`'${this.name}' is already served by another function in this process at ${path}; give one of them a distinct name`, {
        code: ErrorCode.AlreadyServed,
      });
    }
    servedHere.set(path, this);
    const server: SocketServer = new SocketServer(this, {
      maxFrameBytes: this.options.maxFrameBytes,
      socketMode: this.options.socketMode,
      idleTimeoutMs: this.options.idleTimeoutMs,
      maxConnections: this.options.maxConnections,
      maxInFlightPerConnection: this.options.maxInFlightPerConnection,
      maxConnectionBytes: this.options.maxConnectionBytes,
      maxServerBytes: this.options.maxServerBytes,
      sendStacks: this.options.sendStacks,
      logger: this.log,
      onStopRequest: () => {
        this.log.info('stop requested by a client');
        void this.exit().catch((error: unknown) => this.log.error({ err: error }, 'exit failed'));
      },
      onOneShot: (socket, firstBytes) => serveOneShot(server, socket, firstBytes),
    });
    try {
      await server.listen(path);
    } catch (error) {
      servedHere.delete(path);
      throw error;
    }
    this.server = server;
    this.servedPath = path;
    this.log.info({ socket: path }, `serving '${this.name}'`);
  }

  private async startNats(servers: string | string[]): Promise<void> {
    // Loaded only by those who serve over NATS.
    const { NatsServing } = await import('../nats/serve.js');
    this.nats = await NatsServing.start(this, { servers, logger: this.log, sendStacks: this.options.sendStacks });
    this.log.info({ nats: servers }, `serving '${this.name}' over NATS`);
  }

  async exit(options: ExitOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs;
    if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0)) {
      throw new TypeError(`exit(): 'timeoutMs' must be a number of milliseconds >= 0, got ${String(timeoutMs)}`);
    }
    // Called while init() is still starting: let it finish, then stop what it started.
    await this.starting;
    await this.stop(options);
  }

  private async stop(options: ExitOptions): Promise<void> {
    const { server, nats } = this;
    if (!server && !nats) return;
    this.server = undefined;
    this.nats = undefined;
    const timeoutMs = options.timeoutMs ?? this.options.exitTimeoutMs ?? DEFAULT_EXIT_TIMEOUT_MS;
    this.log.info({ inFlight: this.stat.inFlight }, `shutting down '${this.name}'`);
    const [onSocket, onNats] = await Promise.all([server?.close(timeoutMs), nats?.stop(timeoutMs)]);
    if (server) servedHere.delete(this.servedPath!);
    this.servedPath = undefined;
    const unfinished = (onSocket?.unfinished ?? 0) + (onNats?.unfinished ?? 0);
    if (unfinished > 0) this.log.warn({ unfinished }, `${unfinished} call(s) still running after ${timeoutMs} ms were cut off`);
    this.log.info(`stopped '${this.name}'`);
    await this.flushLog();
  }

  // ---- inside a call ---------------------------------------------------

  /** Runs the call now, or queues it when `concurrency` calls are already running. */
  private admit(bound: unknown[], context: CallContext): unknown {
    const limit = this.options.concurrency;
    if (!limit) return this.execute(bound);
    if (this.running < limit) return this.runGated(bound);
    const maxQueue = this.options.maxQueue ?? DEFAULT_MAX_QUEUE;
    if (this.queue.length >= maxQueue) {
      throw ownFault(new LIPBusyError(`'${this.name}' is busy: ${limit} call(s) running and ${this.queue.length} queued`));
    }
    return new Promise<void>((resolve, reject) => {
      const signal = context.signal;
      // A caller that gives up while waiting leaves the queue at once: it must not hold a place.
      const onAbort = () => {
        const at = this.queue.indexOf(admitted);
        if (at >= 0) this.queue.splice(at, 1);
        reject(ownFault(new LIPAbortError('cancelled while queued')));
      };
      const admitted = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(admitted);
    }).then(() => this.runGated(bound, true));
  }

  private runGated(bound: unknown[], alreadyCounted = false): unknown {
    if (!alreadyCounted) this.running++;
    let result: unknown;
    try {
      result = this.execute(bound);
    } catch (error) {
      this.release();
      throw error;
    }
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then(
        (value) => this.releaseAfter(value),
        (error: unknown) => {
          this.release();
          throw error;
        },
      );
    }
    return this.releaseAfter(result);
  }

  /** A stream keeps its slot until its iteration ends. */
  private releaseAfter(value: unknown): unknown {
    if (isAsyncIterable(value)) return onIterationEnd(value, () => this.release());
    this.release();
    return value;
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) next(); // the slot passes straight to the next caller
    else this.running--;
  }

  private execute(bound: unknown[]): unknown {
    if (!this.cache || this.streaming) return this.fn.apply(this.thisArg, bound as never[]);
    const key = this.cache.keyFor(bound);
    if (key === undefined) return this.fn.apply(this.thisArg, bound as never[]);
    return this.cache.through(key, () => this.fn.apply(this.thisArg, bound as never[]));
  }

  private done(started: number, context: CallContext, failed: boolean, error: unknown, args: unknown[], kwargs: Record<string, unknown> | null): void {
    const ms = performance.now() - started;
    this.stat.inFlight--;
    this.stat.record(ms, failed, error);
    if (failed) {
      const fields = { callId: context.callId, ms, ...(this.options.logArgs ? { args, kwargs } : {}) };
      // Its caller went away (cancel, deadline, dropped connection) and the function ended on that: nothing failed.
      if (context.signal.aborted) this.log.info({ ...fields, outcome: 'cancelled', err: errorSummary(context.signal.reason, false) }, `'${this.name}' cancelled`);
      else if (error instanceof LIPArgumentError) this.log.warn({ ...fields, outcome: 'error', err: errorSummary(error, false) }, `bad arguments for '${this.name}'`);
      // An error the function threw is an outcome the caller receives, not a fault of the server: a warning, its stack only at debug.
      else this.log.warn({ ...fields, outcome: 'error', err: errorSummary(error, this.debugEnabled) }, `'${this.name}' failed`);
    } else if (this.debugEnabled) {
      const fields = { callId: context.callId, ms, outcome: 'ok' };
      this.log.debug(this.options.logArgs ? { ...fields, args, kwargs } : fields, `call '${this.name}'`);
    }
  }
}

function validateInitOptions(options: InitOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError('init() takes an options object');
  if (options.socketDir !== undefined && typeof options.socketDir !== 'string') throw new TypeError("init(): 'socketDir' must be a string");
  if (options.socket !== undefined && typeof options.socket !== 'boolean') throw new TypeError("init(): 'socket' must be a boolean");
  const nats = options.nats;
  if (nats !== undefined && !(typeof nats === 'string' || (Array.isArray(nats) && nats.every((u) => typeof u === 'string')))) {
    throw new TypeError("init(): 'nats' must be a URL or a list of URLs");
  }
}

/** Name, code and message of what a function threw (and its stack, when asked). */
function errorSummary(error: unknown, withStack: boolean): { name: string; message: string; code?: unknown; stack?: string } {
  if (!(error instanceof Error)) return { name: typeof error, message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, ...(code === undefined ? {} : { code }), ...(withStack && error.stack ? { stack: error.stack } : {}) };
}

function thenOrNow<T, R>(value: T | Promise<T>, next: (value: T) => R): R | Promise<Awaited<R>> {
  return isPromiseLike(value) ? (Promise.resolve(value).then(next) as Promise<Awaited<R>>) : next(value);
}
