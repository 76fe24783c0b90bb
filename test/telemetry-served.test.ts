/**
 * The server side of issue 16, with the real OpenTelemetry SDK in this
 * process and a raw peer as the caller: a served call's SERVER span continues
 * the trace the Call's `trace` option carries (an invalid carrier is ignored,
 * never an error), a stream records its item count, a cancelled call ends its
 * span as failed, and the durations and cache lookups reach the meter.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { LIPModule } from '../src/index.js';
import { metricPoints, registerTestSdk } from './helpers/otel-sdk.js';
import { RawPeer } from './helpers/raw-peer.js';
import { socketDir } from './helpers/temp-dir.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';
const quiet = { logLevel: 'silent' } as const;

async function served(t: TestContext, fns: { init(options: { socketDir: string }): Promise<void>; exit(): Promise<void>; socketPath: string | undefined }[]) {
  const dir = socketDir(t);
  for (const fn of fns) {
    await fn.init({ socketDir: dir });
    t.after(() => fn.exit());
  }
  return fns.map((fn) => fn.socketPath!);
}

async function peer(t: TestContext, path: string): Promise<RawPeer> {
  const raw = await RawPeer.connect(path);
  t.after(() => raw.destroy());
  raw.write(Buffer.from('LIP\x01'));
  return raw;
}

test('a served call continues the trace its Call carries; an invalid carrier is ignored', async (t) => {
  const sdk = registerTestSdk();
  t.after(() => sdk.shutdown());
  const double = LIPModule(quiet)(function double(x: number) {
    return x * 2;
  });
  const [path] = await served(t, [double]);
  const raw = await peer(t, path!);
  raw.send([1, 1, 'double', [2], null, { trace: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, baggage: 'tenant=a' } }]);
  assert.deepEqual(await raw.reply(1), [2, 1, 4]);
  raw.send([1, 2, 'double', [3], null, { trace: { traceparent: 42 } }]);
  assert.deepEqual(await raw.reply(2), [2, 2, 6], 'a carrier that is not one: the call runs');
  raw.send([1, 3, 'double', [4], null, { trace: 'not a map' }]);
  assert.deepEqual(await raw.reply(3), [2, 3, 8]);

  const spans = sdk.spans.getFinishedSpans();
  assert.equal(spans.length, 3);
  const [first, second, third] = spans;
  assert.equal(first!.kind, SpanKind.SERVER);
  assert.equal(first!.name, 'double');
  assert.equal(first!.spanContext().traceId, TRACE_ID);
  assert.equal(first!.parentSpanContext?.spanId, PARENT_ID);
  assert.deepEqual(first!.attributes, {
    'rpc.system.name': 'lipmodule',
    'rpc.method': 'double',
    'server.address': path,
    'network.transport': 'unix',
    'rpc.status_code': 'OK',
  });
  for (const root of [second!, third!]) {
    assert.equal(root.parentSpanContext, undefined, 'an ignored carrier: a trace of its own');
    assert.notEqual(root.spanContext().traceId, TRACE_ID);
  }
  const durations = metricPoints(await sdk.collectMetrics(), 'rpc.server.call.duration');
  assert.equal((durations[0]!.value as { count: number }).count, 3);
});

test('a stream records its item count; a failure its error.type; a cancelled call ends failed', async (t) => {
  const sdk = registerTestSdk();
  t.after(() => sdk.shutdown());
  const count = LIPModule(quiet)(async function* count(n: number) {
    for (let i = 0; i < n; i++) yield i;
  });
  const fail = LIPModule(quiet)(function fail() {
    throw new RangeError('no');
  });
  const hang = LIPModule(quiet)(async function hang() {
    const { signal } = LIPModule.context();
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return 'returned anyway';
  });
  const [countPath, failPath, hangPath] = await served(t, [count, fail, hang]);
  const streams = await peer(t, countPath!);
  streams.send([1, 1, 'count', [3], null, { stream: true }]);
  await streams.waitFrame((f) => f[0] === 6 && f[1] === 1);
  streams.send([1, 2, 'count', [4], null, null]);
  assert.deepEqual(await streams.reply(2), [2, 2, [0, 1, 2, 3]]);
  const failing = await peer(t, failPath!);
  failing.send([1, 1, 'fail', [], null, null]);
  await failing.reply(1);
  const hanging = await peer(t, hangPath!);
  hanging.send([1, 1, 'hang', [], null, null]);
  for (let i = 0; i < 100 && hang.stats().inFlight === 0; i++) await new Promise((r) => setTimeout(r, 10));
  hanging.send([4, 1]);
  for (let i = 0; i < 100 && hang.stats().cancelled === 0; i++) await new Promise((r) => setTimeout(r, 10));

  const spans = sdk.spans.getFinishedSpans();
  const byName = (name: string) => spans.filter((s) => s.name === name);
  const [streamed, collected] = byName('count');
  assert.equal(streamed!.attributes['lipmodule.stream.items'], 3, 'a stream records its item count');
  assert.equal(streamed!.attributes['rpc.status_code'], 'OK');
  assert.equal(collected!.attributes['lipmodule.stream.items'], undefined, 'collected into one reply: a plain call');
  const failed = byName('fail')[0]!;
  assert.equal(failed.attributes['error.type'], 'RangeError');
  assert.equal(failed.attributes['rpc.status_code'], 'ERR_LIP_REMOTE');
  assert.equal(failed.status.code, SpanStatusCode.ERROR);
  const cancelled = byName('hang')[0]!;
  assert.ok(cancelled, 'the cancelled call ended its span');
  assert.equal(cancelled.attributes['error.type'], 'AbortError', 'cancelled, though the function returned');
  assert.equal(cancelled.status.code, SpanStatusCode.ERROR);
  assert.equal(hang.stats().cancelled, 1);
});

test('cache hits and misses reach the meter, per function', async (t) => {
  const sdk = registerTestSdk({ tracing: false });
  t.after(() => sdk.shutdown());
  const square = LIPModule({ ...quiet, lru: true })(function square(x: number) {
    return x * x;
  });
  const [path] = await served(t, [square]);
  const raw = await peer(t, path!);
  for (const [id, x] of [
    [1, 3],
    [2, 3],
    [3, 4],
    [4, 3],
  ] as const) {
    raw.send([1, id, 'square', [x], null, null]);
    await raw.reply(id);
  }
  const metrics = await sdk.collectMetrics();
  const attributes = { 'rpc.system.name': 'lipmodule', 'rpc.method': 'square' };
  assert.deepEqual(metricPoints(metrics, 'lipmodule.cache.hits'), [{ attributes, value: 2 }]);
  assert.deepEqual(metricPoints(metrics, 'lipmodule.cache.misses'), [{ attributes, value: 2 }]);
  const active = metricPoints(metrics, 'lipmodule.server.active_calls');
  assert.deepEqual(active, [{ attributes, value: 0 }]);
});
