/**
 * The client side of issue 16, with the real OpenTelemetry SDK in this
 * process: a LIPClient call is a CLIENT span whose context travels with the
 * call (its server's span is its child), a stream's span ends with the stream
 * and counts its items, a failure records error.type, and the durations reach
 * rpc.client.call.duration.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { LIPClient, LIPModule } from '../src/index.js';
import { metricPoints, registerTestSdk } from './helpers/otel-sdk.js';
import { socketDir } from './helpers/temp-dir.js';

const quiet = { logLevel: 'silent' } as const;

test('calls and streams through LIPClient: CLIENT spans, parents of their SERVER spans; durations measured', async (t) => {
  const sdk = registerTestSdk();
  t.after(() => sdk.shutdown());
  const dir = socketDir(t);
  const triple = LIPModule(quiet)(function triple(x: number) {
    if (x < 0) throw new RangeError('negative');
    return x * 3;
  });
  const upTo = LIPModule(quiet)(async function* upTo(n: number) {
    for (let i = 0; i < n; i++) yield i;
  });
  for (const fn of [triple, upTo]) {
    await fn.init({ socketDir: dir });
    t.after(() => fn.exit());
  }
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.close());

  assert.equal(await client.callFunction('triple', [2]), 6);
  await assert.rejects(client.callFunction('triple', [-1]), { code: 'ERR_LIP_REMOTE' });
  const items: unknown[] = [];
  for await (const item of client.stream('upTo', [3])) items.push(item);
  assert.deepEqual(items, [0, 1, 2]);

  const spans = sdk.spans.getFinishedSpans();
  const of = (name: string, kind: SpanKind) => spans.filter((s) => s.name === name && s.kind === kind);
  const [ok, failed] = of('triple', SpanKind.CLIENT);
  const [okServer, failedServer] = of('triple', SpanKind.SERVER);
  assert.ok(ok && failed && okServer && failedServer, JSON.stringify(spans.map((s) => [s.name, s.kind])));
  assert.equal(okServer.parentSpanContext?.spanId, ok.spanContext().spanId, "the server span is the client span's child");
  assert.equal(okServer.spanContext().traceId, ok.spanContext().traceId);
  assert.deepEqual(ok.attributes, {
    'rpc.system.name': 'lipmodule',
    'rpc.method': 'triple',
    'server.address': triple.socketPath,
    'network.transport': 'unix',
    'rpc.status_code': 'OK',
  });
  assert.equal(failed.attributes['error.type'], 'ERR_LIP_REMOTE', "the client's error is a remote function's failure");
  assert.equal(failedServer.attributes['error.type'], 'RangeError', 'the server names the class it threw');
  assert.equal(failed.attributes['rpc.status_code'], 'ERR_LIP_REMOTE');
  assert.equal(failed.status.code, SpanStatusCode.ERROR);
  const [streamClient] = of('upTo', SpanKind.CLIENT);
  const [streamServer] = of('upTo', SpanKind.SERVER);
  assert.equal(streamClient?.attributes['lipmodule.stream.items'], 3);
  assert.equal(streamServer?.attributes['lipmodule.stream.items'], 3);
  assert.equal(streamServer?.parentSpanContext?.spanId, streamClient?.spanContext().spanId);

  const durations = metricPoints(await sdk.collectMetrics(), 'rpc.client.call.duration');
  const count = (method: string, status: string) =>
    durations
      .filter((p) => p.attributes['rpc.method'] === method && p.attributes['rpc.status_code'] === status)
      .reduce((n, p) => n + (p.value as { count: number }).count, 0);
  assert.equal(count('triple', 'OK'), 1);
  assert.equal(count('triple', 'ERR_LIP_REMOTE'), 1);
  assert.equal(count('upTo', 'OK'), 1);
});
