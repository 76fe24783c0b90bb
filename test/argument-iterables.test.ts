/**
 * Async iterables passed as arguments over a real socket, the server in a child process: async
 * generators, plain AsyncIterables, Node Readables and web ReadableStreams arrive as the same items;
 * the server leaving its loop early runs the caller's generator's `finally`; a generator that throws
 * fails the server's loop; a stream in and a stream out together transform 100,000 items; items
 * bigger than the socket's high-water mark flow both ways.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { ErrorCode } from '../src/index.js';
import { serveFixture } from './helpers/fixture-server.js';
import { until } from './helpers/until.js';

async function* count(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) yield i;
}

test('async iterables as arguments', async (t) => {
  const { client } = await serveFixture(t, 'callbacks-server.ts');

  await t.test('an async generator, an AsyncIterable, a Node Readable and a web ReadableStream arrive as their items', async () => {
    assert.deepEqual(await client.callFunction('collect', [count(5)]), [0, 1, 2, 3, 4]);
    const iterable = {
      async *[Symbol.asyncIterator]() {
        yield 'a';
        yield 'b';
      },
    };
    assert.deepEqual(await client.callFunction('collect', [iterable]), ['a', 'b']);
    assert.deepEqual(await client.callFunction('collect', [Readable.from([{ x: 1 }, { x: 2 }])]), [{ x: 1 }, { x: 2 }]);
    const bytes = Readable.from([Buffer.from('hello '), Buffer.from('world')], { objectMode: false });
    const chunks = await client.callFunction<Buffer[]>('collect', [bytes]);
    assert.equal(Buffer.concat(chunks).toString(), 'hello world');
    const web = new ReadableStream({
      start(controller) {
        controller.enqueue(1);
        controller.enqueue(2);
        controller.close();
      },
    });
    assert.deepEqual(await client.callFunction('collect', [web]), [1, 2]);
    // An empty one.
    assert.deepEqual(await client.callFunction('collect', [count(0)]), []);
  });

  await t.test("the server leaving its loop early runs the caller's generator's finally, and stops pulling it", async () => {
    let pulled = 0;
    let finallyRan = false;
    async function* endless() {
      try {
        for (;;) {
          pulled++;
          yield pulled;
        }
      } finally {
        finallyRan = true;
      }
    }
    assert.deepEqual(await client.callFunction('takeSome', [endless(), 3]), [1, 2, 3]);
    await until(() => finallyRan);
    // At most the window the server asked for was pulled.
    assert.ok(pulled <= 3 + 16 + 1, `pulled ${pulled}`);
  });

  await t.test("a generator that throws fails the server's loop with a LIPRemoteError", async () => {
    async function* failing() {
      yield 1;
      throw new TypeError('source broke');
    }
    const outcome = await client.callFunction<{ items: number[]; error: { name: string; code: string; remote: { name: string } } }>('readFails', [failing()]);
    assert.deepEqual(outcome.items, [1]);
    assert.equal(outcome.error.code, ErrorCode.Remote);
    assert.equal(outcome.error.remote.name, 'TypeError');
  });

  await t.test('a stream in and a stream out: 100,000 items transformed, in order', async () => {
    let expected = 0;
    for await (const value of client.stream<number>('transform', [count(100_000)])) {
      assert.equal(value, expected * 2);
      expected++;
    }
    assert.equal(expected, 100_000);
  });

  await t.test('items bigger than the socket buffer flow both ways (64 KiB and 1 MiB)', async () => {
    for (const size of [64 * 1024, 1024 * 1024]) {
      async function* big() {
        for (let i = 0; i < 40; i++) yield Buffer.alloc(size, i);
      }
      let n = 0;
      for await (const chunk of client.stream<Buffer>('transform', [big()], {}, { timeoutMs: 20_000 })) {
        assert.equal(chunk.length, size);
        assert.equal(chunk[size - 1], n);
        n++;
      }
      assert.equal(n, 40, `items of ${size} bytes`);
    }
  });

  await t.test('bind keeps working with an iterable argument and a streamed result', async () => {
    const transform = client.bind<(source: AsyncIterable<number>) => AsyncGenerator<number>>('transform');
    const got: number[] = [];
    for await (const value of transform(count(4))) got.push(value);
    assert.deepEqual(got, [0, 2, 4, 6]);
  });
});

test('a function that asks for several items at once gets each in turn', async (t) => {
  const { client } = await serveFixture(t, 'callbacks-server.ts');
  assert.deepEqual(await client.callFunction('eager', [count(5)]), [0, 1, 2, 3, 4, null]);
});
