/**
 * Command-line arguments of `lip call`: each one is JSON when it parses as
 * JSON, else the string as typed, so `lip call add 2 3` sends numbers and
 * `lip call greet world` sends a string without shell-quoting gymnastics.
 */
import { usageError } from './exit-codes.js';
import { fromJsonValue } from './json-value.js';

export function parseArgValue(text: string): unknown {
  try {
    return fromJsonValue(JSON.parse(text));
  } catch {
    return text;
  }
}

/** `key=value` pairs (from repeated `--kw`) into a kwargs object. */
export function parseKeywords(pairs: readonly string[]): Record<string, unknown> {
  const kwargs: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw usageError(`--kw expects key=value, got ${JSON.stringify(pair)}`);
    const key = pair.slice(0, eq);
    if (key === '__proto__') throw usageError('--kw: __proto__ is not a usable keyword');
    kwargs[key] = parseArgValue(pair.slice(eq + 1));
  }
  return kwargs;
}

/** `--args '<json array>'`: the whole positional list at once, followed by any positional words. */
export function parseArgsOption(json: string | undefined, positional: readonly string[]): unknown[] {
  const words = positional.map(parseArgValue);
  if (json === undefined) return words;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw usageError(`--args is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw usageError('--args must be a JSON array, e.g. --args \'[1, "two"]\'');
  return [...(fromJsonValue(parsed) as unknown[]), ...words];
}
