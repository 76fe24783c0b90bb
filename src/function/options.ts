/** The options of `LIPModule(options)`, and of a wrapped function's `init()` and `exit()`, checked once, up front. */
import type { Logger } from 'pino';
import { assertValidName } from '../transport/socket-names.js';
import { assertNatsOption, type NatsOption } from '../nats/connect-options.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../protocol/frame.js';
import { toPinoLevel, type LogLevel } from '../log/logger.js';
import { isStandardSchema, type StandardSchemaV1 } from './schema.js';

export interface LIPModuleOptions {
  /** Served name. @default the function's (or method's) own name */
  name?: string;
  /** Documentation returned by getDocstring; overrides the JSDoc found in the source. */
  doc?: string;
  /** The function's version, shown by `describe`. @default '0.0.0' */
  version?: string;
  /** Directory of the socket file. @default $LIP_SOCKET_DIR, else /tmp */
  socketDir?: string;
  /** The original's `log_level`: debug, info, warning, error, critical, silent, or 10..50. @default 'info' */
  logLevel?: LogLevel;
  /** `true` writes `log_<name>.log` in the working directory (rotated at 10 MiB, 5 kept); a string is the path. @default stderr */
  logFile?: boolean | string;
  /** Your own pino (or pino-compatible) logger; a child is made per function. */
  logger?: Logger;
  /** Include arguments in debug call logs. @default false */
  logArgs?: boolean;
  /** Cache results by the value of the bound arguments (the original's `lru`). @default false */
  lru?: boolean;
  /** Most cached results; 0 is unbounded, as in the original (`lru_max`). @default 0 */
  lruMax?: number;
  /** Cached results expire after this many milliseconds; 0 never. @default 0 */
  lruTtlMs?: number;
  /** Time source for `lruTtlMs`, in milliseconds. For tests. @default performance.now */
  clock?: () => number;
  /** A Standard Schema (zod, valibot, arktype) for the argument list, checked before each remote call. */
  schema?: StandardSchemaV1;
  /** Most calls of this function running at once; more wait in a queue. @default unlimited */
  concurrency?: number;
  /** Most calls waiting when `concurrency` is reached; beyond it callers get LIPBusyError. @default 1000 */
  maxQueue?: number;
  /** How long `exit()` lets running calls finish. @default 10000 */
  exitTimeoutMs?: number;
  /** Largest request frame accepted, in bytes. @default 16 MiB */
  maxFrameBytes?: number;
  /**
   * A connection with no call running and no whole message received for this long is closed
   * (an idle client, or one that sent half a frame and stopped); 0 never closes. A client with
   * calls in flight is never idle. Over NATS, a stream whose reader granted no credit for this long
   * is cut (its place among `maxInFlightPerConnection` given back). @default 300000 (5 minutes)
   */
  idleTimeoutMs?: number;
  /** Most client connections held at once; more are refused with ERR_LIP_BUSY. @default 1024 */
  maxConnections?: number;
  /** Most calls running at once for one connection (over NATS: for all NATS callers together); more are answered ERR_LIP_BUSY. @default 10000 */
  maxInFlightPerConnection?: number;
  /**
   * Most bytes one connection may make the server hold: request frames being received or whose
   * calls still run (counted at their announced size), and, separately, replies it has not read.
   * Past it the server stops reading that connection's requests until calls end or replies are read;
   * a reply that would pass it is answered ERR_LIP_BUSY instead. At least `maxFrameBytes`.
   * @default 2 × maxFrameBytes (32 MiB)
   */
  maxConnectionBytes?: number;
  /**
   * Most bytes all connections of this function's server may make it hold together (as above).
   * Past it, connections holding more than their slice (at most 1 MiB) stop being read, so small
   * calls still pass. At least `maxConnectionBytes`. @default 256 MiB
   */
  maxServerBytes?: number;
  /** Most callbacks and iterables one call may pass as arguments; a call with more is refused with LIPArgumentError. @default 16 */
  maxArgumentChannels?: number;
  /**
   * Bytes of an iterable argument's items the server buffers ahead of the function: credit for more
   * is granted only below it (and at most 16 items ahead). Counted in `maxConnectionBytes` too. @default 1 MiB
   */
  maxArgumentBufferBytes?: number;
  /** Callback calls waiting for the caller's answer on one connection; a call beyond it rejects with LIPBusyError. @default 256 */
  maxCallbackCalls?: number;
  /** Mode of the socket file. Widen it only on purpose. @default 0o600 */
  socketMode?: number;
  /** Send stack traces of thrown errors to callers. @default true */
  sendStacks?: boolean;
  /**
   * The function may run twice for one call without harm (it reads, or its effect is the same
   * however often it runs). Over NATS, a client then retries a call on another replica when the
   * first one does not answer in time; other functions are never run twice by the library. @default false
   */
  idempotent?: boolean;
}

