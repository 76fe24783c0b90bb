/**
 * One call's span and measurements, from start to end, on either side. The
 * call paths start one only when activeTelemetry() says an SDK is registered;
 * otherwise they skip this file entirely.
 */
import { context as contextApi, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import type { Telemetry } from './active.js';
import { errorStatusCode, errorType } from './error-type.js';
import { extractTraceContext, injectTraceContext, type TraceCarrier } from './propagation.js';
import type { RpcTarget } from './rpc-target.js';
import { Attr, STATUS_OK } from './semconv.js';

/** How a call ended well. */
export interface CallSuccess {
  /** How many values a stream gave, when the call was a stream. */
  items?: number;
}

abstract class CallRecord {
  protected readonly telemetry: Telemetry;
  protected readonly target: RpcTarget;
  protected readonly span: Span | undefined;
  private readonly start = performance.now();
  private ended = false;

  protected constructor(telemetry: Telemetry, target: RpcTarget, kind: SpanKind, parent: Context) {
    this.telemetry = telemetry;
    this.target = target;
    this.span = telemetry.tracer?.startSpan(target.method, { kind, attributes: target.spanAttributes, startTime: this.start }, parent);
  }

  /** The call ended well. Only the first of succeed/fail counts. */
  succeed(outcome: CallSuccess = {}): void {
    if (this.ended) return;
    this.ended = true;
    const end = performance.now();
    if (this.span) {
      this.span.setAttribute(Attr.rpcStatusCode, STATUS_OK);
      if (outcome.items !== undefined) this.span.setAttribute(Attr.streamItems, outcome.items);
      this.span.end(end);
    }
    this.measure((end - this.start) / 1000, this.target.okAttributes);
  }

  /** The call failed (or was cancelled) with `error`. */
  fail(error: unknown, outcome: CallSuccess = {}): void {
    if (this.ended) return;
    this.ended = true;
    const end = performance.now();
    const type = errorType(error);
    const status = errorStatusCode(error);
    if (this.span) {
      this.span.setAttributes({ [Attr.errorType]: type, [Attr.rpcStatusCode]: status });
      if (outcome.items !== undefined) this.span.setAttribute(Attr.streamItems, outcome.items);
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      this.span.end(end);
    }
    this.measure((end - this.start) / 1000, this.target.failedAttributes(type, status));
  }

  protected abstract measure(seconds: number, attributes: Attributes): void;
}

/** A call this process makes: a CLIENT span, child of the active context, and the carrier to send. */
export class ClientCallRecord extends CallRecord {
  /** What the call carries to the server (trace context, baggage), if anything. */
  readonly carrier: TraceCarrier | undefined;

  constructor(telemetry: Telemetry, target: RpcTarget, parent: Context = contextApi.active()) {
    super(telemetry, target, SpanKind.CLIENT, parent);
    this.carrier = injectTraceContext(this.span ? trace.setSpan(parent, this.span) : parent);
  }

  protected measure(seconds: number, attributes: Attributes): void {
    this.telemetry.instruments?.clientDuration.record(seconds, attributes);
  }
}

/** A call this process serves: a SERVER span continuing the caller's trace, counted in flight until it ends. */
export class ServerCallRecord extends CallRecord {
  /** The context to run the function in: nested calls become children of the server span. */
  readonly context: Context;

  constructor(telemetry: Telemetry, target: RpcTarget, carrier: TraceCarrier | undefined) {
    const parent = carrier ? extractTraceContext(carrier) : ROOT_CONTEXT;
    super(telemetry, target, SpanKind.SERVER, parent);
    this.context = this.span ? trace.setSpan(parent, this.span) : parent;
    telemetry.instruments?.serverActive.add(1, target.metricAttributes);
  }

  protected measure(seconds: number, attributes: Attributes): void {
    const instruments = this.telemetry.instruments;
    if (!instruments) return;
    instruments.serverActive.add(-1, this.target.metricAttributes);
    instruments.serverDuration.record(seconds, attributes);
  }
}

/** A result cache answered (`hit`) or not: counted per function. */
export function recordCacheLookup(telemetry: Telemetry, target: Pick<RpcTarget, 'metricAttributes'>, outcome: { hit: boolean }): void {
  const instruments = telemetry.instruments;
  if (!instruments) return;
  (outcome.hit ? instruments.cacheHits : instruments.cacheMisses).add(1, target.metricAttributes);
}
