/**
 * A tiny CBOR writer that can spell what cbor-x won't encode (raw tags, absurd
 * lengths, deep nesting), and raw frames around it, for tests that send bytes
 * no client would.
 */

/** The header of a CBOR item: major type and argument, in the shortest form (or the one asked). */
export function head(major: number, arg: number | bigint, size?: 0 | 1 | 2 | 4 | 8): Buffer {
  const n = BigInt(arg);
  const width = size ?? (n < 24n ? 0 : n < 0x100n ? 1 : n < 0x10000n ? 2 : n < 0x100000000n ? 4 : 8);
  const out = Buffer.alloc(1 + width);
  out[0] = (major << 5) | (width === 0 ? Number(n) : width === 1 ? 24 : width === 2 ? 25 : width === 4 ? 26 : 27);
  if (width === 1) out[1] = Number(n);
  if (width === 2) out.writeUInt16BE(Number(n), 1);
  if (width === 4) out.writeUInt32BE(Number(n), 1);
  if (width === 8) out.writeBigUInt64BE(n, 1);
  return out;
}

export const cbor = {
  uint: (n: number | bigint) => head(0, n),
  text: (s: string) => {
    const bytes = Buffer.from(s);
    return Buffer.concat([head(3, bytes.length), bytes]);
  },
  bytes: (b: Buffer) => Buffer.concat([head(2, b.length), b]),
  array: (items: Buffer[]) => Buffer.concat([head(4, items.length), ...items]),
  map: (pairs: [Buffer, Buffer][]) => Buffer.concat([head(5, pairs.length), ...pairs.flat()]),
  tag: (tag: number | bigint, inner: Buffer) => Buffer.concat([head(6, tag), inner]),
  null: Buffer.from([0xf6]),
};

/** A Call frame body whose args are raw CBOR: `[1, id, fn, [arg...], null, null]`. */
export function rawCall(id: number, fn: string, args: Buffer[]): Buffer {
  return cbor.array([cbor.uint(1), cbor.uint(id), cbor.text(fn), cbor.array(args), cbor.null, cbor.null]);
}

/** Frames a raw body. */
export function frame(body: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}
