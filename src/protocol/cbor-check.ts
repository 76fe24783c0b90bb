/**
 * The check every CBOR body from a peer passes before cbor-x decodes it, and
 * the envelope read that lets a refused frame fail only its own call.
 */
import { LIPProtocolError } from '../errors.js';
import { MAX_REQUEST_ID } from './messages.js';

/** Deepest nesting of arrays, maps and tags accepted: cbor-x decodes recursively. */
export const MAX_CBOR_NESTING = 512;
/** Largest bignum (tags 2/3) accepted. */
export const MAX_BIGNUM_BYTES = 8192;
/** Most bignum bytes in one frame, all bignums together. */
export const MAX_BIGNUM_BYTES_PER_FRAME = 65536;
/**
 * Most memory one frame may decode to, as estimated from its items (see SLOT_COST):
 * a 16 MiB frame of empty maps would otherwise take over 1 GB.
 */
export const MAX_DECODED_BYTES = 32 * 1024 * 1024;

/** Where checkCbor leaves its estimate of the memory a frame decodes to: a budget that keeps decoded values counts that, not the wire bytes. */
export interface DecodedSize {
  bytes: number;
}

export interface CborLimits {
  maxNesting: number;
  maxBignumBytes: number;
  maxBignumBytesPerFrame: number;
  maxDecodedBytes: number;
}

export const DEFAULT_CBOR_LIMITS: Readonly<CborLimits> = Object.freeze({
  maxNesting: MAX_CBOR_NESTING,
  maxBignumBytes: MAX_BIGNUM_BYTES,
  maxBignumBytesPerFrame: MAX_BIGNUM_BYTES_PER_FRAME,
  maxDecodedBytes: MAX_DECODED_BYTES,
});

/**
 * What items cost once decoded, measured on Node 20 (RSS per item, 64-bit
 * pointers): every item takes a slot in its parent (8 bytes; a map entry's key and value 16),
 * charged when the container opens; an object made from a container, a tag or a
 * byte string costs ~100-130 bytes more; strings add their length; a 64-bit
 * integer becomes a bigint. An empty map decodes to ~96 B, an empty byte string
 * (a Buffer) ~130 B, a Set or a Map (tag + container) ~200-230 B. Numbers
 * count as their slots only (a float64 is at most 24 B for its 9 wire bytes).
 */
const SLOT_COST = 8;
const ARRAY_COST = 88;
const MAP_COST = 96;
const TAG_COST = 128;
const BYTES_COST = 128;
const TEXT_COST = 40;
const BIGINT_COST = 32;

const TWO_POW_53 = 2 ** 53;
/** `d9 01 03`: tag 259, which makes cbor-x decode the map it wraps as a Map. */
const TAG_259 = [0xd9, 0x01, 0x03];

// What the open container is.
const OTHER = 0;
const MAP = 1;
// A map already decoded as a Map: marked for a tag 259, or wrapped in one.
const MAP_AS_MAP = 2;
const TAG_259_WRAPPER = 3;

/**
 * Tags cbor-x gives meaning beyond plain data: shared references (cycles),
 * record structures and packed tables kept in decoder state across messages,
 * bundled strings. Refused. Tag 27 (Error/RegExp) is checked on its own.
 */
function refusedTag(tag: number): boolean {
  return (
    tag === 6 ||
    tag === 14 ||
    tag === 15 ||
    tag === 28 ||
    tag === 29 ||
    tag === 51 ||
    tag === 105 ||
    (tag >= 216 && tag <= 255) ||
    (tag >= 27647 && tag <= 32767) ||
    tag >= 0xdff9
  );
}

function refuse(what: string): never {
  throw new LIPProtocolError(`malformed or refused CBOR: ${what}`);
}

/**
 * One iterative pass over the item headers (byte and text strings are skipped,
 * not read). Refuses, with a LIPProtocolError: anything but exactly one
 * well-formed item, nesting deeper than `maxNesting`, a refused tag, a bignum
 * over `maxBignumBytes` or bignums over `maxBignumBytesPerFrame` in all, and an
 * estimated decoded size over `maxDecodedBytes`. Runs before cbor-x so a
 * hostile frame can't overflow its stack, burn CPU, take memory out of
 * proportion to its size or leave state behind for the next message.
 *
 * It also prepares the bytes for cbor-x, so that values decode the same
 * whoever wrote them (a JavaScript peer or Python's cbor2):
 * - a 64-bit integer (`1b`/`3b`) within ±(2^53−1) is rewritten in place as the
 *   float64 of the same value, so it decodes as a number, not a bigint;
 * - a map with a key that is not a text string gets a tag 259 in front, so it
 *   decodes as a Map with its keys as they are (a copy of the bytes is made).
 * Returns the bytes to decode: `b` itself, or that copy.
 */
