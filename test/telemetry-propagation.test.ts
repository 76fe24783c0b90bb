/**
 * The W3C trace context and baggage lipmodule writes with @opentelemetry/api
 * alone, checked against the real SDK's propagators (@opentelemetry/core) both
 * ways, on random contexts (fast-check); the global propagator wins when the
 * application registered one; a carrier from a peer is bounded.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  createTraceState,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Context,
  type SpanContext,
} from '@opentelemetry/api';
import { CompositePropagator, parseTraceParent, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { extractTraceContext, injectTraceContext, isTraceCarrier, MAX_CARRIER_FIELDS } from '../src/telemetry/propagation.js';
import { parseTraceparent, W3CPropagator } from '../src/telemetry/w3c-propagator.js';

const sdk = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
const ours = new W3CPropagator();

const hex = (length: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`));
const spanContextArb: fc.Arbitrary<SpanContext> = fc.record({
  traceId: hex(32).filter((id) => !/^0+$/.test(id)),
  spanId: hex(16).filter((id) => !/^0+$/.test(id)),
  traceFlags: fc.constantFrom(0, 1),
  isRemote: fc.constant(true),
  traceState: fc.option(
    fc
      .array(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_\-*/]{0,20}$/), fc.stringMatching(/^[!-+\--<>-~]{1,20}$/)), { maxLength: 5 })
      .map((pairs) => createTraceState(pairs.map(([k, v]) => `${k}=${v}`).join(','))),
    { nil: undefined },
  ),
});
const baggageArb = fc.option(
  fc.dictionary(
    fc.oneof(
      fc.constantFrom('__proto__', 'constructor', 'toString'),
      fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k.trim() === k && k !== ''),
    ),
    fc.string({ minLength: 1, maxLength: 30 }).filter((v) => v.trim() === v && v !== ''),
    {
      maxKeys: 6,
    },
  ),
  { nil: undefined },
);

function contextOf(span: SpanContext, baggage: Record<string, string> | undefined): Context {
  let context = trace.setSpanContext(ROOT_CONTEXT, span);
  if (baggage)
    context = propagation.setBaggage(context, propagation.createBaggage(Object.fromEntries(Object.entries(baggage).map(([k, v]) => [k, { value: v }]))));
  return context;
}

function summary(context: Context, withoutKey?: string) {
  const span = trace.getSpanContext(context);
  let baggage = propagation.getBaggage(context);
  if (withoutKey !== undefined) baggage = baggage?.removeEntry(withoutKey);
  return {
    span: span && {
      traceId: span.traceId,
      spanId: span.spanId,
      traceFlags: span.traceFlags,
      isRemote: span.isRemote,
      state: span.traceState?.serialize() ?? '',
    },
    // An empty baggage travels as none.
    baggage: baggage && baggage.getAllEntries().length > 0 ? Object.fromEntries(baggage.getAllEntries().map(([k, e]) => [k, e.value])) : undefined,
  };
}

test('what lipmodule injects, the SDK extracts the same; what the SDK injects, lipmodule extracts the same', () => {
  fc.assert(
    fc.property(spanContextArb, baggageArb, (span, baggage) => {
      const context = contextOf(span, baggage);
      const fromUs: Record<string, string> = {};
      ours.inject(context, fromUs, defaultTextMapSetter);
      const fromSdk: Record<string, string> = {};
      sdk.inject(context, fromSdk, defaultTextMapSetter);
      // The SDK writes an empty tracestate; the W3C text says not to send one, and lipmodule doesn't.
      if (fromSdk.tracestate === '') delete fromSdk.tracestate;
      assert.deepEqual(fromUs, fromSdk, 'the same header values');
      // The SDK's extract drops a `__proto__` key (it fills a plain object); lipmodule keeps it.
      assert.deepEqual(summary(sdk.extract(ROOT_CONTEXT, fromUs, defaultTextMapGetter)), summary(context, '__proto__'));
      assert.deepEqual(summary(ours.extract(ROOT_CONTEXT, fromSdk, defaultTextMapGetter)), summary(context));
    }),
    { numRuns: 300 },
  );
});

test('traceparent: lipmodule accepts exactly the values the SDK accepts', () => {
  const samples = [
    '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00',
    ' 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 ',
    'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    '00-00000000000000000000000000000000-b7ad6b7169203331-01',
    '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
    '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01',
    '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra',
    '01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra',
    '00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01',
    '',
    'garbage',
  ];
  for (const value of samples) {
    const expected = parseTraceParent(value);
    const actual = parseTraceparent(value);
    assert.deepEqual(actual && { traceId: actual.traceId, spanId: actual.spanId, traceFlags: actual.traceFlags }, expected ?? undefined, JSON.stringify(value));
  }
});

test('baggage: lipmodule reads hostile or oversized headers as the SDK does (members, sizes, bad escapes)', () => {
  const headers = [
    'a=1,b=2;prop=x,c',
    '=novalue,k=,  spaced = v ,%zz=bad,ok=%E2%9C%93',
    Array.from({ length: 300 }, (_, i) => `k${i}=v`).join(','),
    `big=${'x'.repeat(5000)},small=1`,
    Array.from({ length: 10 }, (_, i) => `k${i}=${'y'.repeat(1000)}`).join(','),
  ];
  for (const baggage of headers) {
    const carrier = { baggage };
    assert.deepEqual(
      summary(ours.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter)).baggage,
      summary(sdk.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter)).baggage,
      baggage.slice(0, 40),
    );
  }
});

test('injectTraceContext: W3C when no global propagator is registered, the global one when it is', () => {
  const context = contextOf({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: true }, { user: 'ada' });
  assert.deepEqual(injectTraceContext(context), { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', baggage: 'user=ada' });
  assert.equal(injectTraceContext(ROOT_CONTEXT), undefined, 'nothing to carry');
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  try {
    assert.deepEqual(
      injectTraceContext(context),
      { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      'the registered propagator carries no baggage',
    );
    assert.equal(
      propagation.getBaggage(extractTraceContext({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', baggage: 'user=ada' })),
      undefined,
    );
  } finally {
    propagation.disable();
  }
  assert.equal(propagation.getBaggage(extractTraceContext({ baggage: 'user=ada' }))?.getEntry('user')?.value, 'ada');
});

test('isTraceCarrier: only a small plain object of short strings', () => {
  assert.ok(isTraceCarrier({ traceparent: 'x' }));
  assert.ok(isTraceCarrier({}));
  assert.ok(!isTraceCarrier(null));
  assert.ok(!isTraceCarrier(['traceparent']));
  assert.ok(!isTraceCarrier({ traceparent: 1 }));
  assert.ok(!isTraceCarrier(new Map()));
  assert.ok(!isTraceCarrier({ baggage: 'x'.repeat(9000) }));
  assert.ok(!isTraceCarrier(Object.fromEntries(Array.from({ length: MAX_CARRIER_FIELDS + 1 }, (_, i) => [`k${i}`, 'v']))));
});
