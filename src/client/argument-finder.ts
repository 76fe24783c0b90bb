/**
 * Finds the callbacks and iterables among a call's arguments (an argument itself, or a property of a
 * plain-object argument): the Call then carries null in their slots and a `channels` option naming
 * them. Transports that can't carry them refuse the call before anything is sent.
 */
import { LIPArgumentError } from '../errors.js';
import { refuseThenableSlot, slotLabel } from '../protocol/channel-slots.js';
import { ChannelKind, type ChannelPath, type ChannelSpec } from '../protocol/messages.js';

type Kwargs = Record<string, unknown> | null;

/** A caller's callback, or an iterable it passes (an async generator, any AsyncIterable, a Node Readable, a web ReadableStream). */
export type ChannelValue = ((...args: never[]) => unknown) | AsyncIterable<unknown>;

export interface FoundChannels {
  /** The arguments as sent: copies with null in the channels' slots. */
  args: unknown[];
  kwargs: Kwargs;
  specs: ChannelSpec[];
  /** The value of channel i + 1. */
  values: ChannelValue[];
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The kind of channel `value` would be, if any. */
function channelKind(value: unknown): ChannelKind | undefined {
  if (typeof value === 'function') return ChannelKind.Callback;
  if (typeof value !== 'object' || value === null) return undefined;
  return typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function' ? ChannelKind.Iterable : undefined;
}

class Finder {
  found: FoundChannels | undefined;

  constructor(
    private readonly args: unknown[],
    private readonly kwargs: Kwargs,
  ) {}

  visit(holder: Record<string | number, unknown>, key: string | number, path: ChannelPath): void {
    const value = holder[key];
    const kind = channelKind(value);
    if (kind !== undefined) {
      this.add(path, kind, value as ChannelValue);
      return;
    }
    // One level down: `{ onProgress }` as an options argument. An object with toJSON is a value: its toJSON() is sent.
    if (
      path.length === 1 &&
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      isPlainObject(value) &&
      typeof value.toJSON !== 'function'
    ) {
      for (const inner of Object.keys(value)) {
        if (channelKind(value[inner]) !== undefined) this.visit(value, inner, [path[0], inner]);
      }
    }
  }

  private add(path: ChannelPath, kind: ChannelKind, value: ChannelValue): void {
    refuseThenableSlot(path, kind);
    const found = (this.found ??= { args: [...this.args], kwargs: this.kwargs && { ...this.kwargs }, specs: [], values: [] });
    const [first, second] = path;
    const top = (typeof first === 'number' ? found.args : found.kwargs!) as Record<string | number, unknown>;
    if (second === undefined) top[first] = null;
    else {
      // The object is copied once, so the caller's own object keeps its function.
      const inner = top[first] as Record<string, unknown>;
      const copy = this.copies.has(inner) ? inner : { ...inner };
      this.copies.add(copy);
      copy[second] = null;
      top[first] = copy;
    }
    found.values.push(value);
    found.specs.push([found.values.length, kind, path]);
  }

  private readonly copies = new Set<object>();
}

/** The call's callbacks and iterables, with the arguments to send in their place; undefined when there are none. */
export function findChannels(args: unknown[], kwargs: Kwargs): FoundChannels | undefined {
  let finder: Finder | undefined;
  for (let i = 0; i < args.length; i++) {
    const value = args[i];
    // The common case (numbers, strings, arrays, buffers) costs one typeof.
    if (typeof value !== 'function' && (typeof value !== 'object' || value === null)) continue;
    (finder ??= new Finder(args, kwargs)).visit(args as unknown as Record<number, unknown>, i, [i]);
  }
  if (kwargs !== null) {
    for (const key of Object.keys(kwargs)) {
      const value = kwargs[key];
      if (typeof value !== 'function' && (typeof value !== 'object' || value === null)) continue;
      (finder ??= new Finder(args, kwargs)).visit(kwargs, key, [key]);
    }
  }
  return finder?.found;
}

/** For transports without callbacks or iterables: a clear LIPArgumentError before anything is sent. */
export function refuseChannels(fn: string, args: unknown[], kwargs: Kwargs, why: string): void {
  const found = findChannels(args, kwargs);
  if (found === undefined) return;
  const where = found.specs.map(([, kind, path]) => `${slotLabel(path)} (${kind === ChannelKind.Callback ? 'a function' : 'an async iterable'})`).join(', ');
  throw new LIPArgumentError(`'${fn}': ${where}: callbacks and iterables as arguments need ${why}`);
}
