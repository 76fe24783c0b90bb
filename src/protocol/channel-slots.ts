/**
 * Where a Call's callbacks and iterables sit in its arguments (the `channels` option): checking the
 * entries a client sent, and reading or writing the slot a path names. Pure: both ends use it.
 */
import { LIPArgumentError, LIPProtocolError } from '../errors.js';
import { ChannelKind, isRequestId, type ChannelPath, type ChannelSpec } from './messages.js';

type Kwargs = Record<string, unknown> | null;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** How a path reads in errors: `args[1]`, `kwargs.onProgress`, `args[0].onProgress`. */
export function slotLabel(path: ChannelPath): string {
  const head = typeof path[0] === 'number' ? `args[${path[0]}]` : `kwargs.${path[0]}`;
  return path.length === 2 ? `${head}.${path[1]}` : head;
}

/** The object holding the slot and its key there, or undefined when the path leads nowhere. */
function container(args: unknown[], kwargs: Kwargs, path: ChannelPath): [Record<string | number, unknown>, string | number] | undefined {
  const [first, second] = path;
  let holder: Record<string | number, unknown> | undefined;
  let key: string | number = first;
  if (typeof first === 'number') {
    if (first >= args.length) return undefined;
    holder = args as unknown as Record<number, unknown>;
  } else {
    if (kwargs === null || !Object.hasOwn(kwargs, first)) return undefined;
    holder = kwargs;
  }
  if (second === undefined) return [holder, key];
  const inner = holder[key];
  if (!isPlainObject(inner) || !Object.hasOwn(inner, second)) return undefined;
  holder = inner;
  key = second;
  return [holder, key];
}

/** Puts `value` in the slot `path` names (checked by parseChannelSpecs). */
export function writeSlot(args: unknown[], kwargs: Kwargs, path: ChannelPath, value: unknown): void {
  const [holder, key] = container(args, kwargs, path)!;
  holder[key] = value;
}

/**
 * A callback in a `then` property would make its object a thenable on the server: a function that
 * returns or awaits the object would hand the callback its promise's resolve and reject, which can't be
 * sent, and wait for good. Refused at both ends.
 */
export function refuseThenableSlot(path: ChannelPath, kind: ChannelKind): void {
  if (kind === ChannelKind.Callback && path[1] === 'then') {
    throw new LIPArgumentError(
      `${slotLabel(path)}: a callback can't be named 'then': it would make its object a thenable, which await calls (pass it under another name)`,
    );
  }
}

function isPath(value: unknown): value is ChannelPath {
  if (!Array.isArray(value) || value.length < 1 || value.length > 2) return false;
  const [first, second] = value;
  const firstOk = (typeof first === 'number' && Number.isInteger(first) && first >= 0) || typeof first === 'string';
  return firstOk && (value.length === 1 || typeof second === 'string');
}

/**
 * Checks a Call's `channels` option against its arguments: at most `max` entries, ids unique and
 * 1..2^32-1, a known kind, a path to an existing slot holding null, no slot twice. Throws
 * LIPProtocolError for a malformed option and LIPArgumentError for too many entries.
 */
export function parseChannelSpecs(value: unknown, args: unknown[], kwargs: Kwargs, max: number): ChannelSpec[] {
  if (!Array.isArray(value)) throw new LIPProtocolError('invalid call options: channels must be an array of [channel, kind, path]');
  if (value.length > max) {
    throw new LIPArgumentError(`${value.length} callbacks and iterables in one call; this server takes at most ${max} (its maxArgumentChannels option)`);
  }
  const ids = new Set<number>();
  const slots = new Set<string>();
  const specs: ChannelSpec[] = [];
  for (const entry of value) {
    if (!Array.isArray(entry) || entry.length !== 3) throw new LIPProtocolError('invalid call options: a channel entry must be [channel, kind, path]');
    const [id, kind, path] = entry as unknown[];
    if (!isRequestId(id) || ids.has(id)) throw new LIPProtocolError('invalid call options: channel ids must be distinct integers from 1 to 2^32-1');
    if (kind !== ChannelKind.Callback && kind !== ChannelKind.Iterable)
      throw new LIPProtocolError(`invalid call options: unknown channel kind ${String(kind)}`);
    if (!isPath(path)) throw new LIPProtocolError('invalid call options: a channel path must be [index or key] or [index or key, property]');
    refuseThenableSlot(path, kind);
    const label = slotLabel(path);
    const at = container(args, kwargs, path);
    if (at === undefined || at[0][at[1]] !== null || slots.has(label)) {
      throw new LIPProtocolError(`invalid call options: channel ${id} names ${label}, which is not a null argument slot of its own`);
    }
    ids.add(id);
    slots.add(label);
    specs.push([id, kind, path]);
  }
  return specs;
}
