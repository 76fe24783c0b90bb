/**
 * Functions passed as arguments over a real socket, the server in a child process: a progress
 * callback called 1,000 times in order, concurrent callback calls, callbacks in a plain-object
 * argument and in keyword arguments, a callback that throws, one used after its call ended
 * (ERR_LIP_CALLBACK_EXPIRED), and one that never answers (the call's deadline ends the wait).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, LIPClient, LIPTimeoutError } from '../src/index.js';
import { startFixture } from './helpers/fixture-server.js';
import { socketDir } from './helpers/temp-dir.js';
import { until } from './helpers/until.js';

test('callbacks as arguments', async (t) => {
  const dir = socketDir(t);
  await startFixture(t, 'callbacks-server.ts', dir);
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());

  await t.test('a progress callback is called 1,000 times, in order, in this process', async () => {
    const seen: number[] = [];
    const total = await client.callFunction('progress', [
      1000,
      (i: number, n: number) => {
        assert.equal(n, 1000);
        seen.push(i);
      },
    ]);
    assert.equal(total, 1000);
    assert.deepEqual(
      seen,
      Array.from({ length: 1000 }, (_, i) => i + 1),
    );
  });

  await t.test('through bind(), a sync callback for a served async one', async () => {
    const progress = client.bind<(n: number, onProgress: (i: number, n: number) => Promise<void>) => Promise<number>>('progress');
    const seen: number[] = [];
    assert.equal(await progress(3, (i) => void seen.push(i)), 3);
    assert.deepEqual(seen, [1, 2, 3]);
  });

  await t.test('callback calls may run concurrently; each answer goes to its own call', async () => {
    let running = 0;
    let most = 0;
    const squares = await client.callFunction<number[]>('concurrent', [
      64,
      async (x: number) => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return x * x;
      },
    ]);
    assert.deepEqual(
      squares,
      Array.from({ length: 64 }, (_, i) => i * i),
    );
    assert.ok(most > 1, `callbacks ran one at a time (${most})`);
  });

  await t.test('a callback in a plain-object argument and in keyword arguments; the caller keeps its own object', async () => {
    const options = { label: 'job', onDone: (label: string) => `done ${label}` };
    const result = await client.callFunction('nested', [options], { after: async () => 'after' });
    assert.deepEqual(result, ['done job', 'after']);
    assert.equal(typeof options.onDone, 'function');
  });

  await t.test('a callback that throws: the served function awaits a LIPRemoteError with its name, message and code', async () => {
    const outcome = await client.callFunction<{ name: string; code: string; remote: { name: string; message: string; code?: string } }>('catches', [
      (what: string) => {
        throw Object.assign(new RangeError(`bad ${what}`), { code: 'E_BAD' });
      },
    ]);
    assert.equal(outcome.name, 'LIPRemoteError');
    assert.equal(outcome.code, ErrorCode.Remote);
    assert.equal(outcome.remote.name, 'RangeError');
    assert.equal(outcome.remote.message, 'bad boom');
    assert.equal(outcome.remote.code, 'E_BAD');
    // A rejected promise the same way.
    const rejected = await client.callFunction<{ remote: { message: string } }>('catches', [async () => Promise.reject(new Error('later'))]);
    assert.equal(rejected.remote.message, 'later');
  });

  await t.test('a callback called after its call ended rejects with ERR_LIP_CALLBACK_EXPIRED, and never runs here', async () => {
    let ran = 0;
    assert.equal(await client.callFunction('keep', [() => ran++]), 'kept');
    const outcome = await client.callFunction<{ callback: { name: string; code: string; message: string } }>('useKept');
    assert.equal(outcome.callback.code, ErrorCode.CallbackExpired);
    assert.equal(outcome.callback.name, 'LIPCallbackExpiredError');
    assert.match(outcome.callback.message, /args\[0\]/);
    assert.equal(ran, 0);
  });

  await t.test('callback calls the function does not await may fail or be cut short by its end: the server lives on', async () => {
    // The caller's callback throws, and its later calls are cut short when the call returns at once.
    assert.equal(
      await client.callFunction('fireAndForget', [
        () => {
          throw new Error('not interested');
        },
      ]),
      'returned',
    );
    assert.equal(await client.callFunction('fireAndForget', [() => new Promise((r) => setTimeout(r, 50))]), 'returned');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await client.callFunction('ping2'), 'pong');
  });

  await t.test("a callback that never answers holds nothing past the call's deadline", async () => {
    const started = Date.now();
    await assert.rejects(
      client.callFunction('hanging', [() => new Promise(() => {})], undefined, { timeoutMs: 300 }),
      (error: unknown) => error instanceof LIPTimeoutError,
    );
    assert.ok(Date.now() - started < 5000);
    // On the server the waiting callback call rejected when the deadline passed (the library's typed error), or when
    // the client's Cancel for its own deadline came first (the signal's AbortError).
    await until(async () => (await client.callFunction<{ hangingAborted: string }>('state')).hangingAborted !== '');
    const { hangingAborted } = await client.callFunction<{ hangingAborted: string }>('state');
    assert.match(hangingAborted, /^(LIPTimeoutError: the caller's deadline passed|AbortError: )/);
    assert.equal(await client.callFunction('ping2'), 'pong');
  });
});