export function checkCbor(b: Uint8Array, limits: Readonly<CborLimits> = DEFAULT_CBOR_LIMITS, size?: DecodedSize): Uint8Array {
  const end = b.length;
  const maxDecoded = limits.maxDecodedBytes;
  let pos = 0;
  // The open container: items still expected (Infinity: indefinite, ends at a break),
  // items seen so far (kept for maps: their keys are the even items), its kind, where its header is.
  let remaining = 1;
  let seen = 0;
  let kind = OTHER;
  let start = 0;
  const stack = stackFor(limits.maxNesting);
  let top = 0;
  let depth = 0;
  // What the next item must be: 0 anything, 1 a bignum's byte string, 2 the [name, ...] array of tag 27,
  // 3 its name, 4 its message, 5 its fields (a map; a RegExp's flags: text).
  let expect = 0;
  // Whether the open tag 27 array has a third item (its fields).
  let errorHasFields = false;
  let decoded = SLOT_COST;
  let bignumBytes = 0;
  let mapsToTag: number[] | undefined;
  for (;;) {
    if (remaining === 0) {
      if (depth === 0) break;
      depth--;
      start = stack[--top]!;
      kind = stack[--top]!;
      seen = stack[--top]!;
      remaining = stack[--top]!;
      continue;
    }
    if (pos >= end) refuse('truncated');
    const at = pos;
    const initial = b[pos++]!;
    if (initial === 0xff) {
      if (remaining !== Infinity || expect !== 0) refuse('unexpected break');
      if (kind !== OTHER && (seen & 1) === 1) refuse('a map ended after a key, without its value');
      remaining = 0;
      continue;
    }
    const major = initial >> 5;
    const info = initial & 31;
    let arg = info;
    if (info >= 24) {
      if (info === 24) {
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
        // A float64 needs no reading here.
        if (major !== 7) {
          const high = ((b[pos]! << 24) >>> 0) + ((b[pos + 1]! << 16) | (b[pos + 2]! << 8) | b[pos + 3]!);
          const low = ((b[pos + 4]! << 24) >>> 0) + ((b[pos + 5]! << 16) | (b[pos + 6]! << 8) | b[pos + 7]!);
          arg = high * 0x100000000 + low;
          if (major <= 1) {
            // high < 2^21: the value is below 2^53, exactly.
            if (high < 0x200000 && (major === 0 || arg < TWO_POW_53 - 1)) asFloat64(b, at, major === 0 ? arg : -1 - arg);
            else decoded += BIGINT_COST;
          }
        }
        pos += 8;
      } else if (info === 31 && major >= 2 && major <= 5) arg = -1;
      else refuse(`reserved initial byte 0x${initial.toString(16)}`);
    }
    if (remaining === Infinity) decoded += SLOT_COST;
    else remaining--;
    if (kind !== OTHER) {
      if (kind === MAP && (seen & 1) === 0 && major !== 3) {
        // A key that isn't text: this map must become a Map.
        (mapsToTag ??= []).push(start);
        kind = MAP_AS_MAP;
      }
      seen++;
    }
    if (expect !== 0) {
      if (expect === 1) {
        if (major !== 2 || arg < 0 || arg > limits.maxBignumBytes) refuse(`a bignum must be a byte string of at most ${limits.maxBignumBytes} bytes`);
        bignumBytes += arg;
        if (bignumBytes > limits.maxBignumBytesPerFrame) refuse(`more than ${limits.maxBignumBytesPerFrame} bytes of bignums in one frame`);
      }
      if (expect === 2) {
        if (major !== 4 || arg < 2 || arg > 3) refuse('tag 27 must wrap [name, message, fields?]');
        errorHasFields = arg === 3;
      }
      if (expect === 3 && major !== 3) refuse('tag 27 must wrap [name, message, fields?] with a text name');
      if (expect === 4 && major !== 3) refuse('tag 27 must wrap [name, message, fields?] with a text message');
      // Fields are a map: a byte string or typed array there would become one property per byte.
      if (expect === 5 && major !== 5 && major !== 3) refuse('tag 27 must wrap [name, message, fields?] with fields as a map');
      expect = expect === 1 || expect === 5 || (expect === 4 && !errorHasFields) ? 0 : expect + 1;
    }
    if (major < 2 || major === 7) continue;
    switch (major) {
      case 2:
      case 3:
        decoded += major === 2 ? BYTES_COST : TEXT_COST;
        if (arg >= 0) {
          if (arg > end - pos) refuse('truncated');
          pos += arg;
          decoded += arg;
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
            decoded += length.value;
          }
        }
        break;
      case 4:
      case 5: {
        if (depth >= limits.maxNesting) refuse(`nested deeper than ${limits.maxNesting}`);
        const count = arg < 0 ? Infinity : major === 5 ? arg * 2 : arg;
        // Every item takes at least a byte: a count past the end is a lie, found before any work.
        if (count !== Infinity && count > end - pos) refuse('truncated');
        // The slots of its items are charged now (an indefinite container's, one by one).
        decoded += (major === 4 ? ARRAY_COST : MAP_COST) + (count === Infinity ? 0 : count * SLOT_COST);
        stack[top++] = remaining;
        stack[top++] = seen;
        stack[top++] = kind;
        stack[top++] = start;
        depth++;
        remaining = count;
        seen = 0;
        kind = major === 4 ? OTHER : kind === TAG_259_WRAPPER ? MAP_AS_MAP : MAP;
        start = at;
        break;
      }
      case 6:
        if (refusedTag(arg)) refuse(`tag ${arg} is not accepted`);
        if (depth >= limits.maxNesting) refuse(`nested deeper than ${limits.maxNesting}`);
        decoded += TAG_COST;
        stack[top++] = remaining;
        stack[top++] = seen;
        stack[top++] = kind;
        stack[top++] = start;
        depth++;
        remaining = 1;
        seen = 0;
        kind = arg === 259 ? TAG_259_WRAPPER : OTHER;
        start = at;
        if (arg === 2 || arg === 3) expect = 1;
        else if (arg === 27) expect = 2;
        break;
    }
    if (decoded > maxDecoded) refuse(`the frame would decode to more than ${maxDecoded} bytes of memory`);
  }
  if (pos !== end) refuse(`${end - pos} bytes after the item`);
  if (size) size.bytes = decoded;
  return mapsToTag ? insertTag259(b, mapsToTag) : b;
}

