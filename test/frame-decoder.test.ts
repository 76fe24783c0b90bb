/**
 * The length-prefixed frame decoder: frames glued, split at every offset or
 * fed byte by byte come out whole and in order; a length over the limit is
 * refused from the header; malformed CBOR is a LIPProtocolError.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, LIPProtocolError } from '../src/errors.js';
import { decodeValue, encodeValue } from '../src/protocol/codec.js';
import { FrameDecoder, joinFrame } from '../src/protocol/frame.js';

const samples: unknown[] = [
  [1, 1, 'add', [2, 3], null, null],
  [2, 7, { nested: [1, 'two', { three: 3 }] }],
  [2, 9, Buffer.alloc(70_000, 0xab)],
  [2, 10, ''],
  [3, 4, { name: 'TypeError', message: 'x'.repeat(300) }],
];
const frames = samples.map((s) => joinFrame(encodeValue(s)));
const glued = Buffer.concat(frames);

function decodeAll(decoder: FrameDecoder, chunks: Buffer[]): unknown[] {
  return chunks.flatMap((chunk) => decoder.push(chunk)).map((body) => decodeValue(body));
}

test('frames glued together in one chunk all come out, in order', () => {
  assert.deepEqual(decodeAll(new FrameDecoder(), [glued]), samples);
});

test('fed one byte at a time, every frame still comes out whole', () => {
  const bytes = [...glued].map((b) => Buffer.from([b]));
  assert.deepEqual(decodeAll(new FrameDecoder(), bytes), samples);
});

test('split in two at every offset, the result is the same', () => {
  const small = Buffer.concat(frames.filter((f) => f.length < 1000));
  const expected = samples.filter((_, i) => frames[i]!.length < 1000);
  for (let cut = 0; cut <= small.length; cut++) {
    const decoder = new FrameDecoder();
    const out = decodeAll(decoder, [small.subarray(0, cut), small.subarray(cut)]);
    assert.deepEqual(out, expected, `cut at ${cut}`);
    assert.equal(decoder.pendingBytes, 0);
  }
});

test('split in three at many offset pairs, including inside headers', () => {
  for (let a = 0; a < glued.length; a += 997) {
    for (let b = a; b < glued.length; b += 1409) {
      const out = decodeAll(new FrameDecoder(), [glued.subarray(0, a), glued.subarray(a, b), glued.subarray(b)]);
      assert.deepEqual(out, samples, `cuts at ${a}, ${b}`);
    }
  }
});

test('a partial frame is held until the rest arrives', () => {
  const decoder = new FrameDecoder();
  assert.deepEqual(decoder.push(frames[0]!.subarray(0, 6)), []);
  assert.equal(decoder.pendingBytes > 0, true);
  assert.equal(decoder.push(frames[0]!.subarray(6)).length, 1);
  assert.equal(decoder.pendingBytes, 0);
});

test('a length over the limit is refused from the header alone, before the body arrives', () => {
  const decoder = new FrameDecoder(1024);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(1025);
  assert.throws(
    () => decoder.push(header),
    (error: unknown) => error instanceof LIPProtocolError && error.code === ErrorCode.FrameTooLarge && /1025 bytes/.test(error.message),
  );
  // Also when the header itself arrives split.
  const split = new FrameDecoder(1024);
  split.push(header.subarray(0, 2));
  assert.throws(() => split.push(header.subarray(2)), LIPProtocolError);
  // The largest allowed frame passes.
  const ok = new FrameDecoder(1024);
  const max = Buffer.alloc(4 + 1024);
  max.writeUInt32BE(1024);
  assert.equal(ok.push(max).length, 1);
});

test('malformed CBOR becomes a LIPProtocolError', () => {
  for (const bytes of [[0x9f, 0x01], [0x82, 0x01], [0x5a, 0xff, 0xff, 0xff, 0xff], [0x1c]]) {
    assert.throws(
      () => decodeValue(Buffer.from(bytes)),
      (error: unknown) => error instanceof LIPProtocolError && error.code === ErrorCode.Protocol && /CBOR/.test(error.message),
      Buffer.from(bytes).toString('hex'),
    );
  }
});
