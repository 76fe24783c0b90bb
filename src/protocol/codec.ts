/**
 * The one CBOR codec both ends use. Plain RFC 8949 output (no cbor-x records,
 * no typed-array tags) so any decoder, Python's cbor2 included, can read it.
 */
import { Encoder } from 'cbor-x';
import { LIPProtocolError } from '../errors.js';

// One reused instance: cbor-x keeps its scratch buffer between calls, which is
// measurably faster than a fresh encoder per message.
const codec = new Encoder({
  useRecords: false,
  tagUint8Array: false,
  mapsAsObjects: true,
  // Dates travel as tag 1 (epoch seconds, float), which cbor2 reads as datetime.
});

/** Encodes a value to CBOR. Throws a LIPProtocolError for values CBOR cannot carry. */
export function encodeValue(value: unknown): Buffer {
  try {
    return codec.encode(value);
  } catch (cause) {
    throw new LIPProtocolError(`value cannot be encoded as CBOR: ${(cause as Error).message}`, { cause });
  }
}

/** Decodes exactly one CBOR item. Throws a LIPProtocolError on malformed input. */
export function decodeValue(bytes: Uint8Array): unknown {
  try {
    return codec.decode(bytes);
  } catch (cause) {
    throw new LIPProtocolError(`malformed CBOR: ${(cause as Error).message}`, { cause });
  }
}
