/**
 * The Python original's messages and values: one CBOR map per request and per
 * reply, no framing. Values are adjusted at this edge so that Python's cbor2
 * reads them as the obvious Python types (docs/PROTOCOL.md has the tables).
 */
import { Encoder } from 'cbor-x';
import { LIPArgumentError, LIPProtocolError } from '../errors.js';
import { decodeValue } from '../protocol/codec.js';
import { prepareForWire } from '../protocol/prepare.js';
import { writesErrorFields } from '../protocol/value-tags.js';

/** `{"args": [...], "kwargs": {...}}` or `{"type": "docstring"}`, as the original's client sends them. */
export type OneShotRequest = { kind: 'call'; args: unknown[]; kwargs: Record<string, unknown> | null } | { kind: 'docstring' };

/** `{"result": value}` or `{"error": "message"}`. */
export type OneShotReply = { result: unknown } | { error: string };

// Separate from the native codec: plain maps for Map (cbor2 has no tag 259) and
// minimal map headers, byte for byte what cbor2 itself writes for our replies.
// (`useTag259ForMaps` is honoured by cbor-x but missing from its typings.)
const encoderOptions = {
  useRecords: false,
  tagUint8Array: false,
  mapsAsObjects: true,
  useTag259ForMaps: false,
  variableMapSize: true,
};
const encoder = new Encoder(encoderOptions);
writesErrorFields(encoder);

/**
 * Encodes a request or reply map for a Python peer, adjusted for cbor2 (see
 * prepareForWire's `python`). Throws a LIPProtocolError naming the path of a
 * value that can't be carried (`args[0].when: an invalid Date can't be sent to Python`).
 */
export function encodeOneShot(message: Record<string, unknown>): Buffer {
  const prepared = prepareForWire(message, { python: true });
  try {
    return encoder.encode(prepared);
  } catch (cause) {
    throw new LIPProtocolError(`value cannot be encoded as CBOR: ${(cause as Error).message}`, { cause });
  }
}

/** Decodes one request or reply map from a Python peer: the same values as native frames decode to. */
export function decodeOneShot(bytes: Uint8Array): unknown {
  return decodeValue(bytes);
}

export function encodeCallRequest(args: readonly unknown[], kwargs: Record<string, unknown> | null): Buffer {
  // Both keys, in this order, always: what the original's client sends.
  return encodeOneShot({ args, kwargs: kwargs ?? {} });
}

export const DOCSTRING_REQUEST: Buffer = encodeOneShot({ type: 'docstring' });

/** Reads a decoded request map; a request that is not one is a LIPProtocolError. */
export function parseRequest(raw: unknown): OneShotRequest {
  if (!isPlainMap(raw)) throw new LIPProtocolError('a one-shot request must be a CBOR map');
  if (raw.type === 'docstring') return { kind: 'docstring' };
  // Any other `type`, or none, is a call: the original reads it that way.
  const args = raw.args ?? [];
  const kwargs = raw.kwargs ?? null;
  if (!Array.isArray(args)) throw new LIPArgumentError(`args must be a list, got ${describe(args)}`);
  if (kwargs !== null && !isPlainMap(kwargs)) throw new LIPArgumentError(`kwargs must be a map, got ${describe(kwargs)}`);
  return { kind: 'call', args, kwargs: kwargs !== null && Object.keys(kwargs).length > 0 ? kwargs : null };
}

/** Reads a decoded reply map. */
export function parseReply(raw: unknown): OneShotReply {
  if (isPlainMap(raw)) {
    if ('error' in raw) return { error: typeof raw.error === 'string' ? raw.error : String(raw.error) };
    if ('result' in raw) return { result: raw.result };
  }
  throw new LIPProtocolError(`a one-shot reply must be a map with "result" or "error", got ${describe(raw)}`);
}

/**
 * What `str(exception)` would be for this error in the original: just the
 * message, with argument errors worded exactly as Python's inspect.Signature.bind words them.
 */
export function pythonErrorMessage(error: unknown): string {
  if (!(error instanceof Error)) return typeof error === 'string' ? error : String(error);
  if (!(error instanceof LIPArgumentError) || error.issues) return error.message;
  const message = error.message;
  if (message.startsWith('too many positional arguments')) return 'too many positional arguments';
  // Python names only the first missing parameter.
  const missing = /^missing \d+ required arguments: '([^']*)'/.exec(message);
  if (missing) return `missing a required argument: '${missing[1]}'`;
  const unexpected = /^got an unexpected keyword argument '([^']*)'/.exec(message);
  if (unexpected) return `got an unexpected keyword argument '${unexpected[1]}'`;
  // A rest parameter (*args) given by name: Python reports the name as unexpected.
  const rest = /^'([^']*)' is a rest parameter/.exec(message);
  if (rest) return `got an unexpected keyword argument '${rest[1]}'`;
  return message;
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (Buffer.isBuffer(value)) return 'bytes';
  return typeof value;
}
