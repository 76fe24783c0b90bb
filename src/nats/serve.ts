/**
 * Serves one function as a NATS service (the NATS "micro" protocol, so
 * `nats micro ls/info/stats` show it). Requests and replies carry the same
 * CBOR messages as the socket protocol; replicas share a queue group, and NATS
 * balances calls between them.
 */
import { connect, type NatsConnection, type Service, type ServiceMsg } from 'nats';
import type { Logger } from 'pino';
import { LazyCallContext } from '../call/context.js';
import { answerControl } from '../call/control.js';
import { deadlineAfter } from '../call/deadline.js';
import type { Endpoint } from '../call/endpoint.js';
import { encodeErrorMessage } from '../call/error-message.js';
import { InFlight } from '../call/in-flight.js';
import { CallRunner } from '../call/runner.js';
import type { CollectLimits } from '../call/collect.js';
import type { CallSink } from '../call/sink.js';
import { ErrorCode, errorInfo, LIPNotFoundError, LIPProtocolError, ownErrorInfo, ownFault, type ErrorInfoOptions, type RemoteErrorInfo } from '../errors.js';
import type { FunctionInfo } from '../function/introspection.js';
import { decodeValue, encodeValue } from '../protocol/codec.js';
import { Kind, parseClientMessage, type CallMessage } from '../protocol/messages.js';
import { MemoryBudget, type ConnectionShare } from '../server/memory-budget.js';
import { RpcTarget } from '../telemetry/rpc-target.js';
import { traceFields } from '../telemetry/propagation.js';
import { natsServiceName, natsSubject, NATS_QUEUE } from './names.js';

export interface NatsServeOptions {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  logger?: Logger | undefined;
  sendStacks?: boolean | undefined;
}

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

export class NatsServing {
  private readonly inFlight = new InFlight();
  private readonly runner: CallRunner;
  /** How much of a function's error a caller is sent (stacks unless `sendStacks: false`). */
  readonly errorDetail: ErrorInfoOptions;
  /**
   * What streams collected for replies may hold: each no more than a reply may carry (max_payload),
   * all together NATS_COLLECT_BYTES. NATS can't cancel a request, so without this one request for an
   * endless stream would grow the server without bound.
   */
  readonly collectBudget: MemoryBudget;

  private constructor(
    private readonly endpoint: Endpoint,
    private readonly connection: NatsConnection,
    private readonly service: Service,
    private readonly options: NatsServeOptions,
  ) {
    this.runner = new CallRunner({
      endpoint,
      inFlight: this.inFlight,
      rpcTarget: () => new RpcTarget({ method: endpoint.name, serverAddress: natsSubject(endpoint.name), transport: 'tcp' }),
    });
    this.errorDetail = { stack: options.sendStacks !== false };
    this.collectBudget = new MemoryBudget({ connectionBytes: connection.info?.max_payload ?? DEFAULT_MAX_PAYLOAD, serverBytes: NATS_COLLECT_BYTES });
  }

