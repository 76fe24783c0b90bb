/**
 * Callbacks and iterables where they can't go: a lipmodule server whose Hello lacks the `channels`
 * capability (an older one), a function reached over NATS, and the Python original. Each is a clear
 * LIPArgumentError before the call is sent; plain calls to them still work.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIPArgumentError, LIPClient } from '../src/index.js';
import { serveFixture } from './helpers/fixture-server.js';
import { startNatsServer } from './helpers/nats-server.js';
import { startPythonServer } from './helpers/python-server.js';
import { rawServer } from './helpers/raw-server.js';
import { socketDir } from './helpers/temp-dir.js';

async function* one() {
  yield 1;
}

test('an older lipmodule server (no channels capability) gets no call with callbacks', async (t) => {
  const dir = socketDir(t);
  const calls: unknown[] = [];
  await rawServer(
    t,
    dir,
    'old',
    (frame, connection) => {
      if (frame[0] !== 1) return;
      calls.push(frame);
      connection.send([2, frame[1], 'plain']);
    },
    { lib: 'lipmodule/0.1.0' },
  );
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  await assert.rejects(client.callFunction('old', [() => 1]), (error: unknown) => {
    assert.ok(error instanceof LIPArgumentError);
    assert.match((error as Error).message, /lipmodule\/0\.1\.0\) does not take callbacks or iterables as arguments/);
    return true;
  });
  await assert.rejects(async () => {
    for await (const _ of client.stream('old', [one()]));
  }, LIPArgumentError);
  assert.deepEqual(calls, []);
  assert.equal(await client.callFunction('old', [1]), 'plain');
  assert.equal(calls.length, 1);
});

test('over NATS: a LIPArgumentError saying callbacks need the socket transport, nothing sent', async (t) => {
  const url = await startNatsServer(t);
  const { client } = await serveFixture(t, 'nats-replica.ts', { env: { NATS_URL: url, SOCKET: '0' }, client: { nats: url } });
  await assert.rejects(client.callFunction('mul', [2, () => 3]), (error: unknown) => {
    assert.ok(error instanceof LIPArgumentError);
    assert.match((error as Error).message, /args\[1\] \(a function\): callbacks and iterables as arguments need the socket transport/);
    return true;
  });
  await assert.rejects(async () => {
    for await (const _ of client.stream('letters', [one()]));
  }, /args\[0\] \(an async iterable\).*socket transport/);
  assert.equal((await client.callFunction<{ product: number }>('mul', [2, 3])).product, 6);
});

test('the Python original: a LIPArgumentError before anything is sent', async (t) => {
  const dir = socketDir(t);
  await startPythonServer(t, dir);
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  const first = await client.callFunction<number>('py_counter');
  await assert.rejects(client.callFunction('py_counter', [], { onDone: () => 1 }), (error: unknown) => {
    assert.ok(error instanceof LIPArgumentError);
    assert.match((error as Error).message, /kwargs\.onDone \(a function\).*Python original/);
    return true;
  });
  // The refused call never reached the server: the counter moved by one, for the next call alone.
  assert.equal(await client.callFunction('py_counter'), first + 1);
});
