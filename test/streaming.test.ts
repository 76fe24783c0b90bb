import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIPAbortError, LIPClient, LIPTimeoutError } from '../src/index.js';
import { socketDir, startFixture, until } from './helpers.js';

type Counters = { produced: number; streamFinally: number; signalAborted: number; signalReason: string };

test('streaming and cancellation', async (t) => {
  const dir = socketDir(t);
  await startFixture(t, 'features-server.ts', dir);
  const client = new LIPClient({ socketDir: dir, streamWindow: 8 });
  t.after(() => client.destroy());
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

  await t.test('a client abort fires the function\'s context signal', async () => {
    const controller = new AbortController();
    const call = client.callFunction('watchSignal', [], {}, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await assert.rejects(call, LIPAbortError);
    await until(async () => (await counters()).signalAborted === 1);
    assert.match((await counters()).signalReason, /cancelled/);
  });

  await t.test('a deadline fires the function\'s signal too', async () => {
    await assert.rejects(client.callFunction('watchSignal', [], {}, { timeoutMs: 100 }), LIPTimeoutError);
    await until(async () => (await counters()).signalAborted === 2);
  });

  await t.test('the context carries the deadline and a call id', async () => {
    const before = Date.now();
    const ctx = await client.callFunction<{ deadline: number; callId: string }>('deadlineOf', [], {}, { timeoutMs: 5000 });
    assert.ok(ctx.deadline >= before + 4000 && ctx.deadline <= Date.now() + 5000 + 1000, `deadline ${ctx.deadline}`);
    assert.match(ctx.callId, /^\d+:\d+$/);
  });
});
