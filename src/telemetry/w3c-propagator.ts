/**
 * W3C Trace Context (`traceparent`, `tracestate`) and W3C Baggage (`baggage`)
 * as one TextMapPropagator, written against @opentelemetry/api alone: the
 * SDK's propagators live in @opentelemetry/core, which a library that depends
 * only on the API can't count on. Used when the application registered no
 * global propagator; test/telemetry-propagation.test.ts checks it against the SDK's.
 *
 * https://www.w3.org/TR/trace-context/ and https://www.w3.org/TR/baggage/
 */
import {
  baggageEntryMetadataFromString,
  createContextKey,
  createTraceState,
  isSpanContextValid,
  propagation,
  trace,
  type BaggageEntry,
  type Context,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';

export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';
export const BAGGAGE = 'baggage';

/** Baggage limits: the ones the OpenTelemetry SDK uses (the W3C minimums are 64 members, 8192 bytes). */
export const BAGGAGE_MAX_MEMBERS = 180;
export const BAGGAGE_MAX_MEMBER_BYTES = 4096;
export const BAGGAGE_MAX_BYTES = 8192;

// version-traceid-parentid-flags; a later version may append fields after a dash (version 00 may not).
const TRACEPARENT_FORMAT = /^[ \t]*([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(-[^ \t]*)?[ \t]*$/;

// The SDK's "suppress tracing" flag lives in @opentelemetry/core; its key is a Symbol.for, so this is the same key.
const SUPPRESS_TRACING = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

function suppressed(context: Context): boolean {
  return context.getValue(SUPPRESS_TRACING) === true;
}

export class W3CPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    if (suppressed(context)) return;
    const span = trace.getSpanContext(context);
    if (span && isSpanContextValid(span)) {
      setter.set(carrier, TRACEPARENT, `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, '0')}`);
      const state = span.traceState?.serialize();
      if (state) setter.set(carrier, TRACESTATE, state);
    }
    const baggage = propagation.getBaggage(context);
    if (baggage) {
      const header = serializeBaggage(baggage.getAllEntries());
      if (header.length > 0) setter.set(carrier, BAGGAGE, header);
    }
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    let result = context;
    const span = parseTraceparent(firstValue(getter.get(carrier, TRACEPARENT)));
    if (span) {
      const state = getter.get(carrier, TRACESTATE);
      const joined = Array.isArray(state) ? state.join(',') : state;
      if (typeof joined === 'string') span.traceState = createTraceState(joined);
      result = trace.setSpanContext(result, span);
    }
    const header = getter.get(carrier, BAGGAGE);
    const entries = parseBaggage(Array.isArray(header) ? header : header === undefined ? [] : [header]);
    if (entries) result = propagation.setBaggage(result, propagation.createBaggage(entries));
    return result;
  }

  fields(): string[] {
    return [TRACEPARENT, TRACESTATE, BAGGAGE];
  }
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A remote span context from a `traceparent` value, or undefined when it is not a valid one. */
export function parseTraceparent(value: string | undefined): SpanContext | undefined {
  if (typeof value !== 'string') return undefined;
  const match = TRACEPARENT_FORMAT.exec(value);
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  // Version ff is invalid; version 00 has exactly four fields.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  const span: SpanContext = { traceId: traceId!, spanId: spanId!, traceFlags: Number.parseInt(flags!, 16), isRemote: true };
  return isSpanContextValid(span) ? span : undefined;
}

function serializeBaggage(entries: [string, BaggageEntry][]): string {
  let header = '';
  let members = 0;
  for (const [key, entry] of entries) {
    if (members === BAGGAGE_MAX_MEMBERS) break;
    let member = `${encodeURIComponent(key)}=${encodeURIComponent(entry.value)}`;
    // Metadata is opaque: kept as it came, as the SDK does.
    if (entry.metadata !== undefined) member += `;${entry.metadata.toString()}`;
    if (member.length > BAGGAGE_MAX_MEMBER_BYTES) continue;
    const next = header === '' ? member : `${header},${member}`;
    if (next.length > BAGGAGE_MAX_BYTES) continue;
    header = next;
    members++;
  }
  return header;
}

/** The baggage in `headers`, within the limits, or undefined when it holds no valid member. */
function parseBaggage(headers: string[]): Record<string, BaggageEntry> | undefined {
  // No prototype: a peer's key `__proto__` is a key like any other, not a prototype to set.
  const entries: Record<string, BaggageEntry> = Object.create(null);
  let members = 0;
  let bytes = 0;
  for (const header of headers) {
    for (const member of header.split(',')) {
      if (members === BAGGAGE_MAX_MEMBERS) return entries;
      if (member.length > BAGGAGE_MAX_MEMBER_BYTES) continue;
      const parsed = parseBaggageMember(member);
      if (!parsed) continue;
      const size = (members === 0 ? 0 : 1) + member.length;
      if (bytes + size > BAGGAGE_MAX_BYTES) return entries;
      entries[parsed.key] = parsed.entry;
      members++;
      bytes += size;
    }
  }
  return members === 0 ? undefined : entries;
}

function parseBaggageMember(member: string): { key: string; entry: BaggageEntry } | undefined {
  const semicolon = member.indexOf(';');
  const pair = semicolon === -1 ? member : member.slice(0, semicolon);
  const equals = pair.indexOf('=');
  if (equals <= 0) return undefined;
  const rawKey = pair.slice(0, equals).trim();
  const rawValue = pair.slice(equals + 1).trim();
  if (rawKey === '' || rawValue === '') return undefined;
  let key: string;
  let value: string;
  try {
    key = decodeURIComponent(rawKey);
    value = decodeURIComponent(rawValue);
  } catch {
    return undefined;
  }
  const metadata = semicolon !== -1 && semicolon < member.length - 1 ? baggageEntryMetadataFromString(member.slice(semicolon + 1)) : undefined;
  return { key, entry: metadata ? { value, metadata } : { value } };
}
