/**
 * Request ids on one connection, over a real socket with a raw peer: an id stays taken while its
 * call runs (a second call with it is refused, a Cancel reaches it), and is free again once the call
 * ended. A synchronous function's call ends as it runs and is never entered in the connection's map
 * of running calls (issue 18), so these pin down what that map is for.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { LIPModule } from '../src/index.js';
import { Kind } from '../src/protocol/messages.js';
import { PREAMBLE, RawPeer } from './helpers/raw-peer.js';
import { socketDir } from './helpers/temp-dir.js';
import { until } from './helpers/until.js';

async function serve(t: TestContext, fn: (...args: never[]) => unknown): Promise<RawPeer> {
  const dir = socketDir(t);
  const served = LIPModule({ logLevel: 'silent', socketDir: dir })(fn);
  await served.init();
  t.after(() => served.exit({ timeoutMs: 1000 }));
  const peer = await RawPeer.connect(join(dir, `lipcm-${fn.name}.sock`));
  t.after(() => peer.destroy());
  peer.write(PREAMBLE);
  await peer.waitFrame((f) => f[0] === Kind.Hello);
  return peer;
}

/** Every reply to `id`, in the order they came. */
function replies(peer: RawPeer, id: number): unknown[][] {
  return peer.frames.filter((f): f is unknown[] => Array.isArray(f) && (f[0] === Kind.Result || f[0] === Kind.Error) && f[1] === id);
}

test('a synchronous call frees its id as it ends: the same id sent five times back to back is answered each time', async (t) => {
  const peer = await serve(t, function double(x: number) {
    return x * 2;
  });
  const bytes = Array.from({ length: 5 }, (_, i) => [Kind.Call, 7, 'double', [i], null, null]);
  for (const message of bytes) peer.send(message);
  await until(() => replies(peer, 7).length === 5);
  assert.deepEqual(
    replies(peer, 7).map((f) => [f[0], f[2]]),
    [0, 2, 4, 6, 8].map((v) => [Kind.Result, v]),
  );
});

test('an id is taken while its asynchronous call runs: a second call with it is refused, and a Cancel reaches the first', async (t) => {
  let seenAbort = false;
  const peer = await serve(t, async function wait(ms: number) {
    const signal = LIPModule.context()?.signal;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => {
        seenAbort = true;
        clearTimeout(timer);
        resolve();
      });
    });
    return 'done';
  });
  peer.send([Kind.Call, 3, 'wait', [10_000], null, null]);
  peer.send([Kind.Call, 3, 'wait', [1], null, null]);
  const refused = await peer.reply(3);
  assert.ok(refused);
  assert.equal(refused[0], Kind.Error);
  assert.match((refused[2] as { message: string }).message, /request id 3 is already in use/);
  peer.send([Kind.Cancel, 3]);
  await until(() => seenAbort);
  // Free again: a new call with the id runs and is answered.
  peer.send([Kind.Call, 3, 'wait', [1], null, null]);
  await peer.waitFrame((f) => f[0] === Kind.Result && f[1] === 3);
  assert.deepEqual(
    replies(peer, 3).map((f) => f[0]),
    [Kind.Error, Kind.Result],
  );
});
