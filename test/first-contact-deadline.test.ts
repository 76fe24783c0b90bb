/**
 * The first contact with a function (the probe that tells a lipmodule server
 * from the Python original) is part of the call: it is bounded by the call's
 * deadline, and running out of it there is the call's timeout. Listing bounds
 * its probes by its timeout and probes every socket at once.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { ErrorCode, LIPClient, LIPTimeoutError } from '../src/index.js';
import { serveFixture, startFixture, type ServerProcess } from './helpers/fixture-server.js';
import { socketDir } from './helpers/temp-dir.js';

/** Has another client call `block(ms)`, and resolves once the server's event loop is held. */
async function blockServer(t: TestContext, server: ServerProcess, dir: string, ms: number): Promise<{ done: Promise<unknown> }> {
  const blocker = new LIPClient({ socketDir: dir, timeoutMs: 0 });
  t.after(() => blocker.destroy());
  await blocker.ping('block');
  const done = blocker.callFunction('block', [ms]);
  await server.waitFor('BLOCKING');
  // Wrapped: an async function returning the promise itself would wait for it.
  return { done };
}

/** A blocking-server held by another client for `ms`, and a fresh client that has not contacted it yet. */
async function blockedWithFreshClient(t: TestContext, ms: number): Promise<{ blocked: Promise<unknown>; blockedEnd: Promise<void>; client: LIPClient }> {
  const dir = socketDir(t);
  const server = await startFixture(t, 'blocking-server.ts', dir);
  const { done: blocked } = await blockServer(t, server, dir, ms);
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  return {
    blocked,
    blockedEnd: blocked.then(
      () => undefined,
      () => undefined,
    ),
    client,
  };
}

/** Fails with `what` if `work` has not settled by the time `guard` does (a hang guard, not a speed check). */
function beforeThat<T>(work: Promise<T>, guard: Promise<unknown>, what: string): Promise<T> {
  return Promise.race([work, guard.then(() => Promise.reject(new Error(what)))]);
}

test("a fresh client's first call to a blocked server times out at the call's deadline, not after the 5 s probe", async (t) => {
  const { blocked, blockedEnd, client } = await blockedWithFreshClient(t, 9000);
  const error = await beforeThat(
    client.callFunction('quick', [], {}, { timeoutMs: 1000 }).then(
      () => assert.fail('the call answered while the server was blocked'),
      (e: unknown) => e,
    ),
    blockedEnd,
    'the call was still pending when the server unblocked',
  );
  assert.ok(error instanceof LIPTimeoutError, `expected LIPTimeoutError, got ${String(error)}`);
  assert.equal(error.code, ErrorCode.Timeout);
  assert.match(error.message, /'quick' did not answer within its deadline of 1000 ms/);
  // Once the server is free, the same client reaches it.
  await blocked;
  assert.equal(await client.callFunction('quick'), 'quick');
});

test('ping and describe on first contact honour their own timeouts too', async (t) => {
  const { blockedEnd, client } = await blockedWithFreshClient(t, 9000);
  const outcomes = await beforeThat(
    Promise.allSettled([client.ping('quick', { timeoutMs: 800 }), client.describe('nap', { timeoutMs: 800 })]),
    blockedEnd,
    'ping or describe was still pending when the server unblocked',
  );
  for (const outcome of outcomes) {
    assert.equal(outcome.status, 'rejected');
    assert.ok(outcome.reason instanceof LIPTimeoutError, String(outcome.reason));
  }
});

test('the time the first contact took counts against the call deadline', async (t) => {
  // The probe waits out most of the block; the nap that follows would fit in a fresh deadline but not in what is left.
  const { blocked, client } = await blockedWithFreshClient(t, 1200);
  await assert.rejects(client.callFunction('nap', [1500], {}, { timeoutMs: 2000 }), (error: unknown) => {
    assert.ok(error instanceof LIPTimeoutError, String(error));
    assert.match(error.message, /within its deadline of 2000 ms/);
    return true;
  });
  await blocked;
});

test('listing bounds each probe by its timeout and probes every socket at once', async (t) => {
  const dir = socketDir(t);
  const server = await startFixture(t, 'blocking-server.ts', dir, { MUTE_SOCKETS: '3' });
  // A connect timeout far beyond the test's patience: only the listing's own timeout can end the probes.
  const client = new LIPClient({ socketDir: dir, connectTimeoutMs: 600_000 });
  t.after(() => client.destroy());
  const guard = new Promise((resolve) => setTimeout(resolve, 20_000).unref());
  const sockets = await beforeThat(client.listSockets({ timeoutMs: 500 }), guard, 'the listing ignored its 500 ms timeout');
  const mute = sockets.filter((s) => s.name.startsWith('mute'));
  assert.deepEqual(mute.map((s) => s.name).sort(), ['mute0', 'mute1', 'mute2']);
  // Someone accepts there: busy, not stale.
  for (const s of mute) assert.equal(s.state, 'live');
  const opened = server.output().match(/MUTE-OPEN \d+ (\d+)/g)!;
  const mostOpen = Math.max(...opened.map((line) => Number(line.split(' ')[2])));
  assert.equal(mostOpen, 3, `the three mute sockets were probed one after another:\n${server.output()}`);
});

test("the client's timeoutMs bounds the listing's probes when none is given", async (t) => {
  const { client } = await serveFixture(t, 'blocking-server.ts', { env: { MUTE_SOCKETS: '1' }, client: { timeoutMs: 500, connectTimeoutMs: 600_000 } });
  const guard = new Promise((resolve) => setTimeout(resolve, 20_000).unref());
  const names = await beforeThat(client.listFunctions(), guard, "the listing ignored the client's 500 ms timeout");
  assert.ok(names.includes('mute0') && names.includes('quick'), names.join());
  // serverKind, as `lip ls` asks next, is bounded the same way.
  await assert.rejects(beforeThat(client.serverKind('mute0'), guard, 'serverKind ignored the timeout'), LIPTimeoutError);
});
