/**
 * A hostile caller against the parts of issue 16 it can reach, with the real
 * OpenTelemetry SDK registered in this process and a raw peer on the wire:
 * trace carriers that are malformed or oversized (traceparent, tracestate,
 * baggage, odd keys, too many fields) are ignored or cut to the SDK's own
 * limits, and every call is still answered; a timeout that is NaN, infinite,
 * negative, huge or not a number never crashes the server, never gives a
 * served function a deadline a Date can't hold, and a nested call made under
 * it still runs; a tiny one cancels the call and the nested one with it.
 * Over NATS the carrier is the request's headers: hostile ones are ignored alike.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import { LIPClient, LIPModule } from '../src/index.js';
import { decodeValue, encodeValue } from '../src/protocol/codec.js';
import { startNatsServer } from './helpers/nats-server.js';
import { registerTestSdk } from './helpers/otel-sdk.js';
import { RawPeer } from './helpers/raw-peer.js';
import { socketDir } from './helpers/temp-dir.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;
const quiet = { logLevel: 'silent' } as const;

async function chain(t: TestContext) {
  const dir = socketDir(t);
  const client = new LIPClient({ socketDir: dir });
  const leaf = LIPModule(quiet)(function leaf(x: number) {
    return x * 2;
  });
  /** What the served call sees of its deadline, and B's answer through a nested call. */
  const relay = LIPModule(quiet)(async function relay(x: number) {
    const { deadline } = LIPModule.context();
    const date = deadline === undefined ? null : new Date(deadline).toISOString();
    return { deadline: deadline ?? null, date, nested: await client.callFunction('leaf', [x]) };
  });
  for (const fn of [leaf, relay]) {
    await fn.init({ socketDir: dir });
    t.after(() => fn.exit());
  }
  t.after(() => client.close());
  const raw = await RawPeer.connect(relay.socketPath!);
  t.after(() => raw.destroy());
  raw.write(Buffer.from('LIP\x01'));
  return { raw, relay };
}

