/**
 * The LRU result cache (lru: true), observed through the function's side
 * effects in the server process: one entry per bound argument list, eviction,
 * TTL, concurrent identical calls, no cached rejections, local calls of the
 * wrapper.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIPModule, LIPRemoteError } from '../src/index.js';
import { serveFixture } from './helpers/fixture-server.js';

type Counters = Record<string, number>;

test("the LRU cache, observed through the function's side effects in the server process", async (t) => {
  const { client } = await serveFixture(t, 'features-server.ts');
  const counters = () => client.callFunction<Counters>('counters');

  await t.test('equal bound arguments hit one entry, however they were passed', async () => {
    assert.equal(await client.callFunction('counted', [2, 3]), 5);
    assert.equal(await client.callFunction('counted', [2], { b: 3 }), 5);
    assert.equal(await client.callFunction('counted', [], { a: 2, b: 3 }), 5);
    assert.equal((await counters()).counted, 1);
    const stats = await client.stats('counted');
    assert.equal(stats.cache.hits, 2);
    assert.equal(stats.cache.misses, 1);
  });

  await t.test('lruMax evicts the least recently used entry', async () => {
    await client.callFunction('counted', [10]); // miss: 2 executions
    await client.callFunction('counted', [11]); // miss: evicts (2, 3)
    assert.equal((await counters()).counted, 3);
    await client.callFunction('counted', [2, 3]); // evicted: runs again
    assert.equal((await counters()).counted, 4);
    await client.callFunction('counted', [11]); // still cached
    assert.equal((await counters()).counted, 4);
    assert.equal((await client.stats('counted')).cache.size, 2);
  });

  await t.test('concurrent identical async calls compute once', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => client.callFunction('slowSquare', [7])));
    assert.deepEqual(results, Array(10).fill(49));
    assert.equal((await counters()).slowSquare, 1);
    assert.equal(await client.callFunction('slowSquare', [7]), 49);
    assert.equal((await counters()).slowSquare, 1);
  });

  await t.test('a rejection is never cached', async () => {
    await assert.rejects(client.callFunction('flaky', [1]), LIPRemoteError);
    assert.equal(await client.callFunction('flaky', [1]), 1);
    assert.equal(await client.callFunction('flaky', [1]), 1);
    assert.equal((await counters()).flaky, 2);
  });

  await t.test('lruTtlMs expires entries, with an injected clock (no sleeping)', async () => {
    await client.callFunction('ttl', [1]);
    await client.callFunction('ttl', [1]);
    assert.equal((await counters()).ttl, 1);
    await client.callFunction('advanceClock', [999]);
    await client.callFunction('ttl', [1]);
    assert.equal((await counters()).ttl, 1, 'still fresh at 999 ms');
    await client.callFunction('advanceClock', [2]);
    await client.callFunction('ttl', [1]);
    assert.equal((await counters()).ttl, 2, 'expired after 1000 ms');
  });

  await t.test('describe reports the cache settings', async () => {
    assert.deepEqual((await client.describe('counted')).cache, { enabled: true, max: 2, ttlMs: 0 });
    assert.deepEqual((await client.describe('ttl')).cache, { enabled: true, max: 0, ttlMs: 1000 });
    assert.deepEqual((await client.describe('greet')).cache, { enabled: false, max: 0, ttlMs: 0 });
  });
});

test('the cache also serves local calls of the wrapper, sync results staying sync', async () => {
  let runs = 0;
  const square = LIPModule({ logLevel: 'silent', lru: true })(function square(x: number) {
    runs++;
    return x * x;
  });
  assert.equal(square(4), 16);
  assert.equal(square(4), 16);
  assert.equal(runs, 1);
  const objectArgs = LIPModule({ logLevel: 'silent', lru: true, lruMax: 0 })(function sum(list: number[], opts: { scale: number }) {
    runs++;
    return list.reduce((a, b) => a + b, 0) * opts.scale;
  });
  // Lists and objects are cached by value (the original could not hash them).
  assert.equal(objectArgs([1, 2], { scale: 2 }), 6);
  assert.equal(objectArgs([1, 2], { scale: 2 }), 6);
  assert.equal(runs, 2);
  const asyncDouble = LIPModule({ logLevel: 'silent', lru: true })(async function asyncDouble(x: number) {
    runs++;
    return 2 * x;
  });
  assert.equal(await asyncDouble(5), 10);
  const second = asyncDouble(5);
  assert.ok(second instanceof Promise, 'an async function stays async on a hit');
  assert.equal(await second, 10);
  assert.equal(runs, 3);
});
