/**
 * Calling a function served by another process: listing, arguments,
 * docstrings, many concurrent and out-of-order replies, value round trips,
 * remote errors and their classes, deadlines, abort, and a server killed
 * mid-call.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ErrorCode,
  LIPArgumentError,
  LIPConnectionError,
  LIPNotFoundError,
  LIPProtocolError,
  LIPRemoteError,
  LIPTimeoutError,
  LIPAbortError,
  isLIPRemoteError,
} from '../src/index.js';
import { join } from 'node:path';
import { decodeValue } from '../src/protocol/codec.js';
import { serveFixture } from './helpers/fixture-server.js';
import { oneShotReply } from './helpers/one-shot.js';

test('a client in this process calls functions served by another process', async (t) => {
  const { dir, server, client } = await serveFixture(t, 'core-server.ts');

  await t.test('lists the live functions, sorted', async () => {
    assert.deepEqual(await client.listFunctions(), ['add', 'describeValue', 'echo', 'fail', 'rejectLater', 'sleep']);
  });

  await t.test('calls with positional arguments', async () => {
    assert.equal(await client.callFunction('add', [2, 3]), 5);
    assert.equal(await client.callFunction<string>('echo', ['hi']), 'hi');
  });

  await t.test('returns the docstring written above the function', async () => {
    assert.equal(await client.getDocstring('add'), 'Adds two numbers.');
    assert.equal(await client.getDocstring('echo'), null);
  });

  await t.test('1000 concurrent calls over one connection all come back right', async () => {
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => client.callFunction<number>('add', [i, 1000 * i])));
    results.forEach((value, i) => {
      assert.equal(value, i + 1000 * i);
    });
  });

  await t.test('replies that come back out of order reach the right callers', async () => {
    const order: string[] = [];
    const slow = client.callFunction('sleep', [300, 'slow']).then((v) => {
      order.push(v as string);
      return v;
    });
    const fast = client.callFunction('sleep', [1, 'fast']).then((v) => {
      order.push(v as string);
      return v;
    });
    assert.deepEqual(await Promise.all([slow, fast]), ['slow', 'fast']);
    assert.deepEqual(order, ['fast', 'slow']);
  });

  await t.test('a 1 MiB buffer makes the round trip byte for byte', async () => {
    const payload = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
    const back = await client.callFunction<Buffer>('echo', [payload]);
    assert.ok(Buffer.isBuffer(back));
    assert.equal(back.length, payload.length);
    assert.ok(back.equals(payload));
  });

  await t.test('every value type round-trips faithfully', async () => {
    const values: [unknown, string][] = [
      [42, 'number'],
      [-1.5, 'number'],
      [2 ** 53 - 1, 'number'],
      ['text ✓', 'string'],
      [true, 'boolean'],
      [false, 'boolean'],
      [null, 'null'],
      [undefined, 'undefined'],
      [12345678901234567890n, 'bigint'],
      [-(2n ** 100n), 'bigint'],
      [5n, 'bigint'],
      [new Date('2024-02-29T12:34:56.789Z'), 'Date'],
      [[1, 'two', [3]], 'Array'],
      [{ a: 1, nested: { b: [true] } }, 'object'],
      [
        new Map<unknown, unknown>([
          [1, 'one'],
          ['two', 2],
          [true, null],
        ]),
        'Map',
      ],
      [Buffer.from([0, 1, 2, 255]), 'Buffer'],
    ];
    for (const [value, kind] of values) {
      assert.deepEqual(await client.callFunction('echo', [value]), value, `echo of ${kind}`);
      assert.equal(await client.callFunction('describeValue', [value]), kind, `type seen by the server for ${kind}`);
    }
    const bytes = await client.callFunction('echo', [new Uint8Array([9, 8, 7])]);
    assert.deepEqual([...(bytes as Uint8Array)], [9, 8, 7]);
  });

  await t.test('a thrown Error arrives as LIPRemoteError with the remote name, message and stack', async () => {
    const error = await client.callFunction('fail', ['type']).catch((e: unknown) => e);
    assert.ok(error instanceof LIPRemoteError);
    assert.ok(isLIPRemoteError(error));
    assert.equal(error.code, ErrorCode.Remote);
    assert.equal(error.remote.name, 'TypeError');
    assert.equal(error.remote.message, 'bad kind type');
    assert.match(error.message, /bad kind type/);
    assert.match(error.remote.stack ?? '', /core-server/);
    // The local stack points at this test, where the call was made.
    assert.match(error.stack ?? '', /call\.test\.ts/);
  });

  await t.test('a remote error code is kept', async () => {
    const error = (await client.callFunction('fail', ['coded']).catch((e: unknown) => e)) as LIPRemoteError;
    assert.equal(error.remote.code, 'E_RANGE');
    assert.equal(error.remote.name, 'RangeError');
    // One of our codes thrown by the function is still the function's error, not ours.
    const nested = (await client.callFunction('fail', ['nested']).catch((e: unknown) => e)) as LIPRemoteError;
    assert.ok(nested instanceof LIPRemoteError, `got ${String(nested)}`);
    assert.equal(nested.remote.code, 'ERR_LIP_NOT_FOUND');
    assert.equal(nested.remote.name, 'LIPNotFoundError');
  });

  await t.test('a thrown string or object still gives a useful LIPRemoteError', async () => {
    const s = (await client.callFunction('fail', ['string']).catch((e: unknown) => e)) as LIPRemoteError;
    assert.ok(s instanceof LIPRemoteError);
    assert.match(s.message, /a plain string/);
    const o = (await client.callFunction('fail', ['object']).catch((e: unknown) => e)) as LIPRemoteError;
    assert.ok(o instanceof LIPRemoteError);
    assert.match(o.message, /an object/);
    // Even `throw undefined` is a failure, never a result.
    const u = (await client.callFunction('fail', ['undefined']).catch((e: unknown) => e)) as LIPRemoteError;
    assert.ok(u instanceof LIPRemoteError, `got ${String(u)}`);
    assert.match(u.message, /undefined/);
    // The same over the Python original's one-shot protocol.
    const bytes = await oneShotReply(join(dir, 'lipcm-fail.sock'), { args: ['undefined'], kwargs: {} }, { halfClose: true });
    const reply = decodeValue(bytes) as { error?: string; result?: unknown };
    assert.equal('result' in reply, false);
    assert.match(reply.error ?? '', /undefined/);
  });

  await t.test('an async rejection goes back to the caller', async () => {
    await assert.rejects(client.callFunction('rejectLater', ['later']), (e: unknown) => e instanceof LIPRemoteError && e.remote.message === 'later');
  });

  await t.test('an unknown function is LIPNotFoundError', async () => {
    await assert.rejects(
      client.callFunction('nope', []),
      (e: unknown) => e instanceof LIPNotFoundError && e.code === ErrorCode.NotFound && /nope/.test(e.message),
    );
    await assert.rejects(client.callFunction('../etc/passwd', []), LIPNotFoundError);
  });

  await t.test('wrong arguments are LIPArgumentError, and the server keeps serving', async () => {
    await assert.rejects(client.callFunction('add', [1]), (e: unknown) => e instanceof LIPArgumentError && /missing a required argument: 'b'/.test(e.message));
    assert.equal(await client.callFunction('add', [1, 1]), 2);
  });

  await t.test('a deadline that passes is LIPTimeoutError; the connection stays usable', async () => {
    await assert.rejects(
      client.callFunction('sleep', [2000, 'late'], {}, { timeoutMs: 50 }),
      (e: unknown) => e instanceof LIPTimeoutError && e.code === ErrorCode.Timeout,
    );
    assert.equal(await client.callFunction('add', [20, 22]), 42);
  });

  await t.test('an AbortSignal cancels the call', async () => {
    const controller = new AbortController();
    const pending = client.callFunction('sleep', [2000, 'x'], {}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(pending, (e: unknown) => e instanceof LIPAbortError && e.code === ErrorCode.Aborted);
    await assert.rejects(client.callFunction('add', [1, 2], {}, { signal: AbortSignal.abort() }), LIPAbortError);
  });

  await t.test('a value CBOR cannot carry is a LIPProtocolError for that call only', async () => {
    await assert.rejects(client.callFunction('echo', [Symbol('x')]), LIPProtocolError);
    assert.equal(await client.callFunction('add', [1, 2]), 3);
  });

  await t.test('a server killed mid-call rejects the pending call with LIPConnectionError', async () => {
    const pending = client.callFunction('sleep', [10_000, 'never']);
    await new Promise((r) => setTimeout(r, 100));
    server.child.kill('SIGKILL');
    await assert.rejects(pending, (e: unknown) => e instanceof LIPConnectionError && e.code === ErrorCode.Connection);
  });
});