// The scanner's stack (four numbers per open container), kept between calls: checking allocates nothing.
let sharedStack = new Float64Array(4 * (MAX_CBOR_NESTING + 1));

function stackFor(maxNesting: number): Float64Array {
  if (sharedStack.length < 4 * (maxNesting + 1)) sharedStack = new Float64Array(4 * (maxNesting + 1));
  return sharedStack;
}

// Scratch for writing a float64 big-endian without allocating a DataView each time.
const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Rewrites the 9-byte integer at `at` as the float64 of `value` (also 9 bytes). */
function asFloat64(b: Uint8Array, at: number, value: number): void {
  b[at] = 0xfb;
  scratch[0] = value;
  for (let i = 0; i < 8; i++) b[at + 1 + i] = scratchBytes[littleEndian ? 7 - i : i]!;
}

/** A copy of `b` with tag 259 in front of the map headers at `offsets` (in increasing order). */
function insertTag259(b: Uint8Array, offsets: number[]): Uint8Array {
  offsets.sort((x, y) => x - y);
  const out = Buffer.allocUnsafe(b.length + TAG_259.length * offsets.length);
  let from = 0;
  let to = 0;
  for (const offset of offsets) {
    out.set(b.subarray(from, offset), to);
    to += offset - from;
    out.set(TAG_259, to);
    to += TAG_259.length;
    from = offset;
  }
  out.set(b.subarray(from), to);
  return out;
}

function readLength(b: Uint8Array, pos: number, end: number): { value: number; next: number } {
  const info = b[pos]! & 31;
  const size = info < 24 ? 0 : 1 << (info - 24);
  if (pos + 1 + size > end) refuse('truncated');
  let value = info < 24 ? info : 0;
  for (let i = 0; i < size; i++) value = value * 256 + b[pos + 1 + i]!;
  return { value, next: pos + 1 + size };
}

/** What a message frame is about: its kind and request id (0: the connection). */
export interface Envelope {
  kind: number;
  id: number;
}

/**
 * Reads only the head `[kind, id, ...` of a message frame, for a frame whose
 * values could not be decoded: with an envelope, just that call fails; without
 * one the byte stream can't be trusted. Undefined when the head isn't
 * an array starting with two unsigned integers (the id below 2^32).
 */
export function readEnvelope(b: Uint8Array): Envelope | undefined {
  const first = b[0];
  if (first === undefined || first >> 5 !== 4) return undefined;
  const count = first & 31;
  const head = count < 24 || count === 31 ? 1 : count <= 27 ? 1 + (1 << (count - 24)) : 0;
  if (head === 0 || (count < 24 && count < 2)) return undefined;
  const kind = readUnsigned(b, head);
  if (!kind) return undefined;
  const id = readUnsigned(b, kind.next);
  if (!id || id.value > MAX_REQUEST_ID) return undefined;
  return { kind: kind.value, id: id.value };
}

function readUnsigned(b: Uint8Array, pos: number): { value: number; next: number } | undefined {
  const initial = b[pos];
  if (initial === undefined || initial >> 5 !== 0 || (initial & 31) > 26) return undefined;
  const info = initial & 31;
  const size = info < 24 ? 0 : 1 << (info - 24);
  if (pos + 1 + size > b.length) return undefined;
  let value = info < 24 ? info : 0;
  for (let i = 0; i < size; i++) value = value * 256 + b[pos + 1 + i]!;
  return { value, next: pos + 1 + size };
}
