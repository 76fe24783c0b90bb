/**
 * The trace context and baggage a call carries to its server, as a plain
 * `{ traceparent, tracestate?, baggage? }` object: the global propagator when
 * the application registered one, else W3C Trace Context and Baggage.
 */
import { context as contextApi, propagation, ROOT_CONTEXT, type Context, type TextMapPropagator } from '@opentelemetry/api';
import { BAGGAGE_MAX_BYTES, W3CPropagator } from './w3c-propagator.js';

/** What a call carries: header-like names to string values. */
export type TraceCarrier = Record<string, string>;

/** How many fields a received carrier may hold, and how long each value may be: bounds on what a peer makes us parse. */
export const MAX_CARRIER_FIELDS = 8;
export const MAX_CARRIER_VALUE_BYTES = BAGGAGE_MAX_BYTES;

const W3C = new W3CPropagator();

/** The registered global propagator, or W3C when there is none (the API's no-op one has no fields). */
function propagator(): TextMapPropagator {
  return propagation.fields().length > 0 ? propagation : W3C;
}

/** The names a carrier's fields may have (for transports with headers: which of them to read and write). */
export function traceFields(): string[] {
  return propagator().fields();
}

/** The carrier for a call made in `context` (the active one by default), or undefined when there is nothing to carry. */
export function injectTraceContext(context: Context = contextApi.active()): TraceCarrier | undefined {
  const carrier: TraceCarrier = {};
  propagator().inject(context, carrier, { set: setField });
  for (const _ in carrier) return carrier;
  return undefined;
}

/** The context a served call continues: what `carrier` holds on top of the root context. */
export function extractTraceContext(carrier: TraceCarrier): Context {
  return propagator().extract(ROOT_CONTEXT, carrier, { get: getField, keys: Object.keys });
}

function setField(carrier: TraceCarrier, key: string, value: string): void {
  carrier[key] = value;
}

function getField(carrier: TraceCarrier, key: string): string | undefined {
  return Object.hasOwn(carrier, key) ? carrier[key] : undefined;
}

/**
 * Whether a value received from a peer can be a carrier: a plain object of at
 * most MAX_CARRIER_FIELDS string values, none longer than MAX_CARRIER_VALUE_BYTES.
 * A carrier that isn't is ignored (the call runs, untraced), never an error:
 * tracing must not fail a call.
 */
export function isTraceCarrier(value: unknown): value is TraceCarrier {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  let fields = 0;
  for (const key in value) {
    if (++fields > MAX_CARRIER_FIELDS) return false;
    const field = (value as Record<string, unknown>)[key];
    if (typeof field !== 'string' || field.length > MAX_CARRIER_VALUE_BYTES) return false;
  }
  return true;
}
