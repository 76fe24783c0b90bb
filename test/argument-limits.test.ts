/**
 * The bounds on callbacks and iterables, each with its default and a smaller setting: callbacks and
 * iterables per call (maxArgumentChannels), callback calls waiting per connection on the server
 * (maxCallbackCalls) and running per connection on the client (the client's maxCallbackCalls),
 * bytes an iterable's items may hold on the server (maxArgumentBufferBytes), and the options' checks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, LIPArgumentError, LIPClient, LIPModule } from '../src/index.js';
import { serveFixture } from './helpers/fixture-server.js';

const noop = () => 'ok';
const slow = () => new Promise((r) => setTimeout(() => r('ok'), 50));

test('default limits', async (t) => {
  const { dir, client } = await serveFixture(t, 'callbacks-server.ts');

  await t.test('maxArgumentChannels: 16 callbacks and iterables pass, 17 are refused with LIPArgumentError', async () => {
    assert.equal(
      await client.callFunction(
        'many',
        Array.from({ length: 16 }, () => noop),
      ),
      16,
    );
    await assert.rejects(
      client.callFunction(
        'many',
        Array.from({ length: 17 }, () => noop),
      ),
      (error: unknown) => {
        assert.ok(error instanceof LIPArgumentError);
        assert.match((error as Error).message, /17 callbacks and iterables.*at most 16 \(its maxArgumentChannels option\)/);
        return true;
      },
    );
    assert.equal(await client.callFunction('ping2'), 'pong');
  });

  await t.test('maxCallbackCalls: 256 callback calls wait at once on a connection; the server refuses more with LIPBusyError', async () => {
    const counts = await client.callFunction<Record<string, number>>('settled', [300, slow]);
    assert.deepEqual(counts, { ok: 256, [`LIPBusyError:${ErrorCode.Busy}`]: 44 });
  });

  await t.test("the client's maxCallbackCalls: callbacks beyond it are answered ERR_LIP_BUSY without running", async () => {
    const small = new LIPClient({ socketDir: dir, maxCallbackCalls: 4 });
    t.after(() => small.destroy());
    let ran = 0;
    const counts = await small.callFunction<Record<string, number>>('settled', [10, () => slow().then(() => ran++)]);
    assert.deepEqual(counts, { ok: 4, [`LIPBusyError:${ErrorCode.Busy}`]: 6 });
    assert.equal(ran, 4);
  });

  await t.test("callbacks that never answer give their client's slots back when their call ends", async () => {
    const small = new LIPClient({ socketDir: dir, maxCallbackCalls: 2 });
    t.after(() => small.destroy());
    const never = () => new Promise(() => {});
    await Promise.all([
      assert.rejects(small.callFunction('hanging', [never], undefined, { timeoutMs: 200 }), /deadline/),
      assert.rejects(small.callFunction('hanging', [never], undefined, { timeoutMs: 200 }), /deadline/),
    ]);
    // Both slots are free again: two callbacks run at once on the same connection.
    const counts = await small.callFunction<Record<string, number>>('settled', [2, slow]);
    assert.deepEqual(counts, { ok: 2 });
  });

  await t.test('maxArgumentBufferBytes (1 MiB): items of 100 KiB are asked for at most 10 ahead', async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 40; i++) {
        pulled++;
        yield Buffer.alloc(100 * 1024);
      }
    }
    const reading = client.callFunction('slowReader', [source(), 400]);
    await new Promise((r) => setTimeout(r, 250));
    const ahead = pulled;
    assert.equal(await reading, 40);
    assert.ok(ahead <= 1 + 10 + 1, `pulled ${ahead} while the server waited`);
  });
});

test('smaller limits', async (t) => {
  const { client } = await serveFixture(t, 'callbacks-server.ts', {
    env: {
      CALLBACK_LIMITS: JSON.stringify({ maxArgumentChannels: 2, maxCallbackCalls: 5, maxArgumentBufferBytes: 256 * 1024 }),
    },
  });

  await t.test('maxArgumentChannels: 2', async () => {
    assert.equal(await client.callFunction('many', [noop, noop]), 2);
    await assert.rejects(client.callFunction('many', [noop, noop, noop]), LIPArgumentError);
  });

  await t.test('maxCallbackCalls: 5', async () => {
    const counts = await client.callFunction<Record<string, number>>('settled', [8, slow]);
    assert.deepEqual(counts, { ok: 5, [`LIPBusyError:${ErrorCode.Busy}`]: 3 });
  });

  await t.test('maxArgumentBufferBytes: 256 KiB holds two items of 100 KiB', async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 20; i++) {
        pulled++;
        yield Buffer.alloc(100 * 1024);
      }
    }
    const reading = client.callFunction('slowReader', [source(), 400]);
    await new Promise((r) => setTimeout(r, 250));
    const ahead = pulled;
    assert.equal(await reading, 20);
    assert.ok(ahead <= 1 + 2 + 1, `pulled ${ahead} while the server waited`);
  });
});

test('the limits are checked up front', () => {
  for (const key of ['maxArgumentChannels', 'maxArgumentBufferBytes', 'maxCallbackCalls']) {
    assert.throws(() => LIPModule({ [key]: 0 })(() => 1), new RegExp(`option '${key}' must be a whole number > 0`));
  }
  assert.throws(() => new LIPClient({ maxCallbackCalls: -1 }), /option 'maxCallbackCalls' must be a whole number > 0/);
});
