/**
 * A request larger than the server's maxFrameBytes fails alone with
 * ERR_LIP_FRAME_TOO_LARGE; the very next call works (no "write after end" on
 * the connection the server refused).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, isLIPError } from '../src/index.js';
import { serveFixture } from './helpers/fixture-server.js';

const OVERSIZED = 20 * 2 ** 20;

test('the call right after an oversized request succeeds, without a pause', async (t) => {
  const { client } = await serveFixture(t, 'core-server.ts');
  assert.equal(await client.callFunction('echo', ['warm']), 'warm');
  for (let round = 0; round < 3; round++) {
    await assert.rejects(client.callFunction('echo', [new Uint8Array(OVERSIZED)]), (error: unknown) => {
      assert.ok(isLIPError(error), String(error));
      assert.equal(error.code, ErrorCode.FrameTooLarge, String(error));
      return true;
    });
    const small = await client.callFunction<Uint8Array>('echo', [new Uint8Array(10)]);
    assert.equal(small.length, 10);
  }
});

test('an oversized request as the first call of a fresh client: the next call works too', async (t) => {
  const { client } = await serveFixture(t, 'core-server.ts');
  await assert.rejects(
    client.callFunction('echo', [new Uint8Array(OVERSIZED)]),
    (error: unknown) => isLIPError(error) && error.code === ErrorCode.FrameTooLarge,
  );
  assert.equal(await client.callFunction('add', [2, 3]), 5);
  assert.equal(await client.callFunction('echo', ['again']), 'again');
});

test('an oversized request fails alone: calls in flight on the same connection are answered', async (t) => {
  const { client } = await serveFixture(t, 'core-server.ts');
  const inFlight = client.callFunction('sleep', [300, 'slept']);
  await new Promise((resolve) => setTimeout(resolve, 50));
  await assert.rejects(client.callFunction('echo', [new Uint8Array(OVERSIZED)]), (error: unknown) => {
    assert.ok(isLIPError(error), String(error));
    assert.equal(error.code, ErrorCode.FrameTooLarge, String(error));
    assert.match(error.message, /nothing was sent/);
    return true;
  });
  assert.equal(await inFlight, 'slept');
  assert.equal(await client.callFunction('add', [2, 3]), 5);
});
