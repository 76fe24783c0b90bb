/**
 * The one CBOR codec both ends use: cbor-x with records off, so the output is
 * plain RFC 8949 any decoder reads (Python's cbor2 included). What each value
 * becomes is docs/PROTOCOL.md's table; sendable.ts, prepare.ts and value-tags.ts make it so.
 */
import { Encoder } from 'cbor-x';
import { LIPProtocolError } from '../errors.js';
import { checkCbor, type CborLimits, type DecodedSize } from './cbor-check.js';
import { leaveOutBinaries, spliceBinaries, type EncodedMessage } from './left-out-binaries.js';
import { prepareForWire } from './prepare.js';
import { inspect, LARGE_BINARIES, LARGE_BINARY_BYTES, SLOW, WIDE_INTEGERS } from './sendable.js';
import { registerValueTags, writesErrorFields } from './value-tags.js';

export {
  checkCbor,
  DEFAULT_CBOR_LIMITS,
  MAX_BIGNUM_BYTES,
  MAX_BIGNUM_BYTES_PER_FRAME,
  MAX_CBOR_NESTING,
  MAX_DECODED_BYTES,
  readEnvelope,
  type CborLimits,
  type Envelope,
} from './cbor-check.js';

registerValueTags();

// One reused instance: cbor-x keeps its scratch buffer between calls, which is
// measurably faster than a fresh encoder per message.
const codec = new Encoder({
  useRecords: false,
  // Buffers and Uint8Arrays are bare byte strings; other typed arrays keep their RFC 8746 tags.
  tagUint8Array: false,
  mapsAsObjects: true,
  // Dates travel as tag 1 (epoch seconds), which cbor2 reads as datetime.
});
writesErrorFields(codec);

/**
 * Encodes a value (a native message) to CBOR. Throws a LIPProtocolError naming
 * the path of what can't be sent (`args[1].user.avatar: a function can't be sent`).
 */
export function encodeValue(value: unknown): Buffer {
  const flags = inspectFlags(value);
  return flags & SLOW ? encodePrepared(prepareForWire(value)) : encodeInspected(value, flags, value);
}

/**
 * Encodes a message for a socket: as encodeValue, except that Uint8Arrays of
 * LARGE_BINARY_BYTES or more are not copied into cbor-x's output: the frame is put
 * together whole around them (left-out-binaries.ts). Either way the message is the
 * sender's bytes as they are now: the sender may change them once this returns.
 */
export function encodeMessage(value: unknown): EncodedMessage {
  const flags = inspectFlags(value);
  // (The slow path's inspection stopped early: whether there are large binaries is not known.)
  if (!(flags & (SLOW | LARGE_BINARIES))) return encodeInspected(value, flags, value);
  const prepared = flags & SLOW ? prepareForWire(value) : value;
  const binaries: Uint8Array[] = [];
  const placed = leaveOutBinaries(prepared, LARGE_BINARY_BYTES, binaries);
  const encode = (what: unknown) => (flags & SLOW ? encodePrepared(what) : encodeInspected(what, flags, value));
  if (binaries.length === 0) return encode(prepared);
  return spliceBinaries(encode(placed), binaries) ?? encode(prepared);
}

function inspectFlags(value: unknown): number {
  try {
    return inspect(value, 0);
  } catch {
    return SLOW;
  }
}

/** cbor-x writes `value` as it is (`original` is what the caller gave, named in errors). */
function encodeInspected(value: unknown, flags: number, original: unknown): Buffer {
  let bytes: Buffer;
  try {
    bytes = codec.encode(value);
  } catch (cause) {
    throw explainFailure(original, cause);
  }
  if (flags & WIDE_INTEGERS) integralFloatsAsIntegers(bytes);
  return bytes;
}

function encodePrepared(prepared: unknown): Buffer {
  try {
    return codec.encode(prepared);
  } catch (cause) {
    throw new LIPProtocolError(`value cannot be encoded as CBOR: ${(cause as Error).message}`, { cause });
  }
}

/** cbor-x failed on something inspect let through: the slow path names where, if it can. */
function explainFailure(value: unknown, cause: unknown): LIPProtocolError {
  try {
    prepareForWire(value);
  } catch (error) {
    if (error instanceof LIPProtocolError) return error;
  }
  return new LIPProtocolError(`value cannot be encoded as CBOR: ${(cause as Error).message}`, { cause });
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
// Scratch for reading a big-endian float64: faster than Buffer's readDoubleBE on this path.
const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * cbor-x writes integral numbers beyond 32 bits as float64; they go out as the
 * 64-bit integers they are (same 9 bytes, rewritten in place), so Python reads
 * an int and any receiver a number. A flat pass over our own output's headers.
 */
function integralFloatsAsIntegers(b: Uint8Array): void {
  const end = b.length;
  let pos = 0;
  while (pos < end) {
    const initial = b[pos]!;
    if (initial === 0xfb) {
      for (let i = 0; i < 8; i++) scratchBytes[littleEndian ? 7 - i : i] = b[pos + 1 + i]!;
      const value = scratch[0]!;
      if ((value > 0xffffffff || value < -0x100000000) && value <= MAX_SAFE && value >= -MAX_SAFE && Number.isInteger(value)) {
        const magnitude = value < 0 ? -1 - value : value;
        const high = Math.floor(magnitude / 0x100000000);
        const low = magnitude - high * 0x100000000;
        b[pos] = value < 0 ? 0x3b : 0x1b;
        b[pos + 1] = high >>> 24;
        b[pos + 2] = (high >>> 16) & 0xff;
        b[pos + 3] = (high >>> 8) & 0xff;
        b[pos + 4] = high & 0xff;
        b[pos + 5] = low >>> 24;
        b[pos + 6] = (low >>> 16) & 0xff;
        b[pos + 7] = (low >>> 8) & 0xff;
        b[pos + 8] = low & 0xff;
      }
      pos += 9;
      continue;
    }
    const major = initial >> 5;
    const info = initial & 31;
    let arg = info;
    let next = pos + 1;
    if (info >= 24 && info <= 27) {
      const size = 1 << (info - 24);
      arg = 0;
      for (let i = 0; i < size; i++) arg = arg * 256 + b[next + i]!;
      next += size;
    }
    // Only a definite string has a body to skip; everything else is a header alone.
    if ((major === 2 || major === 3) && info !== 31) next += arg;
    pos = next;
  }
}

/**
 * Decodes exactly one CBOR item. Throws a LIPProtocolError on malformed or
 * refused input. May rewrite integer headers in `bytes` in place (see checkCbor).
 */
export function decodeValue(bytes: Uint8Array, limits?: Readonly<CborLimits>, size?: DecodedSize): unknown {
  // cbor-x trusts its input; the peer's bytes are checked first.
  const checked = checkCbor(bytes, limits, size);
  try {
    return codec.decode(checked);
  } catch (cause) {
    throw new LIPProtocolError(`malformed CBOR: ${(cause as Error).message}`, { cause });
  }
}
