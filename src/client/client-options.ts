/** LIPClient's options, checked once when the client is made (a TypeError names the option). */
import { assertNatsOption, type NatsOption } from '../nats/connect-options.js';

export interface LIPClientOptions {
  /** Directory holding the `lipcm-<name>.sock` files. @default $LIP_SOCKET_DIR, else /tmp */
  socketDir?: string;
  /** Deadline of every call, in milliseconds; 0 waits for ever. @default 30000 */
  timeoutMs?: number;
  /** How long to wait for a connection to open. @default 5000 */
  connectTimeoutMs?: number;
  /** Largest frame accepted from a server, in bytes. @default 16 MiB */
  maxFrameBytes?: number;
  /** Stream items the server may send ahead of the consumer. @default 64 */
  streamWindow?: number;
  /**
   * Users (uids) besides yourself and root whose socket files (and socket directory) you will
   * connect to. A socket file owned by anyone else (a squatter in a shared /tmp) is refused with
   * ERR_LIP_UNTRUSTED_SOCKET, checked on every connection before anything is sent. @default []
   */
  trustUids?: readonly number[];
  /**
   * Also find and call functions served over NATS: a server URL, a list of them, or the NATS
   * client's connection options (`servers`, `user`/`pass`, `token`, `authenticator`, `tls`, `name`...) passed through.
   */
  nats?: NatsOption;
  /** When a name is served both on a local socket and over NATS, which one to call. @default 'local' */
  prefer?: 'local' | 'nats';
  /**
   * Callbacks (functions passed as arguments) a server may have running at once in this process, per
   * connection; its calls beyond are answered ERR_LIP_BUSY without running. @default 256
   */
  maxCallbackCalls?: number;
}

export interface CallOptions {
  /** Deadline of this call in milliseconds (overrides the client's). */
  timeoutMs?: number;
  /** Aborting it cancels the call, here and on the server. */
  signal?: AbortSignal;
  /**
   * Made inside a served function, a call inherits that call's deadline (the sooner of the two)
   * and is cancelled with it. `detached: true` opts out, for work that must outlive its caller:
   * the call keeps its own deadline and signal alone. @default false
   */
  detached?: boolean;
}

export interface ListOptions {
  /** How long each socket may take to answer its probe (all are probed at once), at most `connectTimeoutMs`. @default the client's timeoutMs */
  timeoutMs?: number;
}

export const CLIENT_DEFAULTS = Object.freeze({ timeoutMs: 30_000, connectTimeoutMs: 5000, streamWindow: 64, prefer: 'local' as const });

export function validateClientOptions(options: LIPClientOptions): void {
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
  positiveInteger('maxCallbackCalls');
  if (options.prefer !== undefined && options.prefer !== 'local' && options.prefer !== 'nats') {
    throw new TypeError(`LIPClient option 'prefer' must be 'local' or 'nats'`);
  }
  assertNatsOption(options.nats, "LIPClient option 'nats'");
  const trust = options.trustUids;
  if (trust !== undefined && !(Array.isArray(trust) && trust.every((u) => Number.isInteger(u) && u >= 0))) {
    throw new TypeError(`LIPClient option 'trustUids' must be an array of uids (whole numbers >= 0)`);
  }
  if (options.socketDir !== undefined && typeof options.socketDir !== 'string') {
    throw new TypeError(`LIPClient option 'socketDir' must be a string`);
  }
}

/** Call arguments as a connection takes them: kwargs that are empty travel as null. */
export function kwargsOrNull(kwargs: Record<string, unknown> | undefined | null): Record<string, unknown> | null {
  if (kwargs == null) return null;
  if (typeof kwargs !== 'object' || Array.isArray(kwargs)) throw new TypeError('kwargs must be a plain object');
  for (const _ in kwargs) return kwargs;
  return null;
}
