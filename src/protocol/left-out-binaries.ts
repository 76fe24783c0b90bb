/**
 * Large binaries are not copied into the encoder's output: cbor-x would copy each
 * one into a buffer of its own (grown 4x on the way, fresh memory every few
 * messages), which cost a 1 MiB echo more than its two trips through the kernel.
 * A message holding Uint8Arrays of LARGE_BINARY_BYTES or more is encoded with a
 * small placeholder in each one's place; the frame is then put together in one
 * buffer of its final size: the encoded parts, each binary's byte-string header,
 * and the binary's bytes, copied once. Copied, not written from the sender's
 * memory: Node can't keep that memory alive while the kernel takes it, and a
 * sender that detached its buffer (a transfer to a Worker) would send whatever
 * the freed memory held next.
 */
import { addExtension } from 'cbor-x';
import { HEADER_BYTES } from './frame.js';

/** A frame put together whole: `bytes` are the 4-byte length, then a body of `length` bytes. */
export interface WholeFrame {
  /** The body's length, as a Uint8Array body's. */
  readonly length: number;
  readonly bytes: Buffer;
}

/** A message ready for a socket: a body, or a whole frame (one that held large binaries). */
export type EncodedMessage = Uint8Array | WholeFrame;

/**
 * Stands for the binary `index` in what the encoder sees. Its tag is one every
 * receiver refuses (checkCbor: 0xdff9 and up), so one that was not replaced could never pass for data.
 */
class LeftOut {
  constructor(readonly index: number) {}
}
const LEFT_OUT_TAG = 0xffff;

// cbor-x's typings know only class extensions with both directions.
(addExtension as (extension: object) => void)({
  Class: LeftOut,
  tag: LEFT_OUT_TAG,
  encode(value: LeftOut, encode: (value: unknown) => void) {
    encode(value.index);
  },
});

/**
 * `value` with each Uint8Array of `minBytes` or more, where cbor-x writes it as a
 * byte string inside arrays, plain objects and Map values, replaced by a
 * placeholder; the binaries are pushed to `binaries` in the order cbor-x meets
 * them. Containers on the way are copied, never changed. Binaries elsewhere (in
 * an Error's fields, a Set, a class instance) stay, and are copied as before.
 */
export function leaveOutBinaries(value: unknown, minBytes: number, binaries: Uint8Array[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) {
    if (value.byteLength < minBytes) return value;
    binaries.push(value);
    return new LeftOut(binaries.length - 1);
  }
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const placed = leaveOutBinaries(item, minBytes, binaries);
      if (placed !== item) (out ??= value.slice())[i] = placed;
    }
    return out ?? value;
  }
  if (value instanceof Map) {
    if (value.constructor !== Map) return value;
    let out: Map<unknown, unknown> | undefined;
    for (const [key, item] of value) {
      const placed = leaveOutBinaries(item, minBytes, binaries);
      if (placed !== item) (out ??= new Map(value)).set(key, placed);
    }
    return out ?? value;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const record = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const item = record[key];
    const placed = leaveOutBinaries(item, minBytes, binaries);
    if (placed === item) continue;
    // Null prototype: a key `__proto__` is just a key (cbor-x writes own keys, in this order).
    out ??= Object.assign(Object.create(null) as Record<string, unknown>, record);
    out[key] = placed;
  }
  return out ?? value;
}

/**
 * The frame of `encoded` (what cbor-x wrote for the value leaveOutBinaries
 * returned) with the binaries in their places. Undefined when the placeholders
 * found are not exactly 0, 1, ... in order (the value held a Tag of ours): the
 * caller then encodes the value as it is.
 */
export function spliceBinaries(encoded: Uint8Array, binaries: readonly Uint8Array[]): WholeFrame | undefined {
  const places = placeholders(encoded);
  if (places.length !== 3 * binaries.length) return undefined;
  let length = encoded.length;
  for (let i = 0; i < binaries.length; i++) {
    if (places[3 * i + 2] !== i) return undefined;
    length += byteStringHeaderBytes(binaries[i]!.length) + binaries[i]!.length - (places[3 * i + 1]! - places[3 * i]!);
  }
  const frame = Buffer.allocUnsafe(HEADER_BYTES + length);
  frame.writeUInt32BE(length, 0);
  let at = HEADER_BYTES;
  let from = 0;
  for (let i = 0; i < binaries.length; i++) {
    const binary = binaries[i]!;
    frame.set(encoded.subarray(from, places[3 * i]!), at);
    at += places[3 * i]! - from;
    writeByteStringHeader(frame, at, binary.length);
    at += byteStringHeaderBytes(binary.length);
    frame.set(binary, at);
    at += binary.length;
    from = places[3 * i + 1]!;
  }
  frame.set(encoded.subarray(from), at);
  return { length, bytes: frame };
}

/**
 * The placeholders in `b`: start, end and index of each, in threes. A walk over
 * the item headers (string bodies skipped) of what cbor-x wrote: definite lengths only.
 */
function placeholders(b: Uint8Array): number[] {
  const found: number[] = [];
  let placeholder = -1;
  for (let pos = 0; pos < b.length; ) {
    const start = pos;
    const major = b[pos]! >> 5;
    const info = b[pos]! & 31;
    let arg = info;
    pos++;
    if (info >= 24 && info <= 27) {
      arg = 0;
      for (let end = pos + (1 << (info - 24)); pos < end; pos++) arg = arg * 256 + b[pos]!;
    }
    if (placeholder >= 0) {
      // The item after our tag: its index.
      found.push(placeholder, pos, major === 0 ? arg : -1);
      placeholder = -1;
    }
    if (major === 6 && arg === LEFT_OUT_TAG) placeholder = start;
    else if ((major === 2 || major === 3) && info !== 31) pos += arg;
  }
  return found;
}

function byteStringHeaderBytes(length: number): number {
  return length < 24 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 5;
}

function writeByteStringHeader(out: Buffer, at: number, length: number): void {
  if (length < 24) out[at] = 0x40 | length;
  else if (length < 0x100) {
    out[at] = 0x58;
    out[at + 1] = length;
  } else if (length < 0x10000) {
    out[at] = 0x59;
    out.writeUInt16BE(length, at + 1);
  } else {
    out[at] = 0x5a;
    out.writeUInt32BE(length, at + 1);
  }
}