test('hostile trace carriers: every call answered; a carrier out of bounds ignored; tracestate cut to the SDK limit', async (t) => {
  const sdk = registerTestSdk();
  t.after(() => sdk.shutdown());
  const { raw } = await chain(t);
  const longState = Array.from({ length: 200 }, (_, i) => `k${i}=${'v'.repeat(30)}`).join(',');
  const carriers: unknown[] = [
    { traceparent: TRACEPARENT }, // the one valid parent
    { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`.toUpperCase() },
    { traceparent: `00-${'0'.repeat(32)}-${PARENT_ID}-01` },
    { traceparent: `${TRACEPARENT}\r\nX-Injected: 1` },
    { traceparent: 'x'.repeat(8192) },
    { traceparent: 'x'.repeat(8193) },
    { traceparent: TRACEPARENT, tracestate: 'x'.repeat(9000) },
    { traceparent: [TRACEPARENT] },
    { traceparent: { toString: 'no' } },
    { traceparent: null },
    { baggage: `${'k=v,'.repeat(2000)}k=v` },
    { baggage: '%%%=%%%;;;,,,===' },
    Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`f${i}`, TRACEPARENT])),
    Object.fromEntries(Array.from({ length: 8 }, (_, i) => [i === 0 ? 'traceparent' : `f${i}`, i === 0 ? TRACEPARENT : 'z'.repeat(8000)])),
    { ['__proto__']: { traceparent: TRACEPARENT } },
    { constructor: TRACEPARENT, hasOwnProperty: 'x', toString: 'y' },
    new Uint8Array(64),
    [TRACEPARENT],
    'traceparent',
    Number.NaN,
  ];
  for (const [i, trace] of carriers.entries()) {
    raw.send([1, i + 1, 'relay', [i], null, { trace }]);
    const reply = (await raw.reply(i + 1)) as [number, number, { nested: number }];
    assert.equal(reply[0], 2, `carrier ${i}: answered with a result (${JSON.stringify(reply).slice(0, 200)})`);
    assert.equal(reply[2].nested, i * 2);
  }
  // A tracestate past the SDK's 512 characters is dropped by the API's own parser.
  raw.send([1, 100, 'relay', [1], null, { trace: { traceparent: TRACEPARENT, tracestate: longState } }]);
  assert.equal(((await raw.reply(100)) as unknown[])[0], 2);

  const servers = sdk.spans.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER && span.name === 'relay');
  assert.equal(servers.length, carriers.length + 1);
  const continued = servers.filter((span) => span.parentSpanContext?.spanId === PARENT_ID);
  // The valid one, the 8-field one within the bounds, and the one whose tracestate the API drops (past 512 characters).
  assert.deepEqual(
    continued.map((span) => servers.indexOf(span)),
    [0, 13, carriers.length],
    'only well-formed carriers within bounds continue the trace',
  );
  for (const span of servers) {
    const state = span.spanContext().traceState?.serialize() ?? '';
    assert.ok(state.length <= 512, `tracestate kept within the SDK's bound (${state.length})`);
  }
  for (const span of servers.filter((s) => !continued.includes(s))) assert.notEqual(span.spanContext().traceId, TRACE_ID);
});

test('hostile timeouts: NaN, infinite, negative, huge or not a number: answered, with a deadline a Date can hold; a nested call runs', async (t) => {
  const { raw, relay } = await chain(t);
  const before = Date.now();
  const timeouts: unknown[] = [
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -1,
    -0,
    0,
    1e308,
    Number.MAX_VALUE,
    2 ** 53,
    8.64e15,
    '1000',
    true,
    [1000],
    { ms: 1000 },
    null,
    10n ** 30n,
  ];
  for (const [i, timeoutMs] of timeouts.entries()) {
    raw.send([1, i + 1, 'relay', [i], null, { timeoutMs }]);
    const reply = (await raw.reply(i + 1)) as [number, number, { deadline: number | null; date: string | null; nested: number }];
    assert.equal(
      reply[0],
      2,
      `timeoutMs ${String(timeoutMs)}: answered with a result (${JSON.stringify(reply, (_k, v) => (typeof v === 'bigint' ? String(v) : v)).slice(0, 300)})`,
    );
    assert.equal(reply[2].nested, i * 2, 'the nested call ran');
    const { deadline } = reply[2];
    if (deadline !== null) assert.ok(Number.isFinite(deadline) && deadline >= before && reply[2].date !== null, `a deadline a Date holds: ${deadline}`);
  }
  // A sane one is kept as it is.
  raw.send([1, 200, 'relay', [1], null, { timeoutMs: 60_000 }]);
  const sane = (await raw.reply(200)) as [number, number, { deadline: number }];
  assert.ok(sane[2].deadline >= before + 60_000 && sane[2].deadline <= Date.now() + 60_000);
  // A tiny one: the served call's deadline passes at once. Its signal fires, the nested call inherits
  // its last millisecond (a local leaf may still answer in it) or is cancelled with it; a call whose
  // caller's deadline passed is counted as cancelled and gets no answer (its caller has given up).
  raw.send([1, 201, 'relay', [1], null, { timeoutMs: 1e-300 }]);
  const tiny = (await raw.reply(201, 1000).catch(() => undefined)) as [number, number, { code?: string; nested?: number }] | undefined;
  if (tiny === undefined) assert.equal(relay.stats().cancelled, 1, 'no answer: the call was cancelled');
  else if (tiny[0] === 2) assert.equal(tiny[2].nested, 2);
  else assert.match(tiny[2].code ?? '', /^ERR_LIP_(TIMEOUT|ABORTED|REMOTE)$/, JSON.stringify(tiny));
  // And the connection still serves.
  raw.send([1, 202, 'relay', [21], null, null]);
  assert.equal(((await raw.reply(202)) as [number, number, { nested: number }])[2].nested, 42);
});

test('over NATS, hostile trace headers (repeated, oversized, malformed): every request answered, only a valid one continues the trace', async (t) => {
  const sdk = registerTestSdk();
  t.after(() => sdk.shutdown());
  const url = await startNatsServer(t);
  const double = LIPModule(quiet)(function double(x: number) {
    return x * 2;
  });
  await double.init({ nats: url, socket: false });
  t.after(() => double.exit());
  const nc = await connect({ servers: url });
  t.after(() => nc.close());
  const cases: [string, string][][] = [
    [['traceparent', TRACEPARENT]],
    [
      ['traceparent', TRACEPARENT],
      ['traceparent', `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`],
    ],
    [['traceparent', 'x'.repeat(20_000)]],
    [['traceparent', `${TRACEPARENT}-extra`]],
    [
      ['traceparent', TRACEPARENT],
      ['tracestate', 'k=v,'.repeat(5000)],
    ],
    [['baggage', 'b=1,'.repeat(10_000)]],
    [['tracestate', 'only=state']],
  ];
  for (const [i, fields] of cases.entries()) {
    const h = natsHeaders();
    for (const [name, value] of fields) h.append(name, value);
    const reply = await nc.request('lip.fn.double', encodeValue([1, i + 1, 'double', [i], null, { timeoutMs: Number.NaN }]), { headers: h, timeout: 5000 });
    assert.deepEqual(decodeValue(reply.data), [2, i + 1, i * 2], `case ${i}: answered`);
  }
  const servers = sdk.spans.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER);
  assert.equal(servers.length, cases.length);
  const continued = servers.flatMap((span, i) => (span.parentSpanContext?.spanId === PARENT_ID ? [i] : []));
  // The valid one, and the first of two values (as HTTP's first header wins); the oversized tracestate one is ignored as a whole.
  assert.deepEqual(continued, [0, 1]);
});
