/**
 * The call records the call paths use, with the real OpenTelemetry SDK in
 * process: the span chain client -> A server -> A client -> B server in one
 * trace, carried through the W3C carrier only; the conventions' attributes;
 * durations in seconds with error.type; nothing at all with no SDK.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context, propagation, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { LIPTimeoutError } from '../src/errors.js';
import { VERSION } from '../src/version.js';
import { activeTelemetry } from '../src/telemetry/active.js';
import { ClientCallRecord, recordCacheLookup, ServerCallRecord } from '../src/telemetry/call-record.js';
import { RpcTarget } from '../src/telemetry/rpc-target.js';
import { metricPoints, registerTestSdk } from './helpers/otel-sdk.js';

const targetA = new RpcTarget({ method: 'a', serverAddress: '/tmp/lipcm-a.sock', transport: 'unix' });
const targetB = new RpcTarget({ method: 'b', serverAddress: 'lip.b', transport: 'tcp' });

test('no SDK registered: activeTelemetry() is undefined, and becomes defined once one registers', async () => {
  // Nothing registered yet: active.ts watches the API's globals (a setter in their place) instead of reading them each call.
  const watched = Object.getOwnPropertyDescriptor(globalThis, Symbol.for('opentelemetry.js.api.1'));
  assert.equal(typeof watched?.set, 'function', 'the API globals are watched until the first registration');
  assert.equal(activeTelemetry(), undefined);
  const sdk = registerTestSdk({ metrics: false });
  try {
    const telemetry = activeTelemetry();
    assert.ok(telemetry?.tracer, 'a tracer once a tracer provider is registered');
    assert.equal(telemetry.instruments, undefined, 'no instruments without a meter provider');
    assert.equal(activeTelemetry(), telemetry, 'cached while the providers stay the same');
  } finally {
    await sdk.shutdown();
  }
  assert.equal(activeTelemetry(), undefined, 'undefined again once the SDK is gone');
  // The API in use with no provider (the bench's `api` row): still nothing to record.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  try {
    assert.equal(activeTelemetry(), undefined, 'a context manager and a propagator alone record nothing');
    const meters = registerTestSdk({ tracing: false });
    try {
      const telemetry = activeTelemetry();
      assert.ok(telemetry?.instruments, 'instruments once a meter provider alone is registered');
      assert.equal(telemetry.tracer, undefined);
    } finally {
      await meters.shutdown();
    }
  } finally {
    context.disable();
    propagation.disable();
  }
  assert.equal(activeTelemetry(), undefined);
});

test('client -> A -> B: one trace, each span the parent of the next, through the carrier alone', async () => {
  const sdk = registerTestSdk();
  try {
    const telemetry = activeTelemetry()!;
    const client = new ClientCallRecord(telemetry, targetA);
    assert.match(client.carrier?.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    // A, in "another process": only the carrier crosses.
    const carrierToA = structuredClone(client.carrier!);
    const serverA = new ServerCallRecord(telemetry, targetA, carrierToA);
    const carrierToB = context.with(serverA.context, () => {
      const nested = new ClientCallRecord(telemetry, targetB);
      const serverB = new ServerCallRecord(telemetry, targetB, structuredClone(nested.carrier!));
      serverB.succeed({ items: 3 });
      nested.succeed({ items: 3 });
      return nested.carrier;
    });
    assert.ok(carrierToB);
    serverA.fail(new LIPTimeoutError('too slow'));
    client.fail(new LIPTimeoutError('too slow'));

    const spans = sdk.spans.getFinishedSpans();
    assert.equal(spans.length, 4);
    const find = (name: string, kind: SpanKind) => spans.find((s) => s.name === name && s.kind === kind)!;
    const [c, sa, ca, sb] = [find('a', SpanKind.CLIENT), find('a', SpanKind.SERVER), find('b', SpanKind.CLIENT), find('b', SpanKind.SERVER)];
    assert.equal(new Set(spans.map((s) => s.spanContext().traceId)).size, 1, 'one trace id');
    assert.equal(sa.parentSpanContext?.spanId, c.spanContext().spanId);
    assert.equal(ca.parentSpanContext?.spanId, sa.spanContext().spanId);
    assert.equal(sb.parentSpanContext?.spanId, ca.spanContext().spanId);
    assert.deepEqual(sb.attributes, {
      'rpc.system.name': 'lipmodule',
      'rpc.method': 'b',
      'server.address': 'lip.b',
      'network.transport': 'tcp',
      'rpc.status_code': 'OK',
      'lipmodule.stream.items': 3,
    });
    assert.equal(sb.status.code, SpanStatusCode.UNSET);
    assert.deepEqual(
      { ...sb.instrumentationScope },
      { name: 'lipmodule', version: VERSION, schemaUrl: 'https://opentelemetry.io/schemas/1.45.0' },
      'the scope names the conventions release followed',
    );
    assert.equal(sa.attributes['error.type'], 'ERR_LIP_TIMEOUT');
    assert.equal(sa.attributes['rpc.status_code'], 'ERR_LIP_TIMEOUT');
    assert.equal(sa.attributes['server.address'], '/tmp/lipcm-a.sock');
    assert.equal(sa.status.code, SpanStatusCode.ERROR);
    assert.equal(sa.status.message, 'too slow');

    const metrics = await sdk.collectMetrics();
    const server = metricPoints(metrics, 'rpc.server.call.duration');
    assert.deepEqual(
      server.map((p) => p.attributes).sort((x, y) => String(x['rpc.method']).localeCompare(String(y['rpc.method']))),
      [
        { 'rpc.system.name': 'lipmodule', 'rpc.method': 'a', 'error.type': 'ERR_LIP_TIMEOUT', 'rpc.status_code': 'ERR_LIP_TIMEOUT' },
        { 'rpc.system.name': 'lipmodule', 'rpc.method': 'b', 'rpc.status_code': 'OK' },
      ],
    );
    const histogram = server[0]!.value as { count: number; sum: number; buckets: { boundaries: number[] } };
    assert.equal(histogram.count, 1);
    assert.ok(histogram.sum >= 0 && histogram.sum < 60, 'seconds, not milliseconds');
    assert.equal(histogram.buckets.boundaries[0], 0.0001, 'the shared buckets');
    assert.equal(metricPoints(metrics, 'rpc.client.call.duration').length, 2);
    const active = metricPoints(metrics, 'lipmodule.server.active_calls');
    assert.ok(active.length > 0 && active.every((p) => p.value === 0), 'back to 0 in flight');
  } finally {
    await sdk.shutdown();
  }
});

test('cache hits and misses are counted per function; a record ends once', async () => {
  const sdk = registerTestSdk({ tracing: false });
  try {
    const telemetry = activeTelemetry()!;
    assert.equal(telemetry.tracer, undefined);
    recordCacheLookup(telemetry, targetA, { hit: false });
    recordCacheLookup(telemetry, targetA, { hit: true });
    recordCacheLookup(telemetry, targetA, { hit: true });
    const record = new ServerCallRecord(telemetry, targetA, undefined);
    record.succeed();
    record.fail(new Error('late'));
    const metrics = await sdk.collectMetrics();
    assert.deepEqual(
      metricPoints(metrics, 'lipmodule.cache.hits').map((p) => p.value),
      [2],
    );
    assert.deepEqual(
      metricPoints(metrics, 'lipmodule.cache.misses').map((p) => p.value),
      [1],
    );
    const durations = metricPoints(metrics, 'rpc.server.call.duration');
    assert.equal(durations.length, 1, 'only the first ending counts');
    assert.equal((durations[0]!.value as { count: number }).count, 1);
  } finally {
    await sdk.shutdown();
  }
});
