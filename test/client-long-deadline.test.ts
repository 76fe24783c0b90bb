/**
 * A call deadline longer than a Node timer can hold (2^31 - 1 ms, about 24.8 days) is clamped to the
 * longest timer, not handed to setTimeout as is: Node would warn (TimeoutOverflowWarning) and fire
 * the timer after 1 ms, over and over while the call runs (client side), or abort the call's signal at
 * once and never answer (server side).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serveFixture } from './helpers/fixture-server.js';

test('a deadline beyond the longest timer waits for the answer without timer overflow', async (t) => {
  const { client } = await serveFixture(t, 'features-server.ts', { client: { timeoutMs: 3e9 } });
  const overflows: string[] = [];
  const onWarning = (warning: Error) => {
    if (warning.name === 'TimeoutOverflowWarning') overflows.push(warning.message);
  };
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));

  assert.equal(await client.callFunction('slowSquare', [7]), 49);
  assert.equal(await client.callFunction('slowSquare', [8], {}, { timeoutMs: 4e9 }), 64);
  // Warnings are emitted on the next tick.
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(overflows, []);
});

test("a deadline beyond the longest timer doesn't fire the function's signal early, and the call is answered", async (t) => {
  const { client } = await serveFixture(t, 'features-server.ts');
  for (const timeoutMs of [2 ** 31 - 1, 2 ** 31, 3e9, 1e308]) {
    assert.equal(await client.callFunction('signalAfter', [50], {}, { timeoutMs: timeoutMs }), false, `timeoutMs ${timeoutMs}`);
  }
  // A short deadline still fires it.
  await assert.rejects(client.callFunction('signalAfter', [300], {}, { timeoutMs: 50 }));
});
