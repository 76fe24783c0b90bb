/**
 * The tags lipmodule reads and writes beyond cbor-x's defaults: Errors as tag
 * 27 `[name, message, fields?]` (any subclass, rebuilt without ever looking a
 * constructor up by name), bignums decoded in linear time, and -0.
 *
 * cbor-x keeps extensions in module-wide tables, so these apply to every cbor-x
 * user in the process. They are written to change nothing for others: the Error
 * encoder acts only for our encoders (others keep cbor-x's `[name, message]`),
 * and the decoders return what cbor-x's own would, only faster (bignums) or
 * keeping more (an Error keeps its name and fields).
 */
import { addExtension, Tag } from 'cbor-x';

/** Encoders that write Errors with their fields (ours); any other cbor-x encoder keeps its own format. */
const ownEncoders = new WeakSet<object>();

export function writesErrorFields(encoder: object): void {
  ownEncoders.add(encoder);
}

/** Stands for -0 in a value prepared for the wire (cbor-x writes -0 as the integer 0). */
export class NegativeZero {}
export const NEGATIVE_ZERO = new NegativeZero();

// Standard classes an Error may come back as; any other name is an Error with that name.
const STANDARD_ERRORS = new Map<string, ErrorConstructor>([
  ['Error', Error],
  ['EvalError', EvalError],
  ['RangeError', RangeError],
  ['ReferenceError', ReferenceError],
  ['SyntaxError', SyntaxError],
  ['TypeError', TypeError],
  ['URIError', URIError],
]);
// Fields that are part of an Error but not its own enumerable data: kept non-enumerable, as JavaScript has them.
const HIDDEN_FIELDS = new Set(['cause', 'errors', 'stack']);

/**
 * What an Error becomes on the wire: `[name, message]`, or `[name, message,
 * fields]` with `code`, `cause`, an AggregateError's `errors` and its own
 * enumerable properties. The stack is not sent: a value is data, and where it
 * was made is the sender's business (thrown errors have `sendStacks`).
 * Reading a property may throw; the caller reports where.
 */
export function errorParts(error: Error): unknown[] {
  const name = typeof error.name === 'string' ? error.name : 'Error';
  const message = typeof error.message === 'string' ? error.message : error.message === undefined ? '' : safeString(error.message);
  let fields: Record<string, unknown> | undefined;
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) (fields ??= Object.create(null) as Record<string, unknown>).code = code;
  // `in`: a cause given as undefined is still a cause.
  if ('cause' in error) (fields ??= Object.create(null) as Record<string, unknown>).cause = error.cause;
  if (error instanceof AggregateError) (fields ??= Object.create(null) as Record<string, unknown>).errors = error.errors;
  for (const key in error) {
    if (!Object.hasOwn(error, key) || key === 'name' || key === 'message' || key === 'stack' || key === 'code' || key === 'cause') continue;
    // A null-prototype object: a key `__proto__` is just a key.
    (fields ??= Object.create(null) as Record<string, unknown>)[key] = (error as unknown as Record<string, unknown>)[key];
  }
  return fields ? [name, message, fields] : [name, message];
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return '';
  }
}

/**
 * Rebuilds the value of a tag 27: a RegExp for `["RegExp", source, flags]`,
 * else an Error: a standard class when the name is one (RangeError...), an
 * Error carrying the name otherwise. Fields are defined, never assigned, so
 * no setter runs and `__proto__` is an ordinary key. Throws on other shapes.
 */
export function valueFromParts(parts: unknown): Error | RegExp {
  if (!Array.isArray(parts) || typeof parts[0] !== 'string') throw new Error('tag 27 must wrap [name, message, fields?]');
  const [name, message, fields] = parts as [string, unknown, unknown];
  if (name === 'RegExp' && typeof message === 'string' && typeof fields === 'string') return new RegExp(message, fields);
  if (typeof message !== 'string') throw new Error('tag 27: an error message must be a text string');
  if (fields !== undefined && !isFieldMap(fields)) throw new Error('tag 27: error fields must be a map');
  const Standard = name === 'AggregateError' ? undefined : STANDARD_ERRORS.get(name);
  const error = name === 'AggregateError' ? new AggregateError([], message) : new (Standard ?? Error)(message);
  if (!Standard) define(error, 'name', name, false);
  define(error, 'stack', `${name}: ${message}`, false);
  if (fields) {
    const entries = fields instanceof Map ? [...fields].filter(([key]) => typeof key === 'string') : Object.entries(fields);
    for (const [key, value] of entries as [string, unknown][]) {
      if (key === 'name' || key === 'message') continue;
      define(error, key, value, !HIDDEN_FIELDS.has(key));
    }
  }
  return error;
}

/** A plain object or a Map: anything else (bytes, a typed array) would become one field per element. */
function isFieldMap(fields: unknown): boolean {
  if (fields === null || typeof fields !== 'object') return false;
  if (fields instanceof Map) return true;
  const proto = Object.getPrototypeOf(fields) as unknown;
  return proto === Object.prototype || proto === null;
}

function define(target: object, key: string, value: unknown, enumerable: boolean): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable });
}

/** A bignum's bytes as a bigint, in linear time (cbor-x shifts byte by byte: quadratic). */
function bignum(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')}`);
}

/** A bigint as a tag 2/3 bignum, for bigints that must stay bigints (see prepareForWire). */
export function bignumTag(value: bigint): Tag {
  const negative = value < 0n;
  const magnitude = negative ? -1n - value : value;
  let hex = magnitude.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return new Tag(magnitude === 0n ? Buffer.alloc(0) : Buffer.from(hex, 'hex'), negative ? 3 : 2);
}

// cbor-x's typings know only class extensions with both directions; these are looser.
const register = addExtension as (extension: object) => void;
let registered = false;

/** Registers the extensions with cbor-x, once. */
export function registerValueTags(): void {
  if (registered) return;
  registered = true;
  register({
    Class: NegativeZero,
    // No tag: the extension writes a bare float64 -0. cbor-x reads `alwaysUseFloat`
    // for each number it writes, so turning it on around this one number is enough.
    encode(this: { alwaysUseFloat?: boolean }, _value: unknown, encode: (value: unknown) => void) {
      const before = this.alwaysUseFloat;
      this.alwaysUseFloat = true;
      try {
        encode(-0);
      } finally {
        this.alwaysUseFloat = before;
      }
    },
  });
  register({
    Class: Error,
    tag: 27,
    encode(this: object, error: Error, encode: (value: unknown) => void) {
      encode(ownEncoders.has(this) ? errorParts(error) : [error.name, error.message]);
    },
    decode: valueFromParts,
  });
  register({ tag: 2, decode: bignum });
  register({ tag: 3, decode: (bytes: Uint8Array) => -1n - bignum(bytes) });
}
