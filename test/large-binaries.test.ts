/**
 * Large Buffers skip cbor-x's output (issue 18) and arrive intact: an 8 MiB Buffer
 * arrives intact both ways, alone and among other values; a Buffer passed or
 * received is the caller's own once the call settles (changing it changes
 * nothing elsewhere); a generator that refills one Buffer for every item, on
 * either side, delivers each item as it was when yielded.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { LIPClient } from '../src/index.js';
import { startFixture } from './helpers/fixture-server.js';
import { socketDir } from './helpers/temp-dir.js';

const MiB = 1024 * 1024;
const digestOf = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

test('large Buffers between a client and a server in another process', async (t) => {
  const dir = socketDir(t);
  await startFixture(t, 'binaries-server.ts', dir);
  const client = new LIPClient({ socketDir: dir, timeoutMs: 60_000 });
  t.after(() => client.destroy());

  await t.test('an 8 MiB Buffer arrives intact, and comes back intact', async () => {
    const sent = randomBytes(8 * MiB);
    assert.equal(await client.callFunction('keep', [sent]), digestOf(sent));
    const back = await client.callFunction<Buffer>('echo', [sent]);
    assert.ok(Buffer.isBuffer(back));
    assert.ok(back.equals(sent));
  });

  await t.test('several large Buffers among other values, in arrays, objects and Maps', async () => {
    const a = randomBytes(3 * MiB);
    const b = randomBytes(64 * 1024);
    const c = randomBytes(200_000);
    const small = randomBytes(100);
    const value = {
      first: a,
      list: ['x', b, 2 ** 40, small, a],
      map: new Map<unknown, unknown>([
        ['c', c],
        [1, 'one'],
      ]),
    };
    assert.deepEqual(await client.callFunction('echo', [value]), value);
  });

  await t.test('a Buffer argument is the caller’s again once the call settled: changing it changes nothing the server kept', async () => {
    const argument = Buffer.alloc(4 * MiB, 1);
    const digest = await client.callFunction('keep', [argument]);
    argument.fill(2);
    assert.equal(await client.callFunction('keptDigest'), digest);
  });

  await t.test('a Buffer result is the caller’s own: later calls and changes to what was sent leave it as it came', async () => {
    const argument = Buffer.alloc(2 * MiB, 3);
    const first = await client.callFunction<Buffer>('echo', [argument]);
    argument.fill(4);
    const second = await client.callFunction<Buffer>('echo', [argument]);
    assert.ok(
      first.every((byte) => byte === 3),
      'the first result is as it came',
    );
    assert.ok(second.every((byte) => byte === 4));
    second.fill(5);
    assert.ok(
      first.every((byte) => byte === 3),
      'results share nothing',
    );
  });

  await t.test('a Buffer shrunk or detached while the socket is still busy with earlier calls: every call is answered, each as it was sent', async () => {
    // Earlier large calls fill the socket, so the next ones wait in Node's queue, where a view changed by its owner
    // would put fewer bytes on the wire than its frame's header announced and leave the connection misread.
    const earlier = Array.from({ length: 6 }, () => client.callFunction('keep', [Buffer.alloc(4 * MiB, 7)]));
    // ES2024's resizable ArrayBuffer (Node 20 has it; the project's TypeScript lib predates it).
    const Resizable = ArrayBuffer as unknown as new (bytes: number, options: { maxByteLength: number }) => ArrayBuffer & { resize(bytes: number): void };
    const resizable = new Resizable(MiB, { maxByteLength: MiB });
    const shrunk = new Uint8Array(resizable).fill(8);
    const shrunkDigest = digestOf(shrunk);
    const shrunkCall = client.callFunction('keep', [shrunk]);
    resizable.resize(10);
    const transferred = Buffer.alloc(MiB, 9);
    const transferredDigest = digestOf(transferred);
    const transferredCall = client.callFunction('keep', [transferred]);
    structuredClone(transferred.buffer, { transfer: [transferred.buffer] });
    assert.equal(transferred.length, 0, 'the Buffer is detached');
    const after = client.callFunction('echo', ['after']);
    const fourMiB = digestOf(Buffer.alloc(4 * MiB, 7));
    assert.deepEqual(await Promise.all(earlier), Array(6).fill(fourMiB));
    assert.equal(await shrunkCall, shrunkDigest, 'the shrunk Buffer arrives as it was when sent');
    assert.equal(await transferredCall, transferredDigest, 'the detached Buffer arrives as it was when sent');
    assert.equal(await after, 'after', 'the connection still reads frames right');
  });

  await t.test('stream items yielded from one Buffer refilled each time arrive as they were yielded', async () => {
    let i = 0;
    for await (const item of client.stream<Buffer>('refilled', [12, MiB])) {
      assert.equal(item.length, MiB);
      assert.ok(
        item.every((byte) => byte === i),
        `item ${i} arrived as yielded`,
      );
      i++;
    }
    assert.equal(i, 12);
  });

  await t.test('items of an iterable argument refilled in one Buffer each time arrive as they were yielded', async () => {
    // Small enough that the server asks for several at once (it keeps about 1 MiB ahead), large enough to skip cbor-x's output.
    async function* refilled() {
      const buffer = Buffer.alloc(128 * 1024);
      for (let i = 0; i < 40; i++) {
        buffer.fill(i);
        yield buffer;
      }
    }
    assert.deepEqual(await client.callFunction('checkRefilled', [refilled()]), { count: 40, wrong: [] });
  });
});
