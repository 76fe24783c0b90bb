/**
 * Issue 16 end to end, three real processes each with the real OpenTelemetry
 * SDK: this test (the client) -> A -> B, over Unix sockets and over NATS.
 * One trace, the span chain client -> A server -> A client -> B server, the
 * documented attributes; a deadline that shrinks as it goes deeper and a
 * cancellation that follows it.
 *
 * A call marked `detached` keeps its own deadline and outlives its caller.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { LIPClient } from '../src/index.js';
import { registerTestSdk } from './helpers/otel-sdk.js';
import { startFixture } from './helpers/fixture-server.js';
import { socketDir } from './helpers/temp-dir.js';
import { startNatsServer } from './helpers/nats-server.js';

interface SpanRow {
  name: string;
  kind: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  attributes: Record<string, unknown>;
  status: number;
}

async function startChain(t: TestContext, transport: 'unix' | 'nats') {
  const env: Record<string, string> = transport === 'nats' ? { NATS_URL: await startNatsServer(t) } : {};
  const dir = socketDir(t);
  await startFixture(t, 'observe-chain.ts', dir, { ...env, ROLE: 'b' });
  await startFixture(t, 'observe-chain.ts', dir, { ...env, ROLE: 'a' });
  const client = new LIPClient(transport === 'nats' ? { socketDir: dir, nats: env.NATS_URL!, prefer: 'nats' } : { socketDir: dir });
  t.after(() => client.close());
  return client;
}

for (const transport of ['unix', 'nats'] as const) {
  test(`client -> A -> B over ${transport}: one trace, spans chained client -> A server -> A client -> B server`, async (t) => {
    const sdk = registerTestSdk();
    t.after(() => sdk.shutdown());
    const client = await startChain(t, transport);
    assert.equal(await client.callFunction('relay', [21]), 42);
    const mine = sdk.spans.getFinishedSpans().filter((s) => s.name === 'relay');
    const fromA = ((await client.callFunction('spans_a', [])) as SpanRow[]).filter((s) => s.name !== 'spans_a');
    const fromB = ((await client.callFunction('spans_b', [])) as SpanRow[]).filter((s) => s.name !== 'spans_b');
    assert.equal(mine.length, 1);
    const clientSpan = mine[0]!;
    const aServer = fromA.find((s) => s.name === 'relay' && s.kind === 'SERVER');
    const aClient = fromA.find((s) => s.name === 'leaf' && s.kind === 'CLIENT');
    const bServer = fromB.find((s) => s.name === 'leaf' && s.kind === 'SERVER');
    assert.ok(aServer && aClient && bServer, JSON.stringify({ fromA, fromB }));
    const traceId = clientSpan.spanContext().traceId;
    assert.deepEqual([aServer.traceId, aClient.traceId, bServer.traceId], [traceId, traceId, traceId], 'one trace id');
    assert.equal(aServer.parentSpanId, clientSpan.spanContext().spanId);
    assert.equal(aClient.parentSpanId, aServer.spanId);
    assert.equal(bServer.parentSpanId, aClient.spanId);
    assert.equal(clientSpan.attributes['rpc.system.name'], 'lipmodule');
    assert.equal(clientSpan.attributes['rpc.method'], 'relay');
    assert.equal(clientSpan.attributes['rpc.status_code'], 'OK');
    assert.equal(bServer.attributes['rpc.method'], 'leaf');
    assert.equal(bServer.attributes['network.transport'], transport === 'nats' ? 'tcp' : 'unix');
    assert.match(String(bServer.attributes['server.address']), transport === 'nats' ? /leaf/ : /lipcm-leaf\.sock$/);
  });

  test(`deadline over ${transport}: timeoutMs 300 into A, whose call to B (2 s) is cancelled within 400 ms of the client's start`, async (t) => {
    const client = await startChain(t, transport);
    // A finds B first (over NATS, discovery listens 500 ms): what is measured is the deadline, not first contact.
    assert.equal(await client.callFunction('relay', [1]), 2);
    const start = Date.now();
    await assert.rejects(client.callFunction('slowRelay', [2000], {}, { timeoutMs: 300 }), { code: 'ERR_LIP_TIMEOUT' });
    let fired: number | null = null;
    for (let i = 0; i < 50 && fired === null; i++) {
      fired = ((await client.callFunction('leafReport', [])) as { signalFiredAt: number | null }).signalFiredAt;
      if (fired === null) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(fired !== null, "B's signal fired");
    assert.ok(fired - start <= 400, `B's signal fired ${fired - start} ms after the client's start`);
    const stats = (await client.stats('slowLeaf')) as { cancelled?: number };
    assert.equal(stats.cancelled, 1, "B's call is counted as cancelled");
  });

  test(`detached over ${transport}: a nested call marked detached is not cancelled with its caller`, async (t) => {
    const client = await startChain(t, transport);
    await assert.rejects(client.callFunction('detachedRelay', [1500], {}, { timeoutMs: 200 }), { code: 'ERR_LIP_TIMEOUT' });
    // Past the caller's deadline and the time an inherited one would have fired: B's call still runs.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const report = (await client.callFunction('leafReport', [])) as { signalFiredAt: number | null };
    assert.equal(report.signalFiredAt, null, "B's signal did not fire");
    const stats = (await client.stats('slowLeaf')) as { inFlight: number; cancelled?: number };
    assert.equal(stats.inFlight, 1, "B's call is still running");
    assert.equal(stats.cancelled, 0);
  });
}