const BOOLEAN_KEYS = ['lru', 'logArgs', 'sendStacks', 'idempotent'] as const;
const COUNT_KEYS = ['lruMax', 'lruTtlMs', 'exitTimeoutMs', 'maxQueue', 'idleTimeoutMs'] as const;
const POSITIVE_KEYS = [
  'concurrency',
  'maxFrameBytes',
  'maxConnections',
  'maxInFlightPerConnection',
  'maxConnectionBytes',
  'maxServerBytes',
  'maxArgumentChannels',
  'maxArgumentBufferBytes',
  'maxCallbackCalls',
] as const;
const STRING_KEYS = ['doc', 'version', 'socketDir'] as const;
const KNOWN = new Set<string>([
  'name',
  'logLevel',
  'logFile',
  'logger',
  'clock',
  'schema',
  'socketMode',
  ...BOOLEAN_KEYS,
  ...COUNT_KEYS,
  ...POSITIVE_KEYS,
  ...STRING_KEYS,
]);

/** Throws a TypeError naming the first bad option. */
export function validateModuleOptions(options: unknown): asserts options is LIPModuleOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`LIPModule options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  const o = options as Record<string, unknown>;
  const bad = (key: string, expected: string) => new TypeError(`LIPModule option '${key}' must be ${expected}, got ${JSON.stringify(o[key]) ?? typeof o[key]}`);
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) throw new TypeError(`LIPModule: unknown option '${key}'`);
  }
  if (o.name !== undefined) assertValidName(o.name, "LIPModule option 'name'");
  if (o.logLevel !== undefined) toPinoLevel(o.logLevel);
  for (const key of BOOLEAN_KEYS) if (o[key] !== undefined && typeof o[key] !== 'boolean') throw bad(key, 'a boolean');
  for (const key of STRING_KEYS) if (o[key] !== undefined && typeof o[key] !== 'string') throw bad(key, 'a string');
  for (const key of COUNT_KEYS) {
    const v = o[key];
    if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v >= 0)) throw bad(key, 'a whole number >= 0');
  }
  for (const key of POSITIVE_KEYS) {
    const v = o[key];
    if (v !== undefined && !(typeof v === 'number' && Number.isInteger(v) && v > 0)) throw bad(key, 'a whole number > 0');
  }
  const frameBytes = (o.maxFrameBytes as number | undefined) ?? DEFAULT_MAX_FRAME_BYTES;
  if (o.maxConnectionBytes !== undefined && (o.maxConnectionBytes as number) < frameBytes) {
    throw new TypeError(`LIPModule option 'maxConnectionBytes' must be at least 'maxFrameBytes' (${frameBytes}), got ${String(o.maxConnectionBytes)}`);
  }
  if (o.maxServerBytes !== undefined && (o.maxServerBytes as number) < ((o.maxConnectionBytes as number | undefined) ?? 2 * frameBytes)) {
    throw new TypeError(`LIPModule option 'maxServerBytes' must be at least 'maxConnectionBytes', got ${String(o.maxServerBytes)}`);
  }
  if (o.logFile !== undefined && typeof o.logFile !== 'boolean' && typeof o.logFile !== 'string') throw bad('logFile', 'true or a path');
  if (o.clock !== undefined && typeof o.clock !== 'function') throw bad('clock', 'a function returning milliseconds');
  if (o.schema !== undefined && !isStandardSchema(o.schema)) throw bad('schema', 'a Standard Schema validator (zod, valibot, arktype)');
  if (o.socketMode !== undefined && !(typeof o.socketMode === 'number' && Number.isInteger(o.socketMode) && o.socketMode >= 0 && o.socketMode <= 0o777)) {
    throw bad('socketMode', 'a file mode such as 0o600');
  }
  if (o.logger !== undefined && typeof (o.logger as { child?: unknown }).child !== 'function') throw bad('logger', 'a pino-compatible logger');
}

/** The options of a served function's `init()`. */
export interface InitOptions {
  /** Serve in this directory instead of the one given to LIPModule. */
  socketDir?: string;
  /**
   * Also serve over NATS, as a NATS service: a server URL, a list of them, or the NATS client's
   * connection options (`servers`, `user`/`pass`, `token`, `authenticator`, `tls`, `name`...) passed through.
   */
  nats?: NatsOption;
  /** Serve on the Unix socket. Set false to serve over NATS only. @default true */
  socket?: boolean;
  /**
   * Take the socket path over from the server there (a previous version of this function, run by you):
   * the new socket is bound under a temporary name beside the path, then renamed over it in one atomic
   * step, so a client connecting at any moment reaches one server or the other, never nothing. The old
   * server keeps its open connections and should then drain (`exit()`); it leaves the new file in place.
   * A file of another user, or one that is not a socket, is never replaced. `lip up --watch` reloads so.
   * @default false
   */
  takeOver?: boolean;
  /**
   * Serve on this already-listening Unix socket (a file descriptor inherited from systemd socket
   * activation, `LISTEN_FDS`) instead of binding one. Its file belongs to whoever made it: it is
   * neither guarded nor removed on `exit()`.
   */
  listenFd?: number;
}

/** The options of a served function's `exit()`. */
export interface ExitOptions {
  /** How long running calls may take to finish. @default the `exitTimeoutMs` option (10000) */
  timeoutMs?: number;
}

/** Throws a TypeError naming the first bad `init()` option. */
export function validateInitOptions(options: InitOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError('init() takes an options object');
  if (options.socketDir !== undefined && typeof options.socketDir !== 'string') throw new TypeError("init(): 'socketDir' must be a string");
  if (options.socket !== undefined && typeof options.socket !== 'boolean') throw new TypeError("init(): 'socket' must be a boolean");
  if (options.takeOver !== undefined && typeof options.takeOver !== 'boolean') throw new TypeError("init(): 'takeOver' must be a boolean");
  const fd = options.listenFd;
  if (fd !== undefined && !(typeof fd === 'number' && Number.isInteger(fd) && fd >= 0))
    throw new TypeError("init(): 'listenFd' must be a file descriptor (a whole number >= 0)");
  if (fd !== undefined && options.takeOver)
    throw new TypeError("init(): 'listenFd' and 'takeOver' don't go together: an inherited socket's path is not ours to take");
  assertNatsOption(options.nats, "init(): 'nats'");
  if (options.socket === false && !options.nats) throw new TypeError("init(): with socket: false, give a 'nats' server to serve on");
}

/** Throws a TypeError unless `exit()`'s timeout is a number of milliseconds >= 0. */
export function validateExitOptions(options: ExitOptions): void {
  const timeoutMs = options.timeoutMs;
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0)) {
    throw new TypeError(`exit(): 'timeoutMs' must be a number of milliseconds >= 0, got ${String(timeoutMs)}`);
  }
}
