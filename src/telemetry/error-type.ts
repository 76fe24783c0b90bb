/**
 * `error.type` and the status code of a failed call: low cardinality, as the
 * conventions ask. The library's own errors give their stable ERR_LIP_* code;
 * a function's own error gives its class name (`TypeError`, `RangeError`…).
 */
import { ErrorCode } from '../errors.js';

/** The fallback the conventions define when nothing better is known. */
export const OTHER_ERROR = '_OTHER';

/** The longest class name reported; longer ones are generated names, not a class. */
const MAX_NAME = 64;

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/**
 * `code` when it is one of the code table's, else undefined: a made-up `ERR_LIP_…`
 * (a function's own error, a hostile peer's stats) must not grow a label set without bound.
 */
export function knownErrorCode(code: unknown): ErrorCode | undefined {
  return typeof code === 'string' && KNOWN_CODES.has(code) ? (code as ErrorCode) : undefined;
}

/** `error[key]`, or undefined when reading it throws (a Proxy's trap, a getter): what was thrown can be anything. */
export function fieldOf(error: unknown, key: string): unknown {
  if (error === null || (typeof error !== 'object' && typeof error !== 'function')) return undefined;
  try {
    return (error as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

export function errorType(error: unknown): string {
  if (error === null || typeof error !== 'object') return OTHER_ERROR;
  const code = fieldOf(error, 'code');
  const name = fieldOf(error, 'name');
  const known = knownErrorCode(code);
  if (known) return known;
  if (typeof name === 'string' && name.length > 0 && name.length <= MAX_NAME) return name;
  return OTHER_ERROR;
}

/** `rpc.status_code` of a failed call: the library's code, else a remote function's own failure. */
export function errorStatusCode(error: unknown): string {
  return knownErrorCode(fieldOf(error, 'code')) ?? ErrorCode.Remote;
}
