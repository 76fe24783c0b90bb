/**
 * The one CBOR codec both ends use. Plain RFC 8949 output (no cbor-x records,
 * no typed-array tags) so any decoder, Python's cbor2 included, can read it.
 */
import { Encoder } from 'cbor-x';
import { LIPProtocolError } from '../errors.js';

// One reused instance: cbor-x keeps its scratch buffer between calls, which is
// measurably faster than a fresh encoder per message.
const codec = new Encoder({
  useRecords: false,
  tagUint8Array: false,
  mapsAsObjects: true,
  // Dates travel as tag 1 (epoch seconds, float), which cbor2 reads as datetime.
});

/** Encodes a value to CBOR. Throws a LIPProtocolError for values CBOR cannot carry. */
export function encodeValue(value: unknown): Buffer {
  try {
    return codec.encode(value);
  } catch (cause) {
    throw new LIPProtocolError(`value cannot be encoded as CBOR: ${(cause as Error).message}`, { cause });
  }
}

/** Decodes exactly one CBOR item. Throws a LIPProtocolError on malformed or refused input. */
export function decodeValue(bytes: Uint8Array): unknown {
  // cbor-x trusts its input; the peer's bytes are checked first (see checkCbor).
  checkCbor(bytes);
  try {
    return codec.decode(bytes);
  } catch (cause) {
    throw new LIPProtocolError(`malformed CBOR: ${(cause as Error).message}`, { cause });
  }
}

/** Deepest nesting of arrays, maps and tags accepted: cbor-x decodes recursively. */
export const MAX_CBOR_NESTING = 512;
/** Largest bignum (tags 2/3) accepted: cbor-x converts them in quadratic time. */
export const MAX_BIGNUM_BYTES = 8192;

/**
 * Tags cbor-x gives meaning beyond plain data: shared references (cycles),
 * record structures and packed tables kept in decoder state across messages,
 * bundled strings. Refused. Tag 27 (Error/RegExp) is checked on its own.
 */
function refusedTag(tag: number): boolean {
  return (
    tag === 6 || tag === 14 || tag === 15 || tag === 28 || tag === 29 || tag === 51 || tag === 105 ||
    (tag >= 216 && tag <= 255) || (tag >= 27647 && tag <= 32767) || tag >= 0xdff9
  );
}

function refuse(what: string): never {
  throw new LIPProtocolError(`malformed or refused CBOR: ${what}`);
}

/**
 * One iterative pass over the item headers (byte and text strings are skipped,
 * not read): the bytes hold exactly one well-formed item, nested at most
 * MAX_CBOR_NESTING deep, with no refused tag and no bignum over MAX_BIGNUM_BYTES.
 * Runs before cbor-x so a hostile frame can't overflow its stack, burn CPU or
 * leave state behind for the next message. Throws a LIPProtocolError.
 */
