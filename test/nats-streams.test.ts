/**
 * Streams over NATS with the socket's semantics, against a real nats-server: items arrive as the
 * generator yields them under the reader's credit (10,000 of them, never far ahead of the reader),
 * leaving the loop early stops the generator on the replica (its `finally` runs), and a replica
 * killed mid-stream fails the stream with LIPConnectionError well within its deadline. Streams and
 * calls running over NATS are bounded (maxInFlightPerConnection: NATS is one connection for all callers),
 * and a stream whose reader stays alive but stops reading holds its place no longer than idleTimeoutMs.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LIPBusyError, LIPClient, LIPConnectionError, LIPModule, LIPTimeoutError } from '../src/index.js';
import { startFixture } from './helpers/fixture-server.js';
import { startNatsServer } from './helpers/nats-server.js';
import { socketDir } from './helpers/temp-dir.js';
import { until } from './helpers/until.js';

const WINDOW = 16;

test('streams over NATS', async (t) => {
  const url = await startNatsServer(t);
  const dir = socketDir(t);
  const finallyFile = join(dir, 'finally.txt');
  const replica = await startFixture(t, 'nats-streams.ts', dir, { NATS_URL: url, FINALLY_FILE: finallyFile });
  const client = new LIPClient({ socketDir: dir, nats: url, streamWindow: WINDOW });
  t.after(() => client.destroy());

  await t.test('10,000 items in order, the generator never more than the window ahead of its reader', async () => {
    let expected = 0;
    let furthestAhead = 0;
    for await (const item of client.stream<number>('count', [10_000])) {
      assert.equal(item, expected++);
      if (expected % 1000 === 0) {
        // Reading slowly now and then: a producer without back-pressure would run to the end meanwhile.
        await new Promise((r) => setTimeout(r, 30));
        const produced = (await client.callFunction('producedSoFar')) as number;
        furthestAhead = Math.max(furthestAhead, produced - expected);
      }
    }
    assert.equal(expected, 10_000);
    t.diagnostic(`the generator ran at most ${furthestAhead} items ahead of the reader`);
    assert.ok(furthestAhead <= WINDOW + 1, `ran ${furthestAhead} items ahead with a window of ${WINDOW}`);
  });

  await t.test('break after 5 items stops the generator on the replica: its finally runs', async () => {
    const got: number[] = [];
    for await (const item of client.stream<number>('endless', ['broke'])) {
      got.push(item);
      if (got.length === 5) break;
    }
    assert.deepEqual(got, [0, 1, 2, 3, 4]);
    await until(() => existsSync(finallyFile) && readFileSync(finallyFile, 'utf8').includes('broke'), 5000);
  });

  await t.test('an abort stops it the same way', async () => {
    const controller = new AbortController();
    let n = 0;
    await assert.rejects(async () => {
      for await (const _ of client.stream('endless', ['aborted'], {}, { signal: controller.signal })) if (++n === 3) controller.abort();
    }, /aborted/);
    await until(() => readFileSync(finallyFile, 'utf8').includes('aborted'), 5000);
  });

  await t.test('a replica killed mid-stream fails the stream with LIPConnectionError within its deadline', async () => {
    const started = Date.now();
    let n = 0;
    const error = await (async () => {
      for await (const _ of client.stream('endless', ['killed'], {}, { timeoutMs: 20_000 })) if (++n === 5) replica.child.kill('SIGKILL');
    })().catch((e: unknown) => e);
    const took = Date.now() - started;
    assert.ok(error instanceof LIPConnectionError, String(error));
    assert.match(error.message, /stopped answering/);
    t.diagnostic(`failed after ${took} ms: ${error.message}`);
    assert.ok(took < 20_000, `took ${took} ms`);
  });
});

test('calls and streams running over NATS are bounded by maxInFlightPerConnection: beyond it, LIPBusyError', async (t) => {
  const url = await startNatsServer(t);
  const dir = socketDir(t);
  const ticks = LIPModule({ logLevel: 'silent', maxInFlightPerConnection: 3 })(async function* ticks() {
    for (let i = 0; ; i++) yield i;
  });
  await ticks.init({ nats: url, socket: false });
  const client = new LIPClient({ socketDir: dir, nats: url });
  t.after(() => client.destroy());
  // Three streams read once and then left waiting: each holds its place (and the generator waits for credit).
  const held = [client.stream<number>('ticks'), client.stream<number>('ticks'), client.stream<number>('ticks')].map((s) => s[Symbol.asyncIterator]());
  for (const stream of held) assert.equal((await stream.next()).value, 0);
  await assert.rejects(async () => {
    for await (const _ of client.stream('ticks')) break;
  }, LIPBusyError);
  await held[0]!.return!();
  // Its place is given back once the replica hears of the cancel.
  await until(async () => {
    try {
      for await (const _ of client.stream('ticks')) break;
      return true;
    } catch (error) {
      if (!(error instanceof LIPBusyError)) throw error;
      return false;
    }
  }, 5000);
  // exit() cuts the streams still open: their readers get a clear error, not 3 s of silence.
  await ticks.exit({ timeoutMs: 0 });
  const cut = await (async () => {
    for (let i = 0; i < 100; i++) await held[1]!.next();
  })().catch((e: unknown) => e);
  assert.ok(cut instanceof LIPConnectionError && /stopped serving over NATS/.test(cut.message), String(cut));
});

test('a stream over NATS that waits for credit longer than idleTimeoutMs is cut: its place is given back, its reader told', async (t) => {
  const url = await startNatsServer(t);
  const dir = socketDir(t);
  let stopped = 0;
  const ticks = LIPModule({ logLevel: 'silent', maxInFlightPerConnection: 1, idleTimeoutMs: 500 })(async function* ticks() {
    try {
      for (let i = 0; ; i++) yield i;
    } finally {
      stopped++;
    }
  });
  await ticks.init({ nats: url, socket: false });
  t.after(() => ticks.exit({ timeoutMs: 0 }));
  const client = new LIPClient({ socketDir: dir, nats: url, streamWindow: WINDOW });
  t.after(() => client.destroy());
  // Read once, then left unread: the caller heartbeats (it is alive) but grants no more credit, and has no deadline.
  const held = client.stream<number>('ticks', [], {}, { timeoutMs: 0 })[Symbol.asyncIterator]();
  assert.equal((await held.next()).value, 0);
  await until(() => stopped === 1, 10_000);
  // Its place among maxInFlightPerConnection (1) is free again: another stream runs.
  for await (const item of client.stream<number>('ticks')) if (item === 3 * WINDOW) break;
  // The reader gets what was sent, then the reason.
  const cut = await (async () => {
    for (let i = 0; i < 10 * WINDOW; i++) await held.next();
  })().catch((e: unknown) => e);
  assert.ok(cut instanceof LIPTimeoutError && /waited 500 ms for its reader/.test(cut.message), String(cut));
});
