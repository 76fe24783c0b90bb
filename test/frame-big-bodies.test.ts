/**
 * Big frames are assembled in one buffer of their final size, handed out whole:
 * whatever the split, the same bytes come out, one frame after another, and a
 * decoder dropped mid-frame leaves nothing behind for the next.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameDecoder, joinFrame } from '../src/protocol/frame.js';

function bigFrame(bytes: number, seed: number): { body: Buffer; frame: Buffer } {
  const body = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i++) body[i] = (i * 31 + seed) & 0xff;
  return { body, frame: joinFrame(body) };
}

/** `bytes` cut into pieces of the given sizes, in turn. */
function cut(bytes: Buffer, sizes: number[]): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  return pieces;
}

test('frames over 2 MiB come out whole however they are split, one after another', () => {
  const decoder = new FrameDecoder();
  for (const [seed, sizes] of [
    [1, [65536]],
    [2, [1, 3, 70_000, 7]],
    [3, [4_000_000]],
    [4, [123_457]],
  ] as const) {
    const { body, frame } = bigFrame(5 * 1024 * 1024 + seed, seed);
    const out: Buffer[] = [];
    for (const piece of cut(frame, [...sizes])) out.push(...decoder.push(piece));
    assert.equal(out.length, 1, `seed ${seed}`);
    assert.ok(out[0]!.equals(body), `seed ${seed}: the same bytes`);
    assert.equal(decoder.pendingBytes, 0);
  }
});

test('a decoder dropped in the middle of a big frame leaves nothing to the next one', () => {
  const first = new FrameDecoder();
  const { frame: half } = bigFrame(6 * 1024 * 1024, 9);
  first.push(half.subarray(0, 3 * 1024 * 1024));
  assert.ok(first.pendingBytes > 3_000_000);
  first.clear();
  assert.equal(first.pendingBytes, 0);
  const next = new FrameDecoder();
  const { body, frame } = bigFrame(4 * 1024 * 1024, 11);
  const out = cut(frame, [100_000]).flatMap((piece) => next.push(piece));
  assert.equal(out.length, 1);
  assert.ok(out[0]!.equals(body));
});

test('a body over 2 MiB comes out as an ordinary Buffer of exactly its size, the one it was read into', () => {
  const decoder = new FrameDecoder();
  const { body, frame } = bigFrame(3 * 1024 * 1024, 5);
  const [out] = cut(frame, [65536]).flatMap((piece) => decoder.push(piece));
  assert.ok(Buffer.isBuffer(out));
  assert.ok(out.equals(body));
  assert.equal(out.byteOffset, 0);
  assert.equal(out.buffer.byteLength, out.length, 'a buffer of its own, exactly its size');
  assert.equal((out.buffer as { resizable?: boolean }).resizable ?? false, false, 'not a view of a resizable buffer');
});
