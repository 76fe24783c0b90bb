/**
 * A server that answers and then closes while the client still writes (a reload's drained server
 * cutting a connection): the write fails (EPIPE), yet the answers already on the socket settle their
 * calls, and a request known not to have reached the server is sent again on a new connection.
 * The client's event loop is held while the server answers and closes, so the write meets the
 * closed socket before the client has read a byte: deterministic.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serveFixture } from './helpers/fixture-server.js';

test('a write error does not lose the answers already on the socket; the unsent request goes again', {
  todo: 'Node destroys a socket on a write error and drops what it has not read yet: the answers already received are lost with it',
}, async (t) => {
  const { client } = await serveFixture(t, 'answer-then-cut-server.ts');
  assert.equal(await client.callFunction('echo', ['warm']), 'warm');
  const answered = client.callFunction('echo', ['cut']);
  // Its request goes out on this turn.
  await new Promise((resolve) => setImmediate(resolve));
  // Hold the loop while the server answers 'cut' and closes (its answer and end wait, unread, on our socket)...
  const until = Date.now() + 500;
  while (Date.now() < until) {
    // Busy on purpose: no I/O is read meanwhile.
  }
  // ...then write: the request meets the closed socket (EPIPE) before the answer is read.
  const unsent = client.callFunction('echo', ['after']);
  const [cut, after] = await Promise.allSettled([answered, unsent]);
  assert.deepEqual(cut, { status: 'fulfilled', value: 'cut' });
  assert.deepEqual(after, { status: 'fulfilled', value: 'after' });
});
