/**
 * The slow path for values `inspect` (sendable.ts) won't let through as they
 * are: a copy cbor-x writes the way docs/PROTOCOL.md says, or a
 * LIPProtocolError naming where the value can't be sent
 * (`args[1].user.avatar: a function can't be sent`).
 */
import { Tag } from 'cbor-x';
import { LIPProtocolError } from '../errors.js';
import { MAX_CBOR_NESTING } from './cbor-check.js';
import { messageFieldName } from './messages.js';
import { isBoxedPrimitive, isUnsendableObject, MAX_ARRAY_LENGTH, MAX_SAFE_BIG } from './sendable.js';
import { bignumTag, errorParts, NEGATIVE_ZERO } from './value-tags.js';

export interface PrepareOptions {
  /**
   * For Python's cbor2 (the one-shot protocol): undefined as null, typed arrays
   * other than bytes as lists, DataView as bytes, no bignum tags for small
   * bigints, an invalid Date refused.
   */
  python?: boolean;
}

/**
 * A copy of `value` that cbor-x writes as docs/PROTOCOL.md says; throws a
 * LIPProtocolError naming the path of the first part that can't be sent.
 */
export function prepareForWire(value: unknown, options: PrepareOptions = {}): unknown {
  return new Preparer(value, options.python === true).value(value, 0);
}

/** A step on the path to a value: a property, an index, or already-written text (Map entries, Set items). */
type Segment = string | number | { text: string };

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

// A path longer than this many steps shows its start and its end.
const PATH_SHOWN = 24;

/** `args[1].user.avatar`: the first step of a native message is named after its field. */
export function formatPath(root: unknown, segments: readonly Segment[]): string {
  let out = '';
  for (let i = 0; i < segments.length; i++) {
    if (i === PATH_SHOWN / 2 && segments.length > PATH_SHOWN) {
      const skipped = segments.length - PATH_SHOWN;
      out += `…(${skipped} more)…`;
      i += skipped - 1;
      continue;
    }
    const segment = segments[i]!;
    const field = i === 0 && typeof segment === 'number' ? messageFieldName(root, segment) : undefined;
    if (field !== undefined) out = field;
    else if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string') out += IDENTIFIER.test(segment) ? (out === '' ? segment : `.${segment}`) : `[${JSON.stringify(segment)}]`;
    else out += segment.text;
  }
  return out === '' ? 'the value' : out;
}

/** `Generator`, `Array Iterator`, `Promise`, a class's name. */
function kindOf(value: object): string {
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  if (tag !== 'Object') return tag;
  try {
    return value.constructor?.name || 'object';
  } catch {
    return 'object';
  }
}

function describeKey(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key);
  if (typeof key === 'number' || typeof key === 'boolean' || key === null || key === undefined) return String(key);
  if (typeof key === 'bigint') return `${key}n`;
  return `<${key === null ? 'null' : typeof key === 'object' ? (key.constructor?.name ?? 'object') : typeof key}>`;
}

function messageOf(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'an unprintable value';
  }
}

class Preparer {
  private readonly segments: Segment[] = [];
  // Objects on the current path (a cycle comes back to one), with the path length at each.
  private readonly open = new Map<object, number>();

  constructor(
    private readonly root: unknown,
    private readonly python: boolean,
  ) {}

  private fail(reason: string): never {
    throw new LIPProtocolError(`${formatPath(this.root, this.segments)}: ${reason}`);
  }

  value(value: unknown, depth: number): unknown {
    switch (typeof value) {
      case 'number':
        if (value === 0) return 1 / value < 0 ? NEGATIVE_ZERO : 0;
        // An integral number is a CBOR integer (cbor-x would write a float beyond 32 bits).
        if ((value > 0xffffffff || value < -0x100000000) && Number.isSafeInteger(value)) return BigInt(value);
        return value;
      case 'bigint':
        // A 64-bit CBOR integer within ±(2^53−1) decodes as a number: a bigint there stays one as a bignum.
        return !this.python && value <= MAX_SAFE_BIG && value >= -MAX_SAFE_BIG ? bignumTag(value) : value;
      case 'undefined':
        return this.python ? null : undefined;
      case 'function':
        return this.fail("a function can't be sent");
      case 'symbol':
        return this.fail("a symbol can't be sent");
      case 'object':
        return value === null ? null : this.object(value, depth);
      default:
        return value;
    }
  }

