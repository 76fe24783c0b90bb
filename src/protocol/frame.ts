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
 * Push parser: `write(chunk)` as bytes arrive, then `next()` for each whole frame
 * body (`push(chunk)` does both). Whole frames inside a chunk are sliced, never
 * copied; a partial frame is kept until the rest arrives, at about the size of
 * what has arrived. A length over the limit is refused before anything is
 * allocated for it, and a length the owner can't afford now (`admit` says no)
 * waits: `next()` takes nothing more until `admitted()`.
 */
export class FrameDecoder {
  readonly maxFrameBytes: number;
  private readonly admit: ((bodyBytes: number) => boolean) | undefined;
  // Bytes written and not yet looked at: chunks in order, the first read from `offset`.
  private input: Buffer[] = [];
  private offset = 0;
  private inputBytes = 0;
  // An incomplete header.
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerBytes = 0;
  // Body length of the frame being assembled, or -1 while its header is incomplete.
  private expected = -1;
  private waiting = false;
  // The partial body, copied in as it arrives (each read's buffer is free at once; keeping reads by
  // reference made a byte trickled per read cost an object and an allocation per byte). One buffer
  // of the frame's final size, taken at its first byte and handed out whole: no growing, no copy
  // out. Its memory is only the pages written so far (the system maps pages as they are touched),
  // so a trickled frame costs about what has arrived; the budget counts it at its announced size.
  private body: Buffer | undefined;
  private received = 0;

  constructor(maxFrameBytes = DEFAULT_MAX_FRAME_BYTES, admit?: (bodyBytes: number) => boolean) {
    this.maxFrameBytes = maxFrameBytes;
    this.admit = admit;
  }

  /** Bytes held for incomplete frames (headers included) and written but not yet taken. */
  get pendingBytes(): number {
    return this.headerBytes + (this.expected >= 0 ? HEADER_BYTES : 0) + this.received + this.inputBytes;
  }

  /** Whether bytes written are still to be looked at (`next()` may have more to give). */
  get hasInput(): boolean {
    return this.inputBytes > 0;
  }

  /** `admit` refused the next frame: nothing more comes out until `admitted()`. */
  get blocked(): boolean {
    return this.waiting;
  }

  /** Body length of the frame `admit` refused (0 when not blocked). */
  get blockedBytes(): number {
    return this.waiting ? this.expected : 0;
  }

  /** Returns every frame body completed by this chunk, in order (for owners that take all frames at once). */
  push(chunk: Buffer): Buffer[] {
    this.write(chunk);
    const frames: Buffer[] = [];
    for (let body = this.next(); body !== undefined; body = this.next()) frames.push(body);
    return frames;
  }

  /** Adds bytes read from the peer. Nothing is parsed until `next()`. */
  write(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.input.push(chunk);
    this.inputBytes += chunk.length;
  }

  /** The owner can now afford the frame `admit` refused. */
  admitted(): void {
    this.waiting = false;
  }

  /** Body length of the next frame if its header has arrived (without taking anything), else -1. */
  nextLength(): number {
    if (this.expected >= 0) return this.expected;
    if (this.headerBytes > 0 || this.input.length === 0) return -1;
    const chunk = this.input[0]!;
    return chunk.length - this.offset >= HEADER_BYTES ? chunk.readUInt32BE(this.offset) : -1;
  }

  /** Whether at least two whole frames are waiting in the written bytes (without taking them). */
  severalReady(): boolean {
    if (this.waiting || this.input.length !== 1 || this.expected >= 0 || this.headerBytes > 0) return false;
    const chunk = this.input[0]!;
    let at = this.offset;
    for (let n = 0; n < 2; n++) {
      if (chunk.length - at < HEADER_BYTES) return false;
      at += HEADER_BYTES + chunk.readUInt32BE(at);
      if (at > chunk.length) return false;
    }
    return true;
  }

  /** The next whole frame body, or undefined when more bytes are needed (or `admit` refused it). Throws on a length over the limit. */
  next(): Buffer | undefined {
    if (this.waiting) return undefined;
    if (this.expected < 0 && !this.readHeader()) return undefined;
    if (this.waiting) return undefined;
    const need = this.expected - this.received;
    if (this.received === 0 && this.input.length > 0 && this.input[0]!.length - this.offset >= need) {
      // Fast path: the whole body is inside the current chunk.
      const chunk = this.input[0]!;
      const body = chunk.subarray(this.offset, this.offset + need);
      this.advance(need);
      this.expected = -1;
      return body;
    }
    while (this.received < this.expected && this.input.length > 0) {
      const chunk = this.input[0]!;
      const take = Math.min(this.expected - this.received, chunk.length - this.offset);
      this.keep(chunk.subarray(this.offset, this.offset + take));
      this.advance(take);
    }
    if (this.received < this.expected) return undefined;
    return this.completeBody();
  }

  /** Drops everything held (the connection is gone). */
  clear(): void {
    this.input = [];
    this.offset = 0;
    this.inputBytes = 0;
    this.headerBytes = 0;
    this.expected = -1;
    this.waiting = false;
    this.dropBody();
  }

  /** Reads the 4-byte length (it may arrive split); false when more bytes are needed. */
  private readHeader(): boolean {
    let length: number;
    if (this.headerBytes === 0 && this.input.length > 0 && this.input[0]!.length - this.offset >= HEADER_BYTES) {
      length = this.input[0]!.readUInt32BE(this.offset);
      this.advance(HEADER_BYTES);
    } else {
      while (this.headerBytes < HEADER_BYTES && this.input.length > 0) {
        this.header[this.headerBytes++] = this.input[0]![this.offset]!;
        this.advance(1);
      }
      if (this.headerBytes < HEADER_BYTES) return false;
      this.headerBytes = 0;
      length = this.header.readUInt32BE(0);
    }
    this.checkLength(length);
    this.expected = length;
    if (this.admit && !this.admit(length)) this.waiting = true;
    return true;
  }

  private advance(bytes: number): void {
    this.offset += bytes;
    this.inputBytes -= bytes;
    if (this.offset === this.input[0]!.length) {
      this.input.shift();
      this.offset = 0;
    }
  }

  /** Copies a piece of the partial body in. */
  private keep(piece: Buffer): void {
    this.body ??= Buffer.allocUnsafe(this.expected);
    this.body.set(piece, this.received);
    this.received += piece.length;
  }

  private completeBody(): Buffer {
    const body = this.body ?? Buffer.alloc(0);
    this.dropBody();
    this.expected = -1;
    return body;
  }

  private dropBody(): void {
    this.body = undefined;
    this.received = 0;
  }

  private checkLength(length: number): void {
    if (length > this.maxFrameBytes) {
      throw new LIPProtocolError(`frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes} bytes (the maxFrameBytes option)`, {
        code: ErrorCode.FrameTooLarge,
      });
    }
  }
}
