/**
 * encodeMessage leaves large binaries out of the encoder's output (issue 18):
 * the frame it puts together around them is byte for byte the frame of the same
 * value encoded whole, for binaries anywhere cbor-x writes them (arrays, plain
 * and prototype-less objects, Map values, the slow path's values), one buffer of
 * its final size holding the caller's bytes as they were (changed or detached
 * afterwards, the frame stays). A Tag that looks like a placeholder makes it
 * encode the whole value instead.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tag } from 'cbor-x';
import { decodeValue, encodeMessage, encodeValue } from '../src/protocol/codec.js';
import { joinFrame } from '../src/protocol/frame.js';
import type { EncodedMessage } from '../src/protocol/left-out-binaries.js';

const KiB = 1024;

function bytes(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + seed) & 0xff;
  return out;
}

function frameOf(encoded: EncodedMessage): Buffer {
  return encoded instanceof Uint8Array ? joinFrame(encoded) : encoded.bytes;
}

const big = bytes(64 * KiB, 1);
const bigger = bytes(300 * KiB, 2);
const view = new Uint8Array(bytes(100 * KiB, 3).buffer, 10, 90 * KiB);
const record = Object.create(null) as Record<string, unknown>;
record.x = bigger;
// Defined, not assigned: an own key named __proto__.
Object.defineProperty(record, '__proto__', { value: big, enumerable: true, writable: true, configurable: true });

const values: [string, unknown][] = [
  ['a Buffer alone', big],
  ['a Result with a Buffer', [2, 7, bigger]],
  ['a Call with Buffers among arguments', [1, 9, 'fn', [1, big, 'x', bigger, big], { k: bigger, n: 2 ** 40 }, null]],
  ['a Uint8Array viewing part of a bigger buffer', [view, view.length]],
  [
    'nested objects and Maps',
    {
      a: { b: [{ c: big }] },
      m: new Map<unknown, unknown>([
        ['k', bigger],
        [2, [big]],
      ]),
    },
  ],
  ['a prototype-less object with a key __proto__', [record]],
  ['an Array subclass', [class extends Array {}.from([big, 1])]],
  ['the slow path: -0, a bigint and a Buffer', [-0, 5n, big, { d: bigger }]],
  ['a binary just under the threshold, and empty ones', [bytes(64 * KiB - 1, 4), Buffer.alloc(0), big]],
  ['a binary in an Error field and in a Set (copied as before)', [Object.assign(new Error('e'), { data: big }), new Set([bigger])]],
];

test('a frame with large binaries is the frame of the value encoded whole', () => {
  for (const [what, value] of values) {
    const whole = joinFrame(encodeValue(value));
    const encoded = encodeMessage(value);
    assert.ok(frameOf(encoded).equals(whole), what);
    assert.equal(encoded.length, whole.length - 4, `${what}: the body's length`);
    assert.doesNotThrow(() => decodeValue(frameOf(encoded).subarray(4)), what);
  }
});

test('a frame with large binaries is one buffer of its final size, and holds the bytes as they were when encoded', () => {
  const first = Buffer.alloc(100_000, 1);
  const second = Buffer.alloc(200_000, 2);
  const value = [1, 1, 'fn', [first, 'x'], { second }, null];
  const expected = joinFrame(encodeValue(value));
  const encoded = encodeMessage(value);
  assert.ok(!(encoded instanceof Uint8Array), 'put together whole');
  assert.equal(encoded.bytes.length, 4 + encoded.length, 'exactly the frame: nothing grown or left over');
  assert.equal(encoded.bytes.buffer.byteLength, encoded.bytes.length, 'memory of its own, not a slice of a pool');
  // The sender's memory is not the message: changing or detaching it afterwards (a transfer to a Worker) changes nothing.
  first.fill(9);
  structuredClone(second.buffer, { transfer: [second.buffer] });
  assert.equal(second.length, 0, 'detached');
  assert.ok(encoded.bytes.equals(expected));
});

test('small messages are one body, as before', () => {
  const encoded = encodeMessage([2, 1, bytes(1000, 5)]);
  assert.ok(encoded instanceof Uint8Array);
});

test('a Tag shaped like a placeholder: the value is encoded whole, as it is', () => {
  for (const value of [
    [new Tag(0, 0xffff), big],
    [big, new Tag(0, 0xffff)],
    [new Tag('x', 0xffff), big],
  ]) {
    const encoded = encodeMessage(value);
    assert.ok(encoded instanceof Uint8Array, 'not spliced');
    assert.ok(frameOf(encoded).equals(joinFrame(encodeValue(value))));
  }
});

test('the value given is not changed: placeholders go into copies', () => {
  const args = [big, { inner: [bigger] }];
  const map = new Map([['k', big]]);
  encodeMessage([1, 1, 'fn', args, { map }, null]);
  assert.equal(args[0], big);
  assert.equal((args[1] as { inner: unknown[] }).inner[0], bigger);
  assert.equal(map.get('k'), big);
});
