/**
 * Framing: every message is a 4-byte big-endian length followed by that many
 * bytes of CBOR. A connection opened by a native client starts with the
 * 4-byte preamble "LIP" + version, which can never be the first byte of a
 * bare CBOR map, so one socket can also answer the Python original.
 */
import { ErrorCode, LIPProtocolError } from '../errors.js';

export const PROTOCOL_VERSION = 1;
/** "LIP" then the protocol version. 0x4c is a CBOR byte string, never a map. */
export const PREAMBLE = Buffer.from([0x4c, 0x49, 0x50, PROTOCOL_VERSION]);
/**
 * The other way to open a native connection, for a client that does not yet know which server
 * listens: the CBOR map `{"type": "docstring", "lip": 1}`. The Python original reads it as a
 * docstring request and answers it (a CBOR map) without logging an error; a lipmodule server
 * takes it as the preamble and answers with its Hello frame (first byte 0x00).
 */
export const PROBE_PREAMBLE = Buffer.from('a2647479706569646f63737472696e6763' + '6c6970' + '01', 'hex');
export const HEADER_BYTES = 4;
/** Default largest frame body either side accepts: 16 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Prefixes a CBOR body with its length. Small frames are one buffer, one write. */
export function frameHeader(bodyLength: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32BE(bodyLength, 0);
  return header;
}

/** Header and body copied into one buffer: cheaper than two writes for small bodies. */
export function joinFrame(body: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.set(body, HEADER_BYTES);
  return frame;
}

/** Frames `from`..`to` (exclusive) of `bodies`, `bytes` long in all with headers, copied into one buffer. */
export function joinFrames(bodies: readonly Uint8Array[], from: number, to: number, bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let offset = 0;
  for (let i = from; i < to; i++) {
    const body = bodies[i]!;
    out.writeUInt32BE(body.length, offset);
    out.set(body, offset + HEADER_BYTES);
    offset += HEADER_BYTES + body.length;
  }
  return out;
}

/**
 * Push parser: feed it chunks as they arrive, get back whole frame bodies.
 * A partial frame is kept until the rest arrives; a length over the limit is
 * refused before anything is allocated for it.
 */
export class FrameDecoder {
  readonly maxFrameBytes: number;
  // Bytes of an unfinished header or body, in arrival order.
  private parts: Buffer[] = [];
  private buffered = 0;
  // Body length of the frame being assembled, or -1 while its header is incomplete.
  private expected = -1;

  constructor(maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes held for an incomplete frame (its header included). */
  get pendingBytes(): number {
    return this.expected >= 0 ? this.buffered + HEADER_BYTES : this.buffered;
  }

  /** Returns every frame body completed by this chunk, in order. */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let offset = 0;
    if (this.buffered > 0 || this.expected >= 0) {
      offset = this.continuePartial(chunk, frames);
      if (offset < 0) return frames;
    }
    // Fast path: whole frames inside this chunk are sliced, never copied.
    while (chunk.length - offset >= HEADER_BYTES) {
      const length = chunk.readUInt32BE(offset);
      this.checkLength(length);
      const end = offset + HEADER_BYTES + length;
      if (end > chunk.length) break;
      frames.push(chunk.subarray(offset + HEADER_BYTES, end));
      offset = end;
    }
    if (offset < chunk.length) this.hold(chunk.subarray(offset));
    return frames;
  }

  /** Completes the held partial frame with the front of `chunk`; returns where the rest starts, or -1 if it is all used. */
  private continuePartial(chunk: Buffer, frames: Buffer[]): number {
    let offset = 0;
    if (this.expected < 0) {
      const missing = HEADER_BYTES - this.buffered;
      if (chunk.length < missing) {
        this.hold(chunk);
        return -1;
      }
      const header = Buffer.concat([...this.parts, chunk.subarray(0, missing)], HEADER_BYTES);
      this.expected = header.readUInt32BE(0);
      this.checkLength(this.expected);
      this.parts = [];
      this.buffered = 0;
      offset = missing;
    }
    const need = this.expected - this.buffered;
    if (chunk.length - offset < need) {
      this.parts.push(chunk.subarray(offset));
      this.buffered += chunk.length - offset;
      return -1;
    }
    // One allocation of the exact size, one copy of each part.
    const body = Buffer.concat([...this.parts, chunk.subarray(offset, offset + need)], this.expected);
    frames.push(body);
    this.parts = [];
    this.buffered = 0;
    this.expected = -1;
    return offset + need;
  }

  private hold(rest: Buffer): void {
    this.parts.push(rest);
    this.buffered += rest.length;
    if (this.expected < 0 && this.buffered >= HEADER_BYTES) {
      // The header is complete inside the held parts (only when called from the fast path with >= 4 bytes).
      const all = Buffer.concat(this.parts, this.buffered);
      this.expected = all.readUInt32BE(0);
      this.checkLength(this.expected);
      const body = all.subarray(HEADER_BYTES);
      this.parts = body.length > 0 ? [body] : [];
      this.buffered = body.length;
    }
  }

  private checkLength(length: number): void {
    if (length > this.maxFrameBytes) {
      throw new LIPProtocolError(
        `frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes} bytes (the maxFrameBytes option)`,
        { code: ErrorCode.FrameTooLarge },
      );
    }
  }
}
