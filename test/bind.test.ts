/**
 * `client.bind<typeof fn>(name)`: a promise of the result for an ordinary
 * function; for an async generator, an async iterable that streams its items
 * (an endless generator can be read in part).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { endless as Endless, greet as Greet, ticks as Ticks } from './fixtures/features-server.js';
import { serveFixture } from './helpers/fixture-server.js';

test('client.bind: promises for plain functions, streams for async generators', async (t) => {
  const { client } = await serveFixture(t, 'features-server.ts');

  await t.test('a plain function: a real promise of its result', async () => {
    const call = client.bind<typeof Greet>('greet')('Ann');
    assert.ok(call instanceof Promise);
    assert.equal(await call, 'Hello, Ann');
    let failure: Error | undefined;
    try {
      await client.bind<(name?: string) => string>('greet')();
    } catch (error) {
      failure = error as Error;
    }
    assert.match(failure?.message ?? '', /missing/);
    assert.match(failure?.stack ?? '', /bind\.test\.ts/, "the error's stack points at the caller's line");
  });

  await t.test('an endless async generator, iterated: items stream and the loop can stop', async () => {
    const seen: number[] = [];
    for await (const n of client.bind<typeof Endless>('endless')()) {
      seen.push(n);
      if (seen.length === 5) break;
    }
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
  });

  await t.test('an async generator, awaited instead: its items collected, as callFunction gives them', async () => {
    const all = (await (client.bind<typeof Ticks>('ticks')(3) as unknown as Promise<number[]>)) as number[];
    assert.deepEqual(all, [0, 1, 2]);
    const items: number[] = [];
    for await (const n of client.bind<typeof Ticks>('ticks')(4)) items.push(n);
    assert.deepEqual(items, [0, 1, 2, 3]);
  });
});