export function checkCbor(b: Uint8Array): void {
  const end = b.length;
  let pos = 0;
  // Items still expected in the open container (Infinity: indefinite length, ends at a break).
  let remaining = 1;
  const stack: number[] = [];
  // What the next item must be: 0 anything, 1 a bignum's byte string, 2 the [name, ...] array of tag 27, 3 its name.
  let expect = 0;
  for (;;) {
    if (remaining === 0) {
      if (stack.length === 0) break;
      remaining = stack.pop()!;
      continue;
    }
    if (pos >= end) refuse('truncated');
    const initial = b[pos++]!;
    if (initial === 0xff) {
      if (remaining !== Infinity || expect !== 0) refuse('unexpected break');
      remaining = stack.pop()!;
      continue;
    }
    const major = initial >> 5;
    const info = initial & 31;
    let arg: number;
    if (info < 24) arg = info;
    else if (info === 24) {
      if (pos + 1 > end) refuse('truncated');
      arg = b[pos]!;
      pos += 1;
    } else if (info === 25) {
      if (pos + 2 > end) refuse('truncated');
      arg = (b[pos]! << 8) | b[pos + 1]!;
      pos += 2;
    } else if (info === 26) {
      if (pos + 4 > end) refuse('truncated');
      arg = ((b[pos]! << 24) >>> 0) + ((b[pos + 1]! << 16) | (b[pos + 2]! << 8) | b[pos + 3]!);
      pos += 4;
    } else if (info === 27) {
      if (pos + 8 > end) refuse('truncated');
      const high = ((b[pos]! << 24) >>> 0) + ((b[pos + 1]! << 16) | (b[pos + 2]! << 8) | b[pos + 3]!);
      const low = ((b[pos + 4]! << 24) >>> 0) + ((b[pos + 5]! << 16) | (b[pos + 6]! << 8) | b[pos + 7]!);
      arg = high * 0x100000000 + low;
      pos += 8;
    } else if (info === 31 && major >= 2 && major <= 5) arg = -1;
    else refuse(`reserved initial byte 0x${initial.toString(16)}`);
    remaining--;
    if (expect !== 0) {
      if (expect === 1 && (major !== 2 || arg < 0 || arg > MAX_BIGNUM_BYTES)) refuse(`a bignum must be a byte string of at most ${MAX_BIGNUM_BYTES} bytes`);
      if (expect === 2 && (major !== 4 || arg < 2 || arg > 3)) refuse('tag 27 must wrap [name, ...args]');
      if (expect === 3 && !(major === 3 && isObjectName(b, pos, arg))) refuse('tag 27 names only Error or RegExp');
      expect = expect === 2 ? 3 : 0;
    }
    switch (major) {
      case 2:
      case 3:
        if (arg >= 0) {
          if (arg > end - pos) refuse('truncated');
          pos += arg;
        } else {
          // Indefinite string: definite chunks of the same major type, then a break.
          for (;;) {
            if (pos >= end) refuse('truncated');
            const chunk = b[pos++]!;
            if (chunk === 0xff) break;
            if (chunk >> 5 !== major || (chunk & 31) > 27) refuse('bad chunk in an indefinite string');
            pos--;
            const length = readLength(b, pos, end);
            pos = length.next + length.value;
            if (pos > end) refuse('truncated');
          }
        }
        break;
      case 4:
      case 5:
        if (stack.length >= MAX_CBOR_NESTING) refuse(`nested deeper than ${MAX_CBOR_NESTING}`);
        stack.push(remaining);
        remaining = arg < 0 ? Infinity : major === 5 ? arg * 2 : arg;
        // Every item takes at least a byte: a count past the end is a lie, found before any work.
        if (remaining !== Infinity && remaining > end - pos) refuse('truncated');
        break;
      case 6:
        if (refusedTag(arg)) refuse(`tag ${arg} is not accepted`);
        if (stack.length >= MAX_CBOR_NESTING) refuse(`nested deeper than ${MAX_CBOR_NESTING}`);
        stack.push(remaining);
        remaining = 1;
        if (arg === 2 || arg === 3) expect = 1;
        else if (arg === 27) expect = 2;
        break;
      // 0, 1, 7: the argument was the whole item.
    }
  }
  if (pos !== end) refuse(`${end - pos} bytes after the item`);
}

function readLength(b: Uint8Array, pos: number, end: number): { value: number; next: number } {
  const info = b[pos]! & 31;
  const size = info < 24 ? 0 : 1 << (info - 24);
  if (pos + 1 + size > end) refuse('truncated');
  let value = info < 24 ? info : 0;
  for (let i = 0; i < size; i++) value = value * 256 + b[pos + 1 + i]!;
  return { value, next: pos + 1 + size };
}

function isObjectName(b: Uint8Array, pos: number, length: number): boolean {
  // `pos` is just past the header; the name's bytes follow.
  if (pos + length > b.length) return false;
  if (length === 5) return b[pos] === 0x45 && Buffer.from(b.buffer, b.byteOffset + pos, 5).toString('latin1') === 'Error';
  if (length === 6) return b[pos] === 0x52 && Buffer.from(b.buffer, b.byteOffset + pos, 6).toString('latin1') === 'RegExp';
  return false;
}
