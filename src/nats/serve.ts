/**
 * Serves one function as a NATS service (the micro protocol, micro-service.ts, so
 * `nats micro ls/info/stats` show it). Requests and replies carry the same CBOR messages as the
 * socket protocol; replicas share a queue group and NATS balances calls between them. Calls go
 * through the one CallRunner: a reply sink here, a stream sink in served-stream.ts.
 */
import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import { LazyCallContext } from '../call/context.js';
import { answerControl } from '../call/control.js';
import { deadlineAfter, effectiveTimeout } from '../call/deadline.js';
import type { Endpoint } from '../call/endpoint.js';
import { encodeErrorMessage } from '../call/error-message.js';
import { InFlight } from '../call/in-flight.js';
import { CallRunner } from '../call/runner.js';
import type { CollectLimits } from '../call/collect.js';
import type { CallSink } from '../call/sink.js';
import {
  ErrorCode,
  errorInfo,
  LIPBusyError,
  LIPConnectionError,
  LIPNotFoundError,
  LIPProtocolError,
  ownErrorInfo,
  ownFault,
  type ErrorInfoOptions,
  type RemoteErrorInfo,
} from '../errors.js';
import type { FunctionInfo, FunctionStats } from '../function/introspection.js';
import { decodeValue, encodeValue } from '../protocol/codec.js';
import { Kind, parseClientMessage, type CallMessage } from '../protocol/messages.js';
import { MemoryBudget, type ConnectionShare } from '../server/memory-budget.js';
import { DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION } from '../server/native-connection.js';
import { DEFAULT_IDLE_TIMEOUT_MS } from '../server/socket-server.js';
import { RpcTarget } from '../telemetry/rpc-target.js';
import { connectNats, type NatsOption } from './connect-options.js';
import { MicroService, serviceErrorHeaders, type RequestStart } from './micro-service.js';
import { natsServiceName, natsSubject } from './names.js';
import { ServedStream, type StreamHost } from './served-stream.js';
import { traceCarrierOf } from './trace-headers.js';

export interface NatsServeOptions {
  /** NATS server URL(s) or connection options. */
  nats: NatsOption;
  logger?: Logger | undefined;
  sendStacks?: boolean | undefined;
  /** Most calls and streams running at once over NATS (the `maxInFlightPerConnection` option: NATS is one connection). */
  maxInFlight?: number | undefined;
  /** How long a stream may wait for its caller's credit (the `idleTimeoutMs` option; 0: for ever). */
  idleTimeoutMs?: number | undefined;
}

const NO_REPLY_SUBJECT = 'a NATS request with no reply subject was not run (nobody could get its answer)';

/** A NATS server's max_payload unless it says otherwise: no reply may be larger. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
/** Most bytes all NATS calls of one function together may collect for their replies. */
const NATS_COLLECT_BYTES = 64 * 1024 * 1024;

// Service error codes, HTTP-like as the NATS micro protocol suggests.
const STATUS: Record<string, number> = {
  [ErrorCode.Argument]: 400,
  [ErrorCode.Protocol]: 400,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Busy]: 503,
  [ErrorCode.ShuttingDown]: 503,
};

export class NatsServing implements StreamHost {
  private readonly inFlight = new InFlight();
  readonly runner: CallRunner;
  /** How much of a function's error a caller is sent (stacks unless `sendStacks: false`). */
  readonly errorDetail: ErrorInfoOptions;
  /**
   * What streams collected for one reply may hold: each no more than a reply may carry (max_payload),
   * all together NATS_COLLECT_BYTES.
   */
  readonly collectBudget: MemoryBudget;
  readonly creditWaitMs: number | undefined;
  private service!: MicroService;
  /** Where callers send a stream's Credit and Cancel: `<prefix>.<token>`, one subscription for all. */
  private readonly controlPrefix = createInbox();
  private controlSubscription: Subscription | undefined;
  private readonly streams = new Map<string, ServedStream>();
  private lastToken = 0;

