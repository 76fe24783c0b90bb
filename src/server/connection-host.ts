/**
 * What a native connection and its calls need from the server that accepted
 * them (the SocketServer is one), and the options that server takes.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Endpoint } from '../call/endpoint.js';
import type { CallRunner } from '../call/runner.js';
import type { ErrorInfoOptions, RemoteErrorInfo } from '../errors.js';
import type { MemoryBudget } from './memory-budget.js';

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
  /** Most callbacks and iterables one call may pass; a call with more is refused (ERR_LIP_ARGUMENT). @default 16 */
  maxArgumentChannels?: number;
  /** Bytes of an iterable argument's items buffered before the server stops granting credit for more. @default 1 MiB */
  maxArgumentBufferBytes?: number;
  /** Callback calls waiting for their answers on one connection; a call beyond rejects with LIPBusyError. @default 256 */
  maxCallbackCalls?: number;
  /** Handles a connection that opened with a bare CBOR map (the Python original's one-shot request). */
  onOneShot?: (socket: Socket, firstBytes: Buffer) => void;
}

export interface ConnectionHost {
  readonly endpoint: Endpoint;
  readonly options: ServerOptions;
  readonly runner: CallRunner;
  readonly budget: MemoryBudget;
  /** How much of an error goes to callers (stacks or not). */
  readonly errorDetail: ErrorInfoOptions;
  /** True once exit() began: new calls are refused. */
  readonly draining: boolean;
  /** The ERR_LIP_BUSY answer for `what`. */
  busyInfo(what: string): RemoteErrorInfo;
}
