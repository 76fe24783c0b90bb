/**
 * Values on the wire (issue 13), over real sockets to a server in a child
 * process: Errors as values, one bad value failing only its own call (either
 * way), typed arrays, -0, maps with non-text keys, integers and bigints, values
 * that can't be sent named by their path; and the decoding bounds of issue 12
 * (items 8 and 9): what a frame may decode to, bignum bytes per frame.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { ErrorCode, LIPClient, LIPProtocolError, LIPRemoteError, LIPTimeoutError } from '../src/index.js';
import { decodeValue, encodeValue, MAX_BIGNUM_BYTES, MAX_DECODED_BYTES } from '../src/protocol/codec.js';
import { FrameDecoder, joinFrame, PROBE_PREAMBLE } from '../src/protocol/frame.js';
import { serveFixture, startFixture } from './helpers/fixture-server.js';
import { peakRssOf } from './helpers/process-memory.js';
import { socketDir } from './helpers/temp-dir.js';
import { cbor, frame, head, rawCall } from './helpers/raw-cbor.js';
import { PREAMBLE, RawPeer } from './helpers/raw-peer.js';
import { CustomError } from './helpers/values-spec.js';

const rejectsWith = async (promise: Promise<unknown>, pattern: RegExp): Promise<Error> => {
  const error = await promise.then(
    () => assert.fail(`expected a rejection matching ${pattern}`),
    (e: unknown) => e as Error,
  );
  assert.ok(error instanceof LIPProtocolError, `a LIPProtocolError, got ${String(error)}`);
  assert.match(error.message, pattern);
  return error;
};

test('values: errors, typed arrays, -0, integers, maps and values that cannot be sent', async (t) => {
  const { dir, client } = await serveFixture(t, 'values-server.ts', { client: { timeoutMs: 20_000 } });

  await t.test('an Error argument fails nothing: five slow calls beside it all succeed, and it arrives whole', async () => {
    const slowCalls = Array.from({ length: 5 }, (_, i) => client.callFunction('slow', [100, i]));
    const error = Object.assign(new RangeError('out of range', { cause: new TypeError('inner') }), { code: 'E_RANGE', limit: 10, nested: { at: [1, -0] } });
    const echoed = await client.callFunction<RangeError & { code: string; limit: number; nested: unknown }>('echo', [error]);
    assert.deepEqual(await Promise.all(slowCalls), [0, 1, 2, 3, 4]);
    assert.ok(echoed instanceof RangeError && echoed instanceof Error);
    assert.equal(echoed.name, 'RangeError');
    assert.equal(echoed.message, 'out of range');
    assert.equal(echoed.code, 'E_RANGE');
    assert.equal(echoed.limit, 10);
    assert.deepEqual(echoed.nested, { at: [1, -0] });
    assert.ok(Object.is((echoed.nested as { at: number[] }).at[1], -0));
    assert.ok(echoed.cause instanceof TypeError && echoed.cause.message === 'inner');
    assert.deepEqual(Object.keys(echoed).sort(), ['code', 'limit', 'nested'], 'own enumerable fields, cause kept as JavaScript keeps it');
  });

  await t.test('any subclass keeps its name; one the receiver does not know arrives as an Error carrying it', async () => {
    const [custom, aggregate, plain] = await client.callFunction<Error[]>('echo', [
      [new CustomError('mine'), new AggregateError([new Error('a'), 'b'], 'many'), new Error('plain')],
    ]);
    assert.ok(custom instanceof Error && custom.constructor === Error);
    assert.equal(custom.name, 'CustomError');
    assert.equal(custom.message, 'mine');
    assert.ok(aggregate instanceof AggregateError);
    assert.equal((aggregate as AggregateError).errors.length, 2);
    assert.ok((aggregate as AggregateError).errors[0] instanceof Error);
    assert.equal((aggregate as AggregateError).errors[1], 'b');
    assert.ok(plain instanceof Error && plain.name === 'Error');
    // The server saw them as Errors too.
    assert.deepEqual(await client.callFunction('kinds', [new CustomError('x'), new SyntaxError('y')]), ['Error', 'SyntaxError']);
  });

  await t.test('Errors as results and stream items: allSettled and { ok: false, error }', async () => {
    const settled = await client.callFunction<{ results: PromiseSettledResult<number>[]; outcome: { ok: boolean; error: Error & { code: string } } }>(
      'settled',
    );
    assert.deepEqual(settled.results[0], { status: 'fulfilled', value: 1 });
    const rejected = settled.results[1] as PromiseRejectedResult;
    assert.equal(rejected.status, 'rejected');
    assert.ok(rejected.reason instanceof TypeError && rejected.reason.message === 'bad type');
    assert.ok(rejected.reason.cause instanceof RangeError && (rejected.reason.cause as { code?: string }).code === 'E_RANGE');
    assert.ok(settled.outcome.error instanceof RangeError && settled.outcome.error.code === 'E_RANGE');
    const spec = JSON.stringify({ t: 'error', cls: 'TypeError', message: 'as an item', fields: [['status', { t: 'num', v: '404' }]] });
    const streamed: unknown[] = [];
    for await (const item of client.stream('items', [spec])) streamed.push(item);
    assert.equal(streamed.length, 3);
    assert.ok(streamed[1] instanceof TypeError && (streamed[1] as { status?: number }).status === 404);
  });

  await t.test('typed arrays come back as the same typed arrays (RFC 8746 tags); other bytes as Buffer', async () => {
    const sent = [
      new Float64Array([1.5, -0, NaN]),
      new Float32Array([0.25]),
      new Int32Array([1, -2]),
      new Uint16Array([65535]),
      new Int8Array([-128]),
      new Uint8ClampedArray([255]),
      new BigInt64Array([-1n]),
      new BigUint64Array([2n ** 64n - 1n]),
    ];
    const back = await client.callFunction<ArrayBufferView[]>('echo', [sent]);
    back.forEach((view, i) => {
      assert.equal(view.constructor, sent[i]!.constructor, sent[i]!.constructor.name);
      assert.ok(Buffer.from(view.buffer, view.byteOffset, view.byteLength).equals(Buffer.from(sent[i]!.buffer)), sent[i]!.constructor.name);
    });
    assert.deepEqual(
      await client.callFunction('kinds', sent),
      sent.map((v) => v.constructor.name),
    );
    const bytes = await client.callFunction<unknown[]>('echo', [[new Uint8Array([1]), new Uint8Array([2]).buffer, new DataView(new Uint8Array([3]).buffer)]]);
    assert.deepEqual(bytes, [Buffer.from([1]), Buffer.from([2]), Buffer.from([3])]);
    // On the wire: tag 86 (float64, little endian) around the bytes.
    assert.equal(encodeValue(new Float64Array([1])).toString('hex'), 'd85648000000000000f03f');
  });

  await t.test('-0 keeps its sign both ways', async () => {
    assert.ok(Object.is(await client.callFunction('echo', [-0]), -0));
    assert.deepEqual(await client.callFunction('kinds', [-0, 0]), ['-0', 'number']);
    const nested = await client.callFunction<{ a: number[] }>('echo', [{ a: [0, -0, 1] }]);
    assert.ok(Object.is(nested.a[1], -0) && Object.is(nested.a[0], 0));
  });

  await t.test('integers: numbers stay numbers, bigints stay bigints, at every size', async () => {
    const numbers = [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 40, -(2 ** 40), 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 1e300, Date.now()];
    assert.deepEqual(await client.callFunction('echo', [numbers]), numbers);
    const bigints = [0n, 5n, -5n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n, -(2n ** 64n), -(2n ** 64n) - 1n, 2n ** 200n];
    assert.deepEqual(await client.callFunction('echo', [bigints]), bigints);
    // Integral numbers beyond 32 bits are CBOR integers (Python reads an int), not floats.
    assert.equal(encodeValue(2 ** 40).toString('hex'), '1b0000010000000000');
    assert.equal(encodeValue(5n).toString('hex'), 'c24105');
  });

  await t.test('maps with non-text keys decode as Map, whoever wrote them', async () => {
    const path = join(dir, 'lipcm-kinds.sock');
    const peer = await RawPeer.connect(path);
    t.after(() => peer.destroy());
    // {b"k": 1} and {(1, 2): "a"} as Python's cbor2 writes them, and {1: "x"}.
    const bytesKey = Buffer.from('a1416b01', 'hex');
    const tupleKey = Buffer.from('a18201026161', 'hex');
    const intKey = Buffer.from('a1016178', 'hex');
    peer.write(Buffer.concat([PREAMBLE, frame(rawCall(1, 'kinds', [bytesKey, tupleKey, intKey, cbor.map([[cbor.text('a'), cbor.uint(1)]])]))]));
    const reply = await peer.reply(1);
    assert.deepEqual(reply, [2, 1, ['Map(Buffer)', 'Map(Array)', 'Map(number)', 'Object']]);
    const echoed = await client.callFunction<Map<unknown, unknown>>('echo', [
      new Map<unknown, unknown>([
        [Buffer.from('k'), 1],
        [[1, 2], 'a'],
        [{ o: 1 }, 'object key'],
      ]),
    ]);
    assert.deepEqual(
      [...echoed],
      [
        [Buffer.from('k'), 1],
        [[1, 2], 'a'],
        [{ o: 1 }, 'object key'],
      ],
    );
  });

  await t.test('a value that cannot be sent fails its own call, naming where; the connection goes on', async () => {
    const avatar = () => 1;
    await rejectsWith(client.callFunction('echo', [1, { user: { avatar } }]), /^args\[1\]\.user\.avatar: a function can't be sent$/);
    await rejectsWith(client.callFunction('echo', [[1, Symbol('s')]]), /^args\[0\]\[1\]: a symbol can't be sent$/);
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    await rejectsWith(
      client.callFunction('echo', [{ list: [loop] }]),
      /^args\[0\]\.list\[0\]\.self: a circular reference \(back to args\[0\]\.list\[0\]\) can't be sent$/,
    );
    await rejectsWith(client.callFunction('echo', [{ later: Promise.resolve(1) }]), /^args\[0\]\.later: a Promise can't be sent \(await it first\)$/);
    await rejectsWith(client.callFunction('echo', [new Map([['k', avatar]])]), /^args\[0\]\.get\("k"\): a function can't be sent$/);
    // (One level in, `{ opts: { cb } }` is a callback argument since issue 19: two levels in can't be sent.)
    await rejectsWith(client.callFunction('echo', [], { opts: { deep: { cb: avatar } } }), /^kwargs\.opts\.deep\.cb: a function can't be sent$/);
    assert.equal(await client.callFunction('add', [1, 2]), 3, 'the same connection still serves');
  });

  await t.test('a result or stream item that cannot be sent fails that call, naming where', async () => {
    await rejectsWith(client.callFunction('unsendable', ['function']), /result\.user\.avatar: a function can't be sent/);
    await rejectsWith(client.callFunction('unsendable', ['symbol']), /result\[1\]: a symbol can't be sent/);
    await rejectsWith(client.callFunction('unsendable', ['cycle']), /result\.list\[0\]\.self: a circular reference \(back to result\.list\[0\]\)/);
    await rejectsWith(client.callFunction('unsendable', ['promise']), /result\.later: a Promise can't be sent/);
    const streamed: unknown[] = [];
    const failure = await (async () => {
      for await (const item of client.stream('items', [JSON.stringify({ t: 'object', entries: [['f', { t: 'fn' }]] })])) streamed.push(item);
    })().then(
      () => assert.fail('the stream should fail'),
      (e: unknown) => e as Error,
    );
    assert.ok(failure instanceof LIPProtocolError);
    assert.match(failure.message, /item\.f: a function can't be sent/);
    assert.deepEqual(streamed, ['first']);
    assert.equal(await client.callFunction('add', [2, 2]), 4);
  });

  await t.test('class instances, toJSON, boxed primitives, holes and undefined', async () => {
    class Point {
      constructor(
        public x: number,
        public y: number,
      ) {}
      get length(): number {
        return Math.hypot(this.x, this.y);
      }
    }
    const sent = [
      new Point(3, 4),
      { toJSON: () => 'from toJSON' },
      new URL('https://example.org/x'),
      Object(5),
      // biome-ignore lint/suspicious/noSparseArray: a hole is one of the values under test
      [1, , 3],
      { u: undefined },
      { [Symbol('hidden')]: 1, shown: 2 },
    ];
    assert.deepEqual(await client.callFunction('echo', [sent]), [
      { x: 3, y: 4 },
      'from toJSON',
      'https://example.org/x',
      5,
      [1, undefined, 3],
      { u: undefined },
      { shown: 2 },
    ]);
    // An argument itself with toJSON is a value too, not an object carrying a callback (issue 19).
    assert.equal(await client.callFunction('echo', [{ toJSON: () => 'top level', other: 'ignored' }]), 'top level');
    assert.equal(await client.callFunction('echo', [], { value: { toJSON: () => undefined } }), undefined);
  });

  await t.test('Dates, invalid Dates, RegExps, Sets and Maps round-trip', async () => {
    const sent = [new Date(1.5), new Date(NaN), /a+b/giu, new Set([1, 'a', new Set([2])]), new Map<unknown, unknown>([['k', new Map([[1, 2]])]])];
    const back = await client.callFunction<unknown[]>('echo', [sent]);
    // (deepEqual can't compare two invalid Dates: NaN is not NaN.)
    assert.ok(back[1] instanceof Date && Number.isNaN(back[1].getTime()));
    assert.deepEqual([back[0], ...back.slice(2)], [sent[0], ...sent.slice(2)]);
  });
});

test('a frame the server cannot decode fails only the call it names; the connection stays', async (t) => {
  const dir = socketDir(t);
  await startFixture(t, 'values-server.ts', dir);
  const peer = await RawPeer.connect(join(dir, 'lipcm-echo.sock'));
  t.after(() => peer.destroy());
  const refused: [string, Buffer][] = [
    ['tag 28 (shared value)', cbor.tag(28, cbor.uint(1))],
    ['a bignum over the limit', cbor.tag(2, cbor.bytes(Buffer.alloc(MAX_BIGNUM_BYTES + 1, 1)))],
    ['nesting over 512', Buffer.concat([Buffer.alloc(600, 0x81), cbor.uint(1)])],
    ['an indefinite text string (cbor-x refuses it)', Buffer.from('7f6161ff', 'hex')],
    ['a RegExp with bad flags', cbor.tag(27, cbor.array([cbor.text('RegExp'), cbor.text('a'), cbor.text('zz')]))],
  ];
  const frames = refused.flatMap(([, value], i) => [frame(rawCall(10 + i, 'echo', [value])), frame(rawCall(100 + i, 'echo', [cbor.uint(i)]))]);
  peer.write(Buffer.concat([PREAMBLE, ...frames]));
  for (const [i, [label]] of refused.entries()) {
    const bad = await peer.reply(10 + i);
    assert.equal(bad?.[0], 3, label);
    assert.equal((bad![2] as { code: string }).code, ErrorCode.Protocol, label);
    assert.match((bad![2] as { message: string }).message, /the call's arguments could not be decoded/, label);
    assert.deepEqual(await peer.reply(100 + i), [2, 100 + i, i], `${label}: the next call on the connection is served`);
  }
  assert.equal(peer.closed, false);
  assert.equal(peer.frames.filter((f) => (f as unknown[])[1] === 0).length, 0, 'no connection-level error');
});

test('an answer the client cannot decode fails only its own call; a stream is cancelled', async (t) => {
  const dir = socketDir(t);
  const cancels: number[] = [];
  // A server that answers some calls with a value the client's check refuses (tag 28).
  const server = createServer((socket: Socket) => {
    const decoder = new FrameDecoder();
    let greeted = false;
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      if (!greeted) {
        greeted = true;
        socket.write(joinFrame(encodeValue([0, { v: 1, pid: process.pid, name: 'fake', lib: 'test' }])));
        // A client opens with the preamble, or with the probe preamble while it does not know the server's kind.
        chunk = chunk.subarray(chunk[0] === PROBE_PREAMBLE[0] ? PROBE_PREAMBLE.length : PREAMBLE.length);
      }
      for (const body of decoder.push(chunk)) {
        const message = decodeValue(body) as [number, number, string, unknown[]];
        const [kind, id, fn] = message;
        if (kind === 4) cancels.push(id);
        if (kind !== 1) continue;
        const refusedValue = cbor.tag(28, cbor.uint(1));
        if (fn === 'fake' && message[3][0] === 'bad') socket.write(frame(cbor.array([cbor.uint(2), cbor.uint(id), refusedValue])));
        else if (fn === 'fake' && message[3][0] === 'stream') {
          socket.write(frame(cbor.array([cbor.uint(5), cbor.uint(id), cbor.text('fine')])));
          socket.write(frame(cbor.array([cbor.uint(5), cbor.uint(id), refusedValue])));
        } else setTimeout(() => socket.write(joinFrame(encodeValue([2, id, 42]))), 50);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(join(dir, 'lipcm-fake.sock'), resolve));
  t.after(() => server.close());
  const client = new LIPClient({ socketDir: dir, timeoutMs: 5000 });
  t.after(() => client.destroy());

  const good = [client.callFunction('fake', ['good']), client.callFunction('fake', ['good'])];
  await rejectsWith(client.callFunction('fake', ['bad']), /'fake': the answer could not be decoded: .*tag 28/);
  const items: unknown[] = [];
  await rejectsWith(
    (async () => {
      for await (const item of client.stream('fake', ['stream'])) items.push(item);
    })(),
    /'fake': a stream item could not be decoded/,
  );
  assert.deepEqual(items, ['fine']);
  assert.deepEqual(await Promise.all(good), [42, 42], 'the other calls on the connection are answered');
  assert.equal(await client.callFunction('fake', ['after']), 42);
  assert.equal(cancels.length, 1, 'the stream was cancelled on the server');
});

test('decoding is bounded per frame: memory it would take, bignum bytes (issue 12, items 8 and 9)', async (t) => {
  const { dir, client } = await serveFixture(t, 'values-server.ts', { client: { timeoutMs: 20_000 } });
  const peer = await RawPeer.connect(join(dir, 'lipcm-echo.sock'));
  t.after(() => peer.destroy());
  peer.write(PREAMBLE);

  // 4 MiB of empty maps would decode to ~400 MB; refused before cbor-x sees it.
  const maps = 4 * 1024 * 1024;
  peer.write(frame(rawCall(1, 'echo', [Buffer.concat([head(4, maps), Buffer.alloc(maps, 0xa0)])])));
  const amplified = await peer.reply(1, 15_000);
  assert.equal(amplified?.[0], 3);
  assert.match((amplified![2] as { message: string }).message, new RegExp(`would decode to more than ${MAX_DECODED_BYTES} bytes`));
  // Empty byte strings, the costliest item per byte: refused as well.
  peer.write(frame(rawCall(2, 'echo', [Buffer.concat([head(4, maps), Buffer.alloc(maps, 0x40)])])));
  assert.equal((await peer.reply(2, 15_000))?.[0], 3);
  // A large value that is mostly bytes decodes: the bound is on memory, not on frame size.
  const payload = Buffer.alloc(8 * 1024 * 1024, 7);
  assert.ok((await client.callFunction<Buffer>('echo', [payload])).equals(payload));
  // So does an ordinary array of a million numbers.
  const million = Array.from({ length: 1_000_000 }, (_, i) => i);
  assert.equal((await client.callFunction<number[]>('echo', [million])).length, 1_000_000);

  // 2,040 bignums of 8 KiB: refused as a whole (more than 64 KiB of bignums in one frame).
  const bignum = cbor.tag(2, cbor.bytes(Buffer.alloc(MAX_BIGNUM_BYTES, 0xff)));
  peer.write(frame(rawCall(3, 'echo', [Buffer.concat([head(4, 2040), ...Array.from({ length: 2040 }, () => bignum)])])));
  const bignums = await peer.reply(3, 15_000);
  assert.equal(bignums?.[0], 3);
  assert.match((bignums![2] as { message: string }).message, /more than 65536 bytes of bignums in one frame/);
  // Eight of them fit, and come back as the same bigints.
  peer.write(frame(rawCall(4, 'echo', [Buffer.concat([head(4, 8), ...Array.from({ length: 8 }, () => bignum)])])));
  const eight = await peer.reply(4, 15_000);
  assert.equal(eight?.[0], 2);
  assert.deepEqual(
    eight?.[2],
    Array.from({ length: 8 }, () => BigInt(`0x${'ff'.repeat(MAX_BIGNUM_BYTES)}`)),
  );
  assert.equal(peer.closed, false);
  assert.equal(await client.callFunction('add', [20, 22]), 42);
});

test('an Error-shaped remote error is still the function failing, not a value', async (t) => {
  const { client } = await serveFixture(t, 'values-server.ts');
  // make() throws when its spec is not JSON: that is a LIPRemoteError, unchanged by Errors as values.
  await assert.rejects(client.callFunction('make', ['not json']), (e: unknown) => e instanceof LIPRemoteError && e.remote.name === 'SyntaxError');
});

test('an Error whose fields are a byte string or a typed array fails only its call, in bounded memory (D2)', async (t) => {
  const { dir, server, client } = await serveFixture(t, 'values-server.ts', { client: { timeoutMs: 60_000 } });
  assert.equal(await client.callFunction('add', [1, 2]), 3);
  const peer = await RawPeer.connect(join(dir, 'lipcm-echo.sock'));
  t.after(() => peer.destroy());
  peer.write(PREAMBLE);
  const before = peakRssOf(server.child.pid!);
  const error = (fields: Buffer) => cbor.tag(27, cbor.array([cbor.text('Error'), cbor.text('m'), fields]));
  // One property per byte: a 16 MiB frame took 2.5 GB and minutes of CPU.
  peer.write(frame(rawCall(1, 'ignore', [error(cbor.bytes(Buffer.alloc(16 * 1024 * 1024 - 100, 1)))])));
  peer.write(frame(rawCall(2, 'echo', [error(cbor.tag(86, cbor.bytes(Buffer.alloc(4 * 1024 * 1024, 1))))])));
  peer.write(frame(rawCall(3, 'echo', [error(cbor.tag(72, cbor.bytes(Buffer.alloc(1024, 1))))])));
  // Another connection's call is answered meanwhile.
  assert.equal(await client.callFunction('add', [20, 22]), 42);
  for (const id of [1, 2, 3]) {
    const reply = await peer.reply(id, 30_000);
    assert.equal(reply?.[0], 3, `call ${id} fails`);
    assert.equal((reply![2] as { code: string }).code, ErrorCode.Protocol);
    assert.match((reply![2] as { message: string }).message, /fields as a map/);
  }
  const growth = peakRssOf(server.child.pid!) - before;
  assert.ok(growth < 200 * 1024 * 1024, `server peak RSS grew by ${Math.round(growth / 1024 / 1024)} MB`);
  // Fields as a map still work, and so does a RegExp (its flags in the third place).
  peer.write(frame(rawCall(4, 'echo', [error(cbor.map([[cbor.text('code'), cbor.text('E1')]]))])));
  const ok = await peer.reply(4);
  assert.equal(ok?.[0], 2);
  assert.equal((ok![2] as { code: string }).code, 'E1');
  assert.equal(peer.closed, false);
  // Every decoding path (server, client results, one-shot) goes through decodeValue: refused there too.
  assert.throws(() => decodeValue(error(cbor.bytes(Buffer.alloc(64, 1)))), /fields as a map/);
  assert.throws(() => decodeValue(cbor.tag(27, cbor.array([cbor.text('Error'), cbor.uint(1)]))), /text message/);
  assert.ok(decodeValue(cbor.tag(27, cbor.array([cbor.text('RegExp'), cbor.text('a+'), cbor.text('g')]))) instanceof RegExp);
});

test('a Proxy that throws while its value is looked at fails with the path error (D4)', async (t) => {
  const { client } = await serveFixture(t, 'values-server.ts', { client: { timeoutMs: 20_000 } });
  const throwing = new Proxy(
    {},
    {
      getPrototypeOf() {
        throw new TypeError('len');
      },
      ownKeys() {
        throw new TypeError('len');
      },
    },
  );
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  const revokedArray = Proxy.revocable([1, 2], {});
  revokedArray.revoke();
  for (const [label, proxy] of [
    ['a throwing trap', throwing],
    ['a revoked Proxy', revocable.proxy],
    ['a revoked array Proxy', revokedArray.proxy],
  ] as const) {
    const error = await rejectsWith(client.callFunction('echo', [{ nested: { v: proxy } }]), /^args\[0\]\.nested\.v: /);
    assert.equal((error as LIPProtocolError).code, ErrorCode.Protocol, label);
  }
  assert.throws(() => encodeValue([1, 1, 'echo', [{ nested: { v: revocable.proxy } }], null, null]), LIPProtocolError);
  const result = await client.callFunction('odd', ['proxy', 0]).then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e as Error,
  );
  assert.ok(result instanceof LIPProtocolError, String(result));
  assert.match(result.message, /the result of 'odd' could not be sent: result\.nested\.v: /);
  assert.equal(await client.callFunction('add', [1, 2]), 3);
});

test('a huge sparse array fails at once with the path error, without walking its holes (D4)', async (t) => {
  const { client } = await serveFixture(t, 'values-server.ts', { client: { timeoutMs: 20_000 } });
  for (const length of [2 ** 32 - 1, 1e8]) {
    const sparse: unknown[] = [];
    sparse[length - 1] = 1;
    await rejectsWith(client.callFunction('echo', [{ list: sparse }]), /^args\[0\]\.list: an array of \d+ items/);
    await rejectsWith(client.callFunction('echo', [[sparse]]), /^args\[0\]\[0\]: an array of \d+ items/);
    assert.throws(() => encodeValue(sparse), /an array of \d+ items/);
  }
  // As a result: the call fails with the path, typed.
  for (const length of [2 ** 32 - 1, 1e8]) {
    const error = await client.callFunction('odd', ['sparse', length]).then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e as Error,
    );
    assert.ok(error instanceof LIPProtocolError, String(error));
    assert.match(error.message, /the result of 'odd' could not be sent: result\.list: an array of \d+ items/);
  }
  assert.equal(await client.callFunction('add', [1, 2]), 3);
});

test('a thenable result is awaited as JavaScript awaits it; one that never calls back ends at the deadline; inside a value it is refused', async (t) => {
  const { client } = await serveFixture(t, 'values-server.ts', { client: { timeoutMs: 20_000 } });
  assert.deepEqual(await client.callFunction('thenable', ['resolves']), { rows: 2 });
  await assert.rejects(client.callFunction('thenable', ['never'], {}, { timeoutMs: 300 }), LIPTimeoutError);
  await rejectsWith(client.callFunction('thenable', ['inside']), /the result of 'thenable' could not be sent: result\[0\]\.then: a function/);
  assert.equal(await client.callFunction('add', [1, 2]), 3);
});
