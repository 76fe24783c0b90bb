/**
 * Whether a value can go to cbor-x as it is. Every value goes through
 * `inspect`: one pass that allocates nothing and says so (nearly always). The
 * rest (-0, bigints that must stay bigints, toJSON, boxed primitives, values
 * that can't be sent at all) take the slow path, prepare.ts.
 */
import { Tag } from 'cbor-x';
import { MAX_CBOR_NESTING } from './cbor-check.js';
import { DEFAULT_MAX_FRAME_BYTES } from './frame.js';
import { errorParts } from './value-tags.js';

/** The value must go through prepareForWire (it needs changing, or can't be sent). */
export const SLOW = 1;
/** The value holds integral numbers beyond 32 bits, which cbor-x writes as floats. */
export const WIDE_INTEGERS = 2;
/** The value holds a Uint8Array of LARGE_BINARY_BYTES or more: a socket writes it from where it is (left-out-binaries.ts). */
export const LARGE_BINARIES = 4;
/** A Uint8Array this large is written from the caller's memory rather than copied into the encoder's output. */
export const LARGE_BINARY_BYTES = 64 * 1024;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
export const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
/**
 * Longest array sent: each item (a hole too) takes at least a byte, so a longer
 * one can't fit in a frame; refused from its length alone, its holes never walked.
 */
export const MAX_ARRAY_LENGTH = DEFAULT_MAX_FRAME_BYTES;

/**
 * Flags for `value`, found at `depth` containers down (CBOR nesting, tags
 * included, as the receiver counts it). Stops at the first reason for the slow
 * path. May throw (a getter that throws): then take the slow path.
 *
 * This runs on every message, so it is written for speed: numbers and strings
 * are looked at inline in the loops, and objects are walked with for-in without
 * an own-property check (an inherited enumerable key only makes it look at more).
 */
export function inspect(value: unknown, depth: number): number {
  switch (typeof value) {
    case 'number':
      return value === 0 || value > 0xffffffff || value < -0x100000000 ? numberFlags(value) : 0;
    case 'string':
    case 'boolean':
    case 'undefined':
      return 0;
    case 'object':
      return value === null ? 0 : inspectObject(value, depth);
    case 'bigint':
      return value <= MAX_SAFE_BIG && value >= -MAX_SAFE_BIG ? SLOW : 0;
    default:
      // function, symbol
      return SLOW;
  }
}

/** For 0 and numbers beyond 32 bits: -0 needs the slow path, a wide integer the rewrite. */
function numberFlags(value: number): number {
  if (value === 0) return 1 / value < 0 ? SLOW : 0;
  return Number.isInteger(value) && value <= MAX_SAFE && value >= -MAX_SAFE ? WIDE_INTEGERS : 0;
}

function inspectObject(value: object, depth: number): number {
  if (depth >= MAX_CBOR_NESTING) return SLOW;
  if (Array.isArray(value)) {
    if (value.length > MAX_ARRAY_LENGTH) return SLOW;
    let flags = 0;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'number') {
        if (item === 0 || item > 0xffffffff || item < -0x100000000) flags |= numberFlags(item);
      } else if (typeof item !== 'string') {
        flags |= inspect(item, depth + 1);
      }
      if (flags & SLOW) return flags;
    }
    return flags;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto === Object.prototype || proto === null) return inspectRecord(value as Record<string, unknown>, depth + 1);
  if (ArrayBuffer.isView(value)) return value.byteLength >= LARGE_BINARY_BYTES && value instanceof Uint8Array ? LARGE_BINARIES : 0;
  if (value instanceof Date || value instanceof ArrayBuffer) return 0;
  if (value instanceof Map) {
    // A subclass isn't written as a Map by cbor-x.
    if (value.constructor !== Map || depth + 1 >= MAX_CBOR_NESTING) return SLOW;
    let flags = 0;
    for (const [key, item] of value) {
      flags |= inspect(key, depth + 2) | inspect(item, depth + 2);
      if (flags & SLOW) return flags;
    }
    return flags;
  }
  if (value instanceof Set) {
    if (depth + 1 >= MAX_CBOR_NESTING) return SLOW;
    let flags = 0;
    for (const item of value) {
      flags |= inspect(item, depth + 2);
      if (flags & SLOW) return flags;
    }
    return flags;
  }
  if (value instanceof Error) {
    if (depth + 2 >= MAX_CBOR_NESTING) return SLOW;
    const parts = errorParts(value);
    return parts.length === 3 ? inspectRecord(parts[2] as Record<string, unknown>, depth + 3) : 0;
  }
  if (value instanceof RegExp) return depth + 1 >= MAX_CBOR_NESTING ? SLOW : 0;
  // Class instances: cbor-x sends their own enumerable properties, unless prepareForWire must look closer.
  const instance = value as Record<PropertyKey, unknown>;
  if (
    value instanceof Tag ||
    typeof instance.toJSON === 'function' ||
    typeof instance.then === 'function' ||
    typeof instance[Symbol.iterator] === 'function' ||
    typeof instance[Symbol.asyncIterator] === 'function' ||
    isBoxedPrimitive(value) ||
    isUnsendableObject(value) ||
    value instanceof SharedArrayBuffer
  ) {
    return SLOW;
  }
  return inspectRecord(instance as Record<string, unknown>, depth + 1);
}

function inspectRecord(value: Record<string, unknown>, depth: number): number {
  let flags = 0;
  for (const key in value) {
    const item = value[key];
    if (typeof item === 'number') {
      if (item === 0 || item > 0xffffffff || item < -0x100000000) flags |= numberFlags(item);
    } else if (typeof item !== 'string') {
      flags |= inspect(item, depth);
    }
    if (flags & SLOW) return flags;
  }
  return flags;
}

export function isBoxedPrimitive(value: object): boolean {
  return value instanceof Number || value instanceof String || value instanceof Boolean || value instanceof BigInt;
}

export function isUnsendableObject(value: object): boolean {
  return value instanceof WeakMap || value instanceof WeakSet || value instanceof WeakRef || value instanceof Blob;
}