  static async start(endpoint: Endpoint, options: NatsServeOptions): Promise<NatsServing> {
    const info = endpoint.info() as FunctionInfo;
    const connection = await connect({ servers: options.servers, name: `lipmodule:${endpoint.name}` });
    try {
      const metadata = {
        'lip.name': info.name,
        'lip.signature': info.signature,
        'lip.lib': info.lib,
        'lip.streaming': String(info.streaming),
      };
      const service = await connection.services.add({
        name: natsServiceName(info.name),
        version: info.version,
        description: info.doc ?? '',
        metadata,
        queue: NATS_QUEUE,
      });
      const serving = new NatsServing(endpoint, connection, service, options);
      service.addEndpoint(natsServiceName(info.name), {
        subject: natsSubject(info.name),
        metadata,
        handler: (error, msg) => {
          if (error) options.logger?.error({ err: error }, 'NATS endpoint failed');
          else serving.handle(msg);
        },
      });
      await connection.flush();
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
    await this.connection.drain().catch(() => this.connection.close());
    return { unfinished };
  }

  private handle(msg: ServiceMsg): void {
    let message;
    try {
      message = parseClientMessage(decodeValue(msg.data));
    } catch (error) {
      this.fail(msg, 0, errorInfo(ownFault(error)));
      return;
    }
    const id = message[1];
    if (message[0] === Kind.Control) {
      this.control(msg, id, message[2]);
      return;
    }
    if (message[0] !== Kind.Call) {
      this.fail(msg, id, ownErrorInfo(new LIPProtocolError('over NATS only calls and control verbs are taken')));
      return;
    }
    const [, , fn, args, kwargs] = message;
    if (fn !== this.endpoint.name) {
      this.fail(msg, id, ownErrorInfo(new LIPNotFoundError(`this endpoint serves '${this.endpoint.name}', not '${fn}'`)));
      return;
    }
    // No refusal while stopping: a request NATS delivered here before the drain is ours to answer,
    // and the queue group already sends new ones to the other replicas.
    // Streams are collected: a NATS request has one reply, and a stream request always gets a list.
    this.runner.run(new NatsCall(this, msg, message), args, kwargs);
  }

  private control(msg: ServiceMsg, id: number, verb: string): void {
    let value: unknown;
    try {
      // Anyone on the bus could send `stop`: stopping is for those who can reach the socket.
      value = answerControl(this.endpoint, verb, () => false);
    } catch (error) {
      this.fail(msg, id, errorInfo(ownFault(error)));
      return;
    }
    this.reply(msg, id, value);
  }

  reply(msg: ServiceMsg, id: number, value: unknown): void {
    let body: Uint8Array;
    try {
      body = encodeValue([Kind.Result, id, value]);
    } catch (error) {
      this.fail(msg, id, errorInfo(ownFault(error)));
      return;
    }
    this.send(msg, id, () => msg.respond(body));
  }

  fail(msg: ServiceMsg, id: number, info: RemoteErrorInfo): void {
    const data = encodeErrorMessage(id, info);
    // Only the library's own errors map to a status; whatever the function threw is a 500.
    const status = info.lip ? (STATUS[info.code ?? ''] ?? 500) : 500;
    this.send(msg, id, () => msg.respondError(status, `${info.name}: ${info.message}`, data));
  }

  /** Publishing can throw (a reply over max_payload, a closed connection): never let it escape a handler. */
  private send(msg: ServiceMsg, id: number, publish: () => void): void {
    try {
      publish();
    } catch (error) {
      if ((error as { code?: string }).code === 'MAX_PAYLOAD_EXCEEDED') {
        const info = ownErrorInfo(new LIPProtocolError(`the reply is larger than the NATS server's max_payload (1 MiB unless configured)`));
        try {
          msg.respondError(400, `${info.name}: ${info.message}`, encodeErrorMessage(id, info));
          return;
        } catch {
          // fall through to the log
        }
      }
      this.options.logger?.error({ err: error }, 'could not send a NATS reply');
    }
  }
}

/** One NATS request's sink: its reply goes to the request's inbox. */
class NatsCall implements CallSink {
  readonly context: LazyCallContext;
  readonly wantsList: boolean;
  private readonly id: number;

  constructor(
    private readonly serving: NatsServing,
    private readonly msg: ServiceMsg,
    [, id, , , , options]: CallMessage,
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

  /** Over NATS the trace context travels in the message's headers (read only when tracing). */
  get traceCarrier(): Record<string, string> | undefined {
    const headers = this.msg.headers;
    if (!headers) return undefined;
    let carrier: Record<string, string> | undefined;
    for (const field of traceFields()) {
      if (!headers.has(field)) continue;
      carrier ??= {};
      carrier[field] = headers.get(field);
    }
    return carrier;
  }

  result(value: unknown): void {
    this.releaseCollected();
    this.serving.reply(this.msg, this.id, value);
  }

  error(thrown: unknown): void {
    this.releaseCollected();
    this.serving.fail(this.msg, this.id, errorInfo(thrown, this.serving.errorDetail));
  }

  private releaseCollected(): void {
    if (!this.share) return;
    this.share.release(this.held);
    this.share.close();
    this.share = undefined;
  }
}
