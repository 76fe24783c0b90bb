/**
 * JSON on the command line and on stdout: how call results become JSON, and
 * how command-line JSON becomes argument values (`{"$binary": ...}` as bytes,
 * integers beyond 2^53 as bigint). The mapping is documented in docs/CLI.md.
 */

/**
 * A JSON-safe copy of a decoded value: bytes → `{"$binary": base64}`, other
 * typed arrays → arrays, bigint → decimal string, Date → ISO string, Map →
 * `{"$map": [[k, v], ...]}`, Set → array, undefined → null, NaN and ±Infinity
 * → their names as strings, Error → `{"name", "message", its fields, "cause"?,
 * "errors"?}`, RegExp → its literal as a string (`"/a+/gi"`).
 */
export function toJsonValue(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'string':
    case 'boolean':
      return value;
    case 'object':
      break;
    default:
      return String(value);
  }
  if (value instanceof Uint8Array) return { $binary: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (value instanceof DataView) return { $binary: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (value instanceof ArrayBuffer) return { $binary: Buffer.from(value).toString('base64') };
  // Float64Array, Int32Array, BigInt64Array...: the numbers they hold.
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<unknown>, toJsonValue);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof RegExp) return String(value);
  if (value instanceof Error) return errorJson(value);
  if (value instanceof Map) return { $map: [...value].map(([k, v]) => [toJsonValue(k), toJsonValue(v)]) };
  if (value instanceof Set) return [...value].map(toJsonValue);
  if (Array.isArray(value)) return value.map(toJsonValue);
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) defineEntry(copy, key, toJsonValue(item));
  return copy;
}

/** An Error's name and message (own or inherited, not enumerable) first, then its own fields; no stack: a value is data. */
function errorJson(error: Error): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  defineEntry(copy, 'name', String(error.name));
  defineEntry(copy, 'message', String(error.message));
  for (const [key, item] of Object.entries(error)) if (key !== 'stack') defineEntry(copy, key, toJsonValue(item));
  if ('cause' in error && error.cause !== undefined) defineEntry(copy, 'cause', toJsonValue(error.cause));
  if (error instanceof AggregateError) defineEntry(copy, 'errors', toJsonValue(error.errors));
  return copy;
}

/** The result as printed by `lip call`: pretty JSON on a terminal, one line in a pipe. */
export function formatJson(value: unknown, pretty: boolean): string {
  return JSON.stringify(toJsonValue(value), null, pretty ? 2 : undefined);
}

const MAX_DEPTH = 1000;
const WHITESPACE = /[ \t\n\r]*/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON forbids raw control characters in strings
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

/**
 * JSON.parse for the command line: an integer beyond 2^53 becomes a bigint
 * (JSON.parse would round it), `{"$binary": "<base64>"}` becomes bytes, and a
 * `__proto__` key is an ordinary key. Throws SyntaxError like JSON.parse.
 */
export function parseJson(text: string): unknown {
  const parser = new JsonParser(text);
  const value = parser.value(0);
  parser.end();
  return value;
}

class JsonParser {
  private at = 0;

  constructor(private readonly text: string) {}

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new SyntaxError(`JSON nested deeper than ${MAX_DEPTH} levels`);
    this.skipSpace();
    const c = this.text[this.at];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return value;
      }
    }
    return this.number();
  }

  end(): void {
    this.skipSpace();
    if (this.at < this.text.length) this.fail('unexpected text after the JSON value');
  }

  private object(depth: number): unknown {
    this.at++; // {
    const entries: [string, unknown][] = [];
    this.skipSpace();
    if (this.text[this.at] === '}') this.at++;
    else {
      for (;;) {
        this.skipSpace();
        if (this.text[this.at] !== '"') this.fail('expected a string key');
        const key = this.string();
        this.skipSpace();
        this.expect(':');
        entries.push([key, this.value(depth + 1)]);
        this.skipSpace();
        if (this.text[this.at] === ',') this.at++;
        else if (this.text[this.at] === '}') {
          this.at++;
          break;
        } else this.fail("expected ',' or '}'");
      }
    }
    if (entries.length === 1 && entries[0]![0] === '$binary' && typeof entries[0]![1] === 'string') return Buffer.from(entries[0]![1], 'base64');
    const object: Record<string, unknown> = {};
    for (const [key, item] of entries) defineEntry(object, key, item);
    return object;
  }

  private array(depth: number): unknown[] {
    this.at++; // [
    const items: unknown[] = [];
    this.skipSpace();
    if (this.text[this.at] === ']') {
      this.at++;
      return items;
    }
    for (;;) {
      items.push(this.value(depth + 1));
      this.skipSpace();
      if (this.text[this.at] === ',') this.at++;
      else if (this.text[this.at] === ']') {
        this.at++;
        return items;
      } else this.fail("expected ',' or ']'");
    }
  }

  private string(): string {
    const token = this.match(STRING, 'a string');
    // JSON.parse does the unescaping of one string token exactly as it would in a document.
    return JSON.parse(token) as string;
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (!match) this.fail('expected a JSON value');
    this.at = NUMBER.lastIndex;
    const token = match[0];
    const n = Number(token);
    if (match[1] === undefined && match[2] === undefined && !Number.isSafeInteger(n)) return BigInt(token);
    return n;
  }

  private match(pattern: RegExp, what: string): string {
    pattern.lastIndex = this.at;
    const match = pattern.exec(this.text);
    if (!match) this.fail(`expected ${what}`);
    this.at = pattern.lastIndex;
    return match[0];
  }

  private expect(char: string): void {
    if (this.text[this.at] !== char) this.fail(`expected '${char}'`);
    this.at++;
  }

  private skipSpace(): void {
    WHITESPACE.lastIndex = this.at;
    WHITESPACE.exec(this.text);
    this.at = WHITESPACE.lastIndex;
  }

  private fail(what: string): never {
    throw new SyntaxError(`${what} at position ${this.at}`);
  }
}

/** Sets an own enumerable property, even `__proto__` (an assignment would set the prototype instead). */
function defineEntry(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}
