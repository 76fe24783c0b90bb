/**
 * How call results become JSON on stdout, and how `{"$binary": ...}` on the
 * command line becomes bytes. The mapping is documented in docs/CLI.md.
 */

/**
 * A JSON-safe copy of a decoded value: bytes → `{"$binary": base64}`, bigint →
 * decimal string, Date → ISO string, Map → `{"$map": [[k, v], ...]}`, Set →
 * array, undefined → null, NaN and ±Infinity → their names as strings.
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
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Map) return { $map: [...value].map(([k, v]) => [toJsonValue(k), toJsonValue(v)]) };
  if (value instanceof Set) return [...value].map(toJsonValue);
  if (Array.isArray(value)) return value.map(toJsonValue);
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = toJsonValue(item);
  return copy;
}

/** The result as printed by `lip call`: pretty JSON on a terminal, one line in a pipe. */
export function formatJson(value: unknown, pretty: boolean): string {
  return JSON.stringify(toJsonValue(value), null, pretty ? 2 : undefined);
}

/** Turns `{"$binary": "<base64>"}` objects in parsed command-line JSON back into Buffers. */
export function fromJsonValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJsonValue);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (entries.length === 1 && entries[0]![0] === '$binary' && typeof entries[0]![1] === 'string') {
    return Buffer.from(entries[0]![1], 'base64');
  }
  const copy: Record<string, unknown> = {};
  for (const [key, item] of entries) copy[key] = fromJsonValue(item);
  return copy;
}
