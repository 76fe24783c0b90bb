/**
 * InFlight, the counter a drain waits on (socket server, one-shot calls, NATS
 * serve): idle() resolves true once the count is back to zero, false when its
 * timeout passes first, and a waiter that timed out is not woken again.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InFlight } from '../src/call/in-flight.js';

test('idle() is true at once when nothing runs', async () => {
  assert.equal(await new InFlight().idle(0), true);
});

test('idle() resolves true when the last call finishes', async () => {
  const inFlight = new InFlight();
  inFlight.start();
  inFlight.start();
  const idle = inFlight.idle(60_000);
  inFlight.finish();
  assert.equal(inFlight.count, 1);
  setImmediate(() => inFlight.finish());
  assert.equal(await idle, true);
  assert.equal(inFlight.count, 0);
});

test('idle(ms) resolves false when calls still run after ms, and the count says how many', async () => {
  const inFlight = new InFlight();
  inFlight.start();
  assert.equal(await inFlight.idle(10), false);
  assert.equal(inFlight.count, 1);
  // The timed-out waiter is gone: a later idle() is woken alone, once.
  const later = inFlight.idle();
  inFlight.finish();
  assert.equal(await later, true);
});