  private object(value: object, depth: number): unknown {
    const at = this.open.get(value);
    if (at !== undefined) this.fail(`a circular reference (back to ${formatPath(this.root, this.segments.slice(0, at))}) can't be sent`);
    if (depth >= MAX_CBOR_NESTING) this.fail(`nested deeper than ${MAX_CBOR_NESTING} levels`);
    this.open.set(value, this.segments.length);
    const length = this.segments.length;
    let out: unknown;
    try {
      out = this.convert(value, depth);
    } catch (error) {
      if (error instanceof LIPProtocolError) throw error;
      // A Proxy's trap, a revoked Proxy: whatever throws while looking at it fails with its path.
      this.segments.length = length;
      this.fail(`looking at it threw: ${messageOf(error)}`);
    }
    this.open.delete(value);
    return out;
  }

  /** Checks that `extra` more levels of tags and containers fit under the limit. */
  private fits(depth: number, extra: number): void {
    if (depth + extra >= MAX_CBOR_NESTING) this.fail(`nested deeper than ${MAX_CBOR_NESTING} levels`);
  }

  private convert(value: object, depth: number): unknown {
    if (Array.isArray(value)) {
      if (value.length > MAX_ARRAY_LENGTH) {
        this.fail(`an array of ${value.length} items can't be sent (each takes at least a byte; a frame holds at most ${MAX_ARRAY_LENGTH})`);
      }
      const out: unknown[] = new Array(value.length);
      for (let i = 0; i < value.length; i++) out[i] = this.property(i, value, i, depth + 1);
      return out;
    }
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto === Object.prototype || proto === null) return this.record(value as Record<string, unknown>, depth);
    if (ArrayBuffer.isView(value)) return this.view(value);
    if (value instanceof Date) {
      if (this.python && Number.isNaN(value.getTime())) this.fail("an invalid Date can't be sent to Python");
      return value;
    }
    if (value instanceof ArrayBuffer) return value;
    if (value instanceof RegExp) {
      this.fits(depth, 1);
      return value;
    }
    if (value instanceof Map) return this.map(value, depth);
    if (value instanceof Set) return this.set(value, depth);
    if (value instanceof Error) return this.error(value, depth);
    if (value instanceof Tag) return new Tag(this.property('value', value, 'value', depth + 1), value.tag);
    return this.instance(value, depth);
  }

  /** Reads `container[key]` (a getter may throw) and prepares it, one step further down the path. */
  private property(segment: Segment, container: object, key: PropertyKey, depth: number): unknown {
    this.segments.push(segment);
    let item: unknown;
    try {
      item = (container as Record<PropertyKey, unknown>)[key];
    } catch (error) {
      this.fail(`reading it threw: ${messageOf(error)}`);
    }
    const out = this.value(item, depth);
    this.segments.pop();
    return out;
  }

  private step(segment: Segment, item: unknown, depth: number): unknown {
    this.segments.push(segment);
    const out = this.value(item, depth);
    this.segments.pop();
    return out;
  }

  private record(value: Record<string, unknown>, depth: number): unknown {
    let toJSON: unknown;
    try {
      toJSON = value.toJSON;
    } catch (error) {
      this.fail(`reading toJSON threw: ${messageOf(error)}`);
    }
    if (typeof toJSON === 'function') return this.viaToJSON(value, toJSON, depth);
    return this.ownProperties(value, depth);
  }

  private ownProperties(value: object, depth: number): Record<string, unknown> {
    // Null prototype: a key `__proto__` is just a key.
    const out = Object.create(null) as Record<string, unknown>;
    for (const key in value) {
      if (Object.hasOwn(value, key)) out[key] = this.property(key, value, key, depth + 1);
    }
    return out;
  }

  /** As JSON.stringify does: the value is what toJSON(key) returns. */
  // biome-ignore lint/complexity/noBannedTypes: toJSON is any callable the value carries, called with .call
  private viaToJSON(value: object, toJSON: Function, depth: number): unknown {
    const last = this.segments.at(-1);
    let json: unknown;
    try {
      json = toJSON.call(value, typeof last === 'string' || typeof last === 'number' ? String(last) : '');
    } catch (error) {
      this.fail(`its toJSON() threw: ${messageOf(error)}`);
    }
    if (json === value) return this.ownProperties(value, depth);
    return this.value(json, depth);
  }

  private view(value: ArrayBufferView): unknown {
    if (!this.python) return value;
    if (value instanceof Uint8Array && value.constructor !== Uint8ClampedArray) return value;
    if (value instanceof DataView) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    // cbor2 reads no typed-array tags: a list of numbers (or ints) is what Python can use.
    return Array.from(value as unknown as ArrayLike<unknown>, (item) => this.value(item, 0));
  }

  private map(value: Map<unknown, unknown>, depth: number): Map<unknown, unknown> {
    this.fits(depth, 1);
    const out = new Map<unknown, unknown>();
    let index = 0;
    for (const [key, item] of value) {
      const preparedKey = this.step({ text: `.keys()[${index}]` }, key, depth + 2);
      out.set(preparedKey, this.step({ text: `.get(${describeKey(key)})` }, item, depth + 2));
      index++;
    }
    return out;
  }

  private set(value: Set<unknown>, depth: number): Set<unknown> {
    this.fits(depth, 1);
    const out = new Set<unknown>();
    let index = 0;
    for (const item of value) out.add(this.step({ text: `.values()[${index++}]` }, item, depth + 2));
    return out;
  }

  private error(value: Error, depth: number): Tag {
    this.fits(depth, 2);
    let parts: unknown[];
    try {
      parts = errorParts(value);
    } catch (error) {
      this.fail(`reading the error's fields threw: ${messageOf(error)}`);
    }
    if (parts.length === 3) {
      const fields = parts[2] as Record<string, unknown>;
      const out = Object.create(null) as Record<string, unknown>;
      for (const key of Object.keys(fields)) out[key] = this.step(key, fields[key], depth + 3);
      parts[2] = out;
    }
    return new Tag(parts, 27);
  }

  private instance(value: object, depth: number): unknown {
    const instance = value as Record<PropertyKey, unknown>;
    const kind = kindOf(value);
    if (typeof instance.then === 'function') this.fail(`a ${kind === 'Promise' ? 'Promise' : 'thenable'} can't be sent (await it first)`);
    if (typeof instance[Symbol.asyncIterator] === 'function') this.fail(`an async iterable (${kind}) can't be sent (collect its values first)`);
    if (isUnsendableObject(value)) this.fail(`a ${kind} can't be sent`);
    if (isBoxedPrimitive(value)) return this.value((value as { valueOf(): unknown }).valueOf(), depth);
    if (value instanceof SharedArrayBuffer) return Buffer.from(new Uint8Array(value));
    const toJSON = instance.toJSON;
    if (typeof toJSON === 'function') return this.viaToJSON(value, toJSON, depth);
    if (typeof instance[Symbol.iterator] === 'function') {
      if (typeof instance.next === 'function') this.fail(`an iterator (${kind}) can't be sent (spread it into an array first)`);
      let items: unknown[];
      try {
        items = Array.from(value as Iterable<unknown>);
      } catch (error) {
        this.fail(`iterating it threw: ${messageOf(error)}`);
      }
      const out: unknown[] = new Array(items.length);
      for (let i = 0; i < items.length; i++) out[i] = this.step(i, items[i], depth + 1);
      return out;
    }
    // A class instance: its own enumerable properties, as a plain object.
    return this.ownProperties(value, depth);
  }
}
