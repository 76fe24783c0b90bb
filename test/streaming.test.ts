/**
 * Generators served as streams: values one by one, collected by a plain call,
 * back-pressure, cancellation (break, abort, deadline) reaching the function's
 * signal and its finally, and concurrency and stats while streams run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIPAbortError, LIPClient, LIPProtocolError, LIPTimeoutError } from '../src/index.js';
import { serveFixture } from './helpers/fixture-server.js';
import { until } from './helpers/until.js';

type Counters = {
  produced: number;
  streamFinally: number;
  signalWatching: number;
  signalAborted: number;
  signalReason: string;
  endlessProduced: number;
  endlessFinally: number;
  endlessCallId: string;
  badItemFinally: number;
  streamsMax: number;
  stuckStarted: number;
};

test('streaming and cancellation', async (t) => {
  const { dir, client } = await serveFixture(t, 'features-server.ts', { client: { streamWindow: 8 } });
  const counters = () => client.callFunction<Counters>('counters');

  await t.test('values arrive one by one, in order', async () => {
    const got: number[] = [];
    for await (const value of client.stream<number>('ticks', [5])) got.push(value);
    assert.deepEqual(got, [0, 1, 2, 3, 4]);
    assert.equal((await counters()).streamFinally, 1);
  });

  await t.test('callFunction on a streaming function collects the values', async () => {
    assert.deepEqual(await client.callFunction('ticks', [4]), [0, 1, 2, 3]);
  });

  await t.test('back-pressure: a consumer that stops reading bounds what the server produces', async () => {
    const before = (await counters()).streamFinally;
    const iterator = client.stream<number>('ticks', [1_000_000])[Symbol.asyncIterator]();
    assert.deepEqual(await iterator.next(), { value: 0, done: false });
    await new Promise((r) => setTimeout(r, 200));
    const { produced } = await counters();
    // The window is 8 items; the generator may run one step ahead of what it sent.
    assert.ok(produced <= 8 + 1, `server produced ${produced} items for a reader that took 1`);
    await iterator.return!();
    await until(async () => (await counters()).streamFinally === before + 1);
  });

  await t.test('breaking out of the loop stops the generator on the server (its finally runs)', async () => {
    const before = (await counters()).streamFinally;
    let last = -1;
    for await (const value of client.stream<number>('ticks', [1_000_000])) {
      last = value;
      if (value === 20) break;
    }
    assert.equal(last, 20);
    await until(async () => (await counters()).streamFinally === before + 1);
    const { produced } = await counters();
    assert.ok(produced < 1000, `generator stopped early (produced ${produced})`);
  });

  await t.test('aborting a stream stops it and rejects the reader with LIPAbortError', async () => {
    const before = (await counters()).streamFinally;
    const controller = new AbortController();
    const reading = (async () => {
      for await (const value of client.stream<number>('ticks', [1_000_000], {}, { signal: controller.signal })) {
        if (value === 3) controller.abort();
      }
    })();
    await assert.rejects(reading, LIPAbortError);
    await until(async () => (await counters()).streamFinally === before + 1);
  });

  await t.test("a client abort fires the function's context signal", async () => {
    const controller = new AbortController();
    const call = client.callFunction('watchSignal', [], {}, { signal: controller.signal });
    // Abort once the function runs: earlier, under load, the call might not have been sent at all.
    await until(async () => (await counters()).signalWatching === 1);
    controller.abort();
    await assert.rejects(call, LIPAbortError);
    await until(async () => (await counters()).signalAborted === 1);
    assert.match((await counters()).signalReason, /cancelled/);
  });

  await t.test("a deadline fires the function's signal too", async () => {
    await assert.rejects(client.callFunction('watchSignal', [], {}, { timeoutMs: 100 }), LIPTimeoutError);
    await until(async () => (await counters()).signalAborted === 2);
  });

  await t.test('the context carries the deadline and a call id', async () => {
    const before = Date.now();
    const ctx = await client.callFunction<{ deadline: number; callId: string }>('deadlineOf', [], {}, { timeoutMs: 5000 });
    assert.ok(ctx.deadline >= before + 4000 && ctx.deadline <= Date.now() + 5000 + 1000, `deadline ${ctx.deadline}`);
    assert.match(ctx.callId, /^\d+:\d+$/);
  });

  await t.test('a plain call on an endless generator stops on the server when the caller gives up', async () => {
    await assert.rejects(client.callFunction('endless', [], {}, { timeoutMs: 200 }), LIPTimeoutError);
    await until(async () => (await counters()).endlessFinally === 1);
    const { endlessProduced } = await counters();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await counters()).endlessProduced, endlessProduced, 'no more values produced');
    // Inside, the generator saw the call's own context, not the local one.
    assert.match((await counters()).endlessCallId, /^\d+:\d+$/);
  });

  await t.test('a stream item that cannot be encoded fails the stream and still closes the generator', async () => {
    const got: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const value of client.stream('badItem')) got.push(value);
      })(),
      LIPProtocolError,
    );
    assert.deepEqual(got, [1]);
    await until(async () => (await counters()).badItemFinally === 1);
  });

  await t.test('concurrency applies to streams until they end, and stats count them as in flight', async () => {
    const first = client.callFunction('oneStream', [300]);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await client.stats('oneStream')).inFlight, 1);
    const second = client.callFunction('oneStream', [10]);
    assert.deepEqual(await Promise.all([first, second]), [[300], [10]]);
    assert.equal((await counters()).streamsMax, 1, 'never two at once');
    const stats = await client.stats('oneStream');
    assert.ok(stats.latencyMs.max >= 250, `a stream's latency is its whole run (${stats.latencyMs.max} ms)`);
  });

  await t.test('closing a stream before its first item still stops the generator on the server', async () => {
    const before = (await counters()).streamFinally;
    const iterator = client.stream<number>('ticks', [1_000_000])[Symbol.asyncIterator]();
    const first = iterator.next();
    await iterator.return!();
    await first.catch(() => {});
    await until(async () => (await counters()).streamFinally === before + 1);
  });

  await t.test('a generator stuck between yields does not keep a cancelled stream open', async () => {
    for await (const value of client.stream<string>('stuck')) {
      assert.equal(value, 'first');
      break;
    }
    await until(async () => (await client.stats('stuck')).inFlight === 0);
    // Its concurrency slot is free again: the next stream starts at once.
    for await (const value of client.stream<string>('stuck', [], {}, { timeoutMs: 5000 })) {
      assert.equal(value, 'first');
      break;
    }
    assert.equal((await counters()).stuckStarted, 2);
  });

  await t.test('callers that give up while queued leave the queue', async () => {
    // concurrency 1, maxQueue 1: one running, and a queued caller that times out.
    const running = client.callFunction('limited', [600]);
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(client.callFunction('limited', [1], {}, { timeoutMs: 100 }), LIPTimeoutError);
    await until(async () => (await client.stats('limited')).queued === 0);
    // The place it held is free: this one queues instead of being refused as busy.
    assert.equal(await client.callFunction('limited', [2]), 2);
    assert.equal(await running, 600);
  });

  await t.test('client.close() settles after streams were closed early', async () => {
    const other = new LIPClient({ socketDir: dir, streamWindow: 4 });
    const iterator = other.stream<number>('ticks', [1_000_000])[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.return!();
    await other.close();
  });
});
