/**
 * Knows when one whole CBOR data item has arrived, without decoding it. The
 * Python original's messages carry no length prefix, so the only honest end of
 * a request is the end of its CBOR item (the original guessed from a short read,
 * which truncates large messages and deadlocks on multiples of 1024 bytes).
 */
import { ErrorCode, LIPProtocolError } from '../errors.js';

// Deeper nesting than any real request; refusing it bounds the scanner's stack.
const MAX_DEPTH = 10_000;
const INDEFINITE = -1;

/**
 * Push reader for one CBOR item: `push(chunk)` returns the item's bytes once
 * complete (bytes after it are ignored, as the original does), else undefined.
 * Scanning resumes where it stopped, so a large item costs one pass over its
 * headers however it is split; string bodies are skipped, never looked at.
 */
export class CborItemReader {
  readonly maxBytes: number;
  private buffer: Buffer = Buffer.alloc(0);
  private length = 0;
  private pos = 0;
  // Items still expected by each open container (a map counts keys and values); -1 = indefinite.
  private readonly open: number[] = [];
  private done = false;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** Bytes received so far. */
  get received(): number {
    return this.length;
  }

  /** Adds `chunk`; returns the whole item once it is complete. Throws LIPProtocolError on malformed or oversized input. */
  push(chunk: Uint8Array): Buffer | undefined {
    if (this.done) throw new Error('CborItemReader: the item is already complete');
    this.append(chunk);
    const end = this.scan();
    if (end < 0) {
      if (this.length > this.maxBytes) throw tooLarge(this.length, this.maxBytes);
      return undefined;
    }
    if (end > this.maxBytes) throw tooLarge(end, this.maxBytes);
    this.done = true;
    return this.buffer.subarray(0, end);
  }

  /** Lets go of the bytes once the item has been decoded (values decoded from it may still view them). */
  discard(): void {
    this.buffer = Buffer.alloc(0);
    this.length = 0;
  }

  private append(chunk: Uint8Array): void {
    const needed = this.length + chunk.length;
    if (needed > this.buffer.length) {
      // Doubling keeps the copying linear in the request size.
      const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2, 4096));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.buffer.set(chunk, this.length);
    this.length = needed;
  }

  /** Advances over whole headers (and string bodies); returns the item's end, or -1 if more is needed. */
  private scan(): number {
    const bytes = this.buffer;
    while (this.pos < this.length) {
      const start = this.pos;
      const initial = bytes[start]!;
      const major = initial >> 5;
      const info = initial & 0x1f;
      let headerBytes: number;
      if (info < 24) headerBytes = 1;
      else if (info === 24) headerBytes = 2;
      else if (info === 25) headerBytes = 3;
      else if (info === 26) headerBytes = 5;
      else if (info === 27) headerBytes = 9;
      else if (info === 31) headerBytes = 1;
      else throw malformed(`reserved additional information ${info} at byte ${start}`);
      if (start + headerBytes > this.length) return -1;
      const argument = info < 24 ? info : info === 31 ? INDEFINITE : readArgument(bytes, start + 1, headerBytes - 1);

      let next = start + headerBytes;
      let completed = false;
      switch (major) {
        case 0:
        case 1:
          if (info === 31) throw malformed(`indefinite length on an integer at byte ${start}`);
          completed = true;
          break;
        case 2:
        case 3:
          if (argument === INDEFINITE) {
            this.enter(INDEFINITE);
            break;
          }
          next += argument;
          // A declared length over the limit is refused before waiting for (or holding) its bytes.
          if (next > this.maxBytes) throw tooLarge(next, this.maxBytes);
          if (next > this.length) return -1;
          completed = true;
          break;
        case 4:
        case 5:
          if (argument === INDEFINITE) this.enter(INDEFINITE);
          else if (argument === 0) completed = true;
          else if (argument > this.maxBytes) throw tooLarge(argument, this.maxBytes);
          else this.enter(major === 5 ? argument * 2 : argument);
          break;
        case 6:
          // A tag wraps the next item: nothing completes here.
          if (info === 31) throw malformed(`indefinite length on a tag at byte ${start}`);
          break;
        default:
          if (info === 31) {
            if (this.open.at(-1) !== INDEFINITE) throw malformed(`unexpected break at byte ${start}`);
            this.open.pop();
          }
          completed = true;
      }
      this.pos = next;
      if (completed && this.closeItems()) return this.pos;
    }
    return -1;
  }

  private enter(count: number): void {
    if (this.open.length >= MAX_DEPTH) throw malformed(`nesting deeper than ${MAX_DEPTH}`);
    this.open.push(count);
  }

  /** One item finished: counts it in its container, closing containers it completes. True when the top-level item is done. */
  private closeItems(): boolean {
    for (;;) {
      const top = this.open.length - 1;
      if (top < 0) return true;
      if (this.open[top] === INDEFINITE) return false;
      if (--this.open[top]! > 0) return false;
      this.open.pop();
    }
  }
}

function readArgument(bytes: Buffer, offset: number, size: number): number {
  switch (size) {
    case 1:
      return bytes[offset]!;
    case 2:
      return bytes.readUInt16BE(offset);
    case 4:
      return bytes.readUInt32BE(offset);
    default: {
      const high = bytes.readUInt32BE(offset);
      // Lengths this large can't be honoured anyway; integers and floats don't use the value.
      return high * 0x1_0000_0000 + bytes.readUInt32BE(offset + 4);
    }
  }
}

function malformed(detail: string): LIPProtocolError {
  return new LIPProtocolError(`malformed CBOR: ${detail}`);
}

function tooLarge(size: number, max: number): LIPProtocolError {
  return new LIPProtocolError(`request of at least ${size} bytes exceeds the limit of ${max} bytes (the maxFrameBytes option)`, {
    code: ErrorCode.FrameTooLarge,
  });
}
