/**
 * One stream served over NATS, the sink the CallRunner writes it to (stream-wire.ts says how it
 * travels): items go to the caller's inbox as its credit allows, a Cancel or a caller gone silent
 * stops the generator (its `finally` runs), and End or Error closes it.
 */
import { headers, type Msg, type NatsConnection } from '@nats-io/nats-core';
import { cancelledError, LazyCallContext } from '../call/context.js';
import { deadlineAfter } from '../call/deadline.js';
import { encodeErrorMessage } from '../call/error-message.js';
import type { StreamSink } from '../call/sink.js';
import { errorInfo, LIPTimeoutError, ownFault, type ErrorInfoOptions, type RemoteErrorInfo } from '../errors.js';
import { decodeValue, encodeValue } from '../protocol/codec.js';
import { Kind, parseClientMessage, type CallMessage } from '../protocol/messages.js';
import { MAX_STREAM_CREDIT } from '../server/native-call.js';
import type { RequestStart } from './micro-service.js';
import { traceCarrierOf } from './trace-headers.js';
import { EMPTY, HEARTBEAT_MS, SILENCE_LIMIT_MS, STREAM_CONTROL_HEADER } from './stream-wire.js';

/** What a served stream needs of the NATS service it belongs to. */
export interface StreamHost {
  readonly connection: NatsConnection;
  readonly errorDetail: ErrorInfoOptions;
  /** How long a stream may wait for credit, its caller alive but not reading (`undefined`: for ever). */
  readonly creditWaitMs: number | undefined;
  errorReply(info: RemoteErrorInfo): { status: number; description: string; headers: ReturnType<typeof headers> };
  recorded(start: RequestStart, error?: string): void;
}

export class ServedStream implements StreamSink {
  readonly context: LazyCallContext;
  /** Settles when the stream ended, however. */
  readonly ended: Promise<void>;
  private readonly id: number;
  private readonly inbox: string;
  private readonly start: RequestStart;
  private credit: number;
  private wakeStream: (() => void) | undefined;
  private finished = false;
  private markFinished!: () => void;
  private lastSent = Date.now();
  private lastHeard = Date.now();
  /** Since when the generator waits for credit (`undefined`: it has some). */
  private waitingSince: number | undefined;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly host: StreamHost,
    private readonly msg: Msg,
    [, id, , , , options]: CallMessage,
    where: { start: RequestStart; control: string },
  ) {
    this.id = id;
    this.inbox = msg.reply!;
    this.start = where.start;
    this.context = new LazyCallContext('nats', id, deadlineAfter(options?.timeoutMs));
    this.credit = Math.min(Math.max(0, Math.floor(options?.credit ?? 0)), MAX_STREAM_CREDIT);
    this.ended = new Promise<void>((resolve) => (this.markFinished = resolve));
    const opening = headers();
    opening.set(STREAM_CONTROL_HEADER, where.control);
    this.publish(EMPTY, opening);
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS).unref();
  }

  get traceCarrier(): Record<string, string> | undefined {
    return traceCarrierOf(this.msg.headers);
  }

  get open(): boolean {
    return !this.finished && !this.host.connection.isClosed();
  }

  /** A message from the caller: Credit, Cancel, or an empty heartbeat. */
  control(msg: Msg): void {
    this.lastHeard = Date.now();
    if (msg.data.length === 0) return;
    let message;
    try {
      message = parseClientMessage(decodeValue(msg.data));
    } catch {
      return; // not our caller's: ignored, the stream goes on
    }
    if (message[1] !== this.id) return;
    if (message[0] === Kind.Credit) {
      this.credit = Math.min(this.credit + message[2], MAX_STREAM_CREDIT);
      this.waitingSince = undefined;
      this.wake();
    } else if (message[0] === Kind.Cancel) this.cancel(cancelledError('the caller cancelled the call'));
  }

  room(): PromiseLike<unknown> | undefined {
    if (this.credit > 0) return undefined;
    this.waitingSince ??= Date.now();
    return new Promise<void>((resolve) => (this.wakeStream = resolve));
  }

  item(value: unknown): void {
    this.credit--;
    // Throws for a value that can't be encoded or is over max_payload: the runner fails the stream with it.
    this.publish(encodeValue([Kind.Item, this.id, value]));
  }

  end(): void {
    if (!this.finish()) return;
    if (!this.context.aborted) this.send(encodeValue([Kind.End, this.id]));
    this.host.recorded(this.start);
  }

  error(thrown: unknown): void {
    if (!this.finish()) return;
    const info = errorInfo(thrown, this.host.errorDetail);
    const { status, description, headers: fields } = this.host.errorReply(info);
    if (!this.context.aborted) this.send(encodeErrorMessage(this.id, info), fields);
    this.host.recorded(this.start, `${status}:${description}`);
  }

  private beat(): void {
    const now = Date.now();
    if (now - this.lastHeard > SILENCE_LIMIT_MS) {
      this.cancel(cancelledError('the caller of the stream went silent'));
      return;
    }
    // A caller that heartbeats but never reads would hold its place among maxInFlightPerConnection (shared by
    // every caller on the bus) until its deadline, or for ever: as a socket's idle connection, it is cut.
    const limit = this.host.creditWaitMs;
    if (this.waitingSince !== undefined && limit !== undefined && now - this.waitingSince > limit) {
      this.cut(new LIPTimeoutError(`the stream waited ${limit} ms for its reader to take items (idleTimeoutMs)`));
      return;
    }
    if (now - this.lastSent >= HEARTBEAT_MS) this.send(EMPTY);
  }

  /** Ends the stream from the replica's side: the generator stops, the caller is sent `reason`. */
  cut(reason: Error): void {
    if (this.finished) return;
    this.error(ownFault(reason));
    this.cancel(reason);
  }

  private cancel(reason: Error): void {
    this.context.abort(reason);
    this.wake();
  }

  private finish(): boolean {
    if (this.finished) return false;
    this.finished = true;
    clearInterval(this.heartbeat);
    this.wake();
    this.markFinished();
    return true;
  }

  private publish(body: Uint8Array, fields?: ReturnType<typeof headers>): void {
    this.host.connection.publish(this.inbox, body, fields ? { headers: fields } : undefined);
    this.lastSent = Date.now();
  }

  /** For the last message and heartbeats: a failure to publish (a closed connection) is not the stream's. */
  private send(body: Uint8Array, fields?: ReturnType<typeof headers>): void {
    try {
      this.publish(body, fields);
    } catch {
      // The caller will notice the silence.
    }
  }

  private wake(): void {
    const wake = this.wakeStream;
    this.wakeStream = undefined;
    wake?.();
  }
}