  private constructor(
    private readonly endpoint: Endpoint,
    readonly connection: NatsConnection,
    private readonly options: NatsServeOptions,
  ) {
    this.runner = new CallRunner({
      endpoint,
      inFlight: this.inFlight,
      rpcTarget: () => new RpcTarget({ method: endpoint.name, serverAddress: natsSubject(endpoint.name), transport: 'tcp' }),
    });
    this.errorDetail = { stack: options.sendStacks !== false };
    this.creditWaitMs = effectiveTimeout(options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
    this.collectBudget = new MemoryBudget({ connectionBytes: connection.info?.max_payload ?? DEFAULT_MAX_PAYLOAD, serverBytes: NATS_COLLECT_BYTES });
  }

  static async start(endpoint: Endpoint, options: NatsServeOptions): Promise<NatsServing> {
    const info = endpoint.info() as FunctionInfo;
    const connection = await connectNats(options.nats, `lipmodule:${endpoint.name}`);
    try {
      const metadata = {
        'lip.name': info.name,
        'lip.signature': info.signature,
        'lip.lib': info.lib,
        'lip.streaming': String(info.streaming),
        'lip.idempotent': String(info.idempotent === true),
      };
      const serving = new NatsServing(endpoint, connection, options);
      serving.controlSubscription = connection.subscribe(`${serving.controlPrefix}.*`, {
        callback: (error, msg) => {
          if (!error) serving.streams.get(msg.subject.slice(serving.controlPrefix.length + 1))?.control(msg);
        },
      });
      serving.service = await MicroService.start(connection, {
        name: natsServiceName(info.name),
        version: info.version,
        description: info.doc ?? '',
        metadata,
        endpoint: { name: natsServiceName(info.name), subject: natsSubject(info.name), metadata },
        data: () => figures(endpoint.stats() as FunctionStats),
        handle: (msg) => serving.handle(msg),
      });
      return serving;
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  /** Stops taking requests (the queue group gives new ones to other replicas), lets running ones finish, then drains. */
  async stop(timeoutMs: number): Promise<{ unfinished: number }> {
    await this.service.stop();
    await this.inFlight.idle(timeoutMs);
    const unfinished = this.inFlight.count;
    // Streams still open are cut: their generators stop (their `finally` runs), their callers get an error.
    for (const stream of this.streams.values())
      stream.cut(new LIPConnectionError(`'${this.endpoint.name}' stopped serving over NATS`, { code: ErrorCode.ShuttingDown }));
    this.controlSubscription?.unsubscribe();
    await this.connection.drain().catch(() => this.connection.close());
    return { unfinished };
  }

  private handle(msg: Msg): void {
    const start = this.service.begin();
    // A plain publish (no reply subject) is not run: nobody could hear its answer or its error, and
    // a log line for each would let any user of the bus fill the logs. STATS counts it as an error.
    if (!msg.reply) {
      this.service.record(start, `400:${NO_REPLY_SUBJECT}`);
      this.options.logger?.debug(NO_REPLY_SUBJECT);
      return;
    }
    let message;
    try {
      message = parseClientMessage(decodeValue(msg.data));
    } catch (error) {
      this.fail(msg, start, 0, errorInfo(ownFault(error)));
      return;
    }
    const id = message[1];
    if (message[0] === Kind.Control) {
      this.control(msg, start, id, message[2]);
      return;
    }
    if (message[0] !== Kind.Call) {
      this.fail(msg, start, id, ownErrorInfo(new LIPProtocolError('over NATS only calls and control verbs are taken')));
      return;
    }
    const [, , fn, args, kwargs, options] = message;
    if (fn !== this.endpoint.name) {
      this.fail(msg, start, id, ownErrorInfo(new LIPNotFoundError(`this endpoint serves '${this.endpoint.name}', not '${fn}'`)));
      return;
    }
    // Every caller on the bus shares this one connection: without a bound, a flood of requests to a
    // slow function (or of streams never read) would hold calls without end.
    const maxInFlight = this.options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT_PER_CONNECTION;
    if (this.inFlight.count >= maxInFlight) {
      this.fail(msg, start, id, ownErrorInfo(new LIPBusyError(`${this.inFlight.count} calls are running over NATS, the limit (maxInFlightPerConnection)`)));
      return;
    }
    // No refusal while stopping: a request NATS delivered here before the drain is ours to answer,
    // and the queue group already sends new ones to the other replicas.
    if (options?.stream === true && typeof options.credit === 'number' && msg.reply) {
      const token = String((this.lastToken = (this.lastToken + 1) % Number.MAX_SAFE_INTEGER));
      const stream = new ServedStream(this, msg, message, { start, control: `${this.controlPrefix}.${token}` });
      this.streams.set(token, stream);
      void stream.ended.then(() => this.streams.delete(token));
      void this.runner.stream(stream, args, kwargs);
      return;
    }
    // A plain call of a stream, or an older caller's stream request: collected into one reply.
    this.runner.run(new NatsReply(this, msg, message, start), args, kwargs);
  }

  private control(msg: Msg, start: RequestStart, id: number, verb: string): void {
    let value: unknown;
    try {
      // Anyone on the bus could send `stop`: stopping is for those who can reach the socket.
      value = answerControl(this.endpoint, verb, () => false);
    } catch (error) {
      this.fail(msg, start, id, errorInfo(ownFault(error)));
      return;
    }
    this.reply(msg, start, id, value);
  }

  reply(msg: Msg, start: RequestStart, id: number, value: unknown): void {
    let body: Uint8Array;
    try {
      body = encodeValue([Kind.Result, id, value]);
    } catch (error) {
      this.fail(msg, start, id, errorInfo(ownFault(error)));
      return;
    }
    if (this.send(msg, id, body)) this.service.record(start);
    else this.service.record(start, 'the reply could not be sent');
  }

  fail(msg: Msg, start: RequestStart, id: number, info: RemoteErrorInfo): void {
    const { status, description, headers } = this.errorReply(info);
    this.send(msg, id, encodeErrorMessage(id, info), headers);
    this.service.record(start, `${status}:${description}`);
  }

  /** The micro error of a failed call: only the library's own errors map to a status; whatever the function threw is a 500. */
  errorReply(info: RemoteErrorInfo): { status: number; description: string; headers: MsgHdrs } {
    const status = info.lip ? (STATUS[info.code ?? ''] ?? 500) : 500;
    const description = `${info.name}: ${info.message}`;
    return { status, description, headers: serviceErrorHeaders(status, description) };
  }

  /** Records a stream's end in the service's figures. */
  recorded(start: RequestStart, error?: string): void {
    this.service.record(start, error);
  }

  /** Publishing can throw (a reply over max_payload, a closed connection): never let it escape a handler. */
  private send(msg: Msg, id: number, body: Uint8Array, headers?: MsgHdrs): boolean {
    try {
      msg.respond(body, headers ? { headers } : undefined);
      return true;
    } catch (error) {
      if (isMaxPayload(error)) {
        const info = ownErrorInfo(new LIPProtocolError(`the reply is larger than the NATS server's max_payload (1 MiB unless configured)`));
        try {
          msg.respond(encodeErrorMessage(id, info), { headers: this.errorReply(info).headers });
          return false;
        } catch {
          // fall through to the log
        }
      }
      this.options.logger?.error({ err: error }, 'could not send a NATS reply');
      return false;
    }
  }
}

/** Whether publishing failed because the message is over the server's max_payload. */
export function isMaxPayload(error: unknown): boolean {
  return error instanceof Error && /max_payload/.test(error.message);
}

/** Our own figures, in the endpoint's `data` of $SRV.STATS. */
function figures(stats: FunctionStats): Record<string, unknown> {
  return {
    calls: stats.calls,
    errors: stats.errors,
    in_flight: stats.inFlight,
    queued: stats.queued,
    cancelled: stats.cancelled,
    cache_hits: stats.cache.hits,
    cache_misses: stats.cache.misses,
    p50_ms: stats.latencyMs.p50,
    p99_ms: stats.latencyMs.p99,
    max_ms: stats.latencyMs.max,
  };
}

/** One NATS request's sink: its reply goes to the request's inbox. */
class NatsReply implements CallSink {
  readonly context: LazyCallContext;
  readonly wantsList: boolean;
  private readonly id: number;

  constructor(
    private readonly serving: NatsServing,
    private readonly msg: Msg,
    [, id, , , , options]: CallMessage,
    private readonly start: RequestStart,
  ) {
    this.id = id;
    this.context = new LazyCallContext('nats', id, deadlineAfter(options?.timeoutMs));
    this.wantsList = options?.stream === true;
  }

  private share: ConnectionShare | undefined;
  private held = 0;

  /** A stream collected for the one reply: at most max_payload, charged to the function's NATS budget. */
  get collecting(): CollectLimits {
    const budget = this.serving.collectBudget;
    return {
      maxBytes: budget.limits.connectionBytes,
      charge: (bytes) => {
        this.share ??= budget.open();
        if (!this.share.tryHold(bytes)) return false;
        this.held += bytes;
        return true;
      },
    };
  }

  get traceCarrier(): Record<string, string> | undefined {
    return traceCarrierOf(this.msg.headers);
  }

  result(value: unknown): void {
    this.releaseCollected();
    this.serving.reply(this.msg, this.start, this.id, value);
  }

  error(thrown: unknown): void {
    this.releaseCollected();
    this.serving.fail(this.msg, this.start, this.id, errorInfo(thrown, this.serving.errorDetail));
  }

  private releaseCollected(): void {
    if (!this.share) return;
    this.share.release(this.held);
    this.share.close();
    this.share = undefined;
  }
}
