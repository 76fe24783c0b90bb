/**
 * A Channel over a connected stream socket: length-prefixed CBOR frames,
 * writes batched per tick when more than one frame is waiting.
 */
import type { Socket } from 'node:net';
import { ErrorCode, LIPProtocolError } from '../errors.js';
import { onNextTurn, sliceUsedUp } from '../event-loop-turn.js';
import type { DecodedSize } from '../protocol/cbor-check.js';
import { decodeValue, encodeMessage, readEnvelope, type Envelope } from '../protocol/codec.js';
import { FrameDecoder, frameHeader, HEADER_BYTES, joinFrame, joinFrames } from '../protocol/frame.js';
import type { EncodedMessage, WholeFrame } from '../protocol/left-out-binaries.js';
import type { Channel } from './channel.js';

// Frames (or bytes) gathered in one tick before they are written without waiting for the tick's end.
// 64, the usual window of calls in flight, goes out in one write: slices of 16 made 3.5 times the
// write syscalls per call at 64 in flight (strace, both sides: 0.14 against 0.04).
const BURST_SLICE = 64;
const BURST_BYTES = 256 * 1024;
// Bodies above this are written beside their header (writev) instead of copied behind it.
const COPY_LIMIT = 16 * 1024;

export interface SocketChannelOptions {
  maxFrameBytes?: number;
  /**
   * Largest frame `send` writes (client side: the peer would refuse a bigger one by closing the
   * connection, failing every call on it). A bigger message throws for its sender alone.
   */
  maxSendBytes?: number;
  /** The connection's part of its server's memory budget (server side; a client reads without one). */
  share?: FrameBudget;
}

/** What the channel tells its memory budget: frames reserved from their header on, replies not yet taken. */
export interface FrameBudget {
  /** What a frame of `bodyBytes` counts for. */
  costOf(bodyBytes: number): number;
  /** Reserves `bytes` for a frame if it may be read now; else false, and `granted` is called once it is reserved. */
  reserveFrame(bytes: number, granted: () => void): boolean;
  release(bytes: number): void;
  setBacklog(bytes: number): void;
  close(): void;
}

const DONE: IteratorResult<Buffer> = { value: undefined, done: true };
// A frame this small is taken on a turn even when the slice is used up (see oneFrameDue).
const FREE_FRAME_BYTES = 64 * 1024;
const NO_BODY = Buffer.alloc(0);

export class SocketChannel implements Channel {
  onMessage: (message: unknown) => void = () => {};
  onClose: (error?: Error) => void = () => {};

  private readonly socket: Socket;
  private readonly decoder: FrameDecoder;
  private readonly share: FrameBudget | undefined;
  private readonly maxSendBytes: number | undefined;
  // Reserved (at the frame's cost) for the frame being received, then for the frame being handled.
  private receivingBytes = 0;
  private frameBytes = 0;
  /** Body length of the frame being handled (its reservation may count it for more). */
  frameLength = 0;
  /** The memory the frame being handled decoded to, as estimated before decoding (up to ~100 times its length). */
  readonly decoded: DecodedSize = { bytes: 0 };
  // Waiting for the budget to make room for the next frame: the socket is paused.
  private blocked = false;
  // The event loop's slice for this turn is used up (event-loop-turn.ts): the frames left are
  // taken on the next turn (socket paused), so a read of thousands of calls, or many
  // connections finishing big frames at once, don't keep every other socket waiting.
  private deferred = false;
  // The first small frame of a read (or of a turn after waiting) is taken without asking about the
  // slice: a call a read brings alone costs no clock, and every waiting connection moves on each
  // turn, however many others wait with it.
  private oneFrameDue = false;
  // null: nothing written this tick; an array: frames waiting for the end-of-tick flush.
  private batch: Uint8Array[] | null = null;
  private batchBytes = 0;
  // The last flush carried more than one frame: several calls are in flight.
  private busy = false;
  // Part of this tick's frames already went out (see BURST_SLICE).
  private sliced = false;
  private closed = false;
  // Cleared after a framing error: the byte stream can't be trusted any more.
  private reading = true;
  private failure: Error | undefined;

  constructor(socket: Socket, options: SocketChannelOptions = {}) {
    this.socket = socket;
    this.share = options.share;
    this.decoder = new FrameDecoder(options.maxFrameBytes, this.share ? this.admitFrame : undefined);
    this.maxSendBytes = options.maxSendBytes;
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.feed(chunk));
    if (this.share) socket.on('drain', this.sampleBacklog);
    socket.on('error', (error) => {
      this.failure ??= error;
    });
    socket.on('close', () => this.finish());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send(message: unknown): void {
    if (this.closed) return;
    const body = encodeMessage(message);
    if (this.maxSendBytes !== undefined && body.length > this.maxSendBytes) throw tooLargeToSend(body.length, this.maxSendBytes);
    this.sendEncoded(body);
  }

  /** Sends a message already encoded by encodeMessage (by a caller that wanted its size first). */
  sendEncoded(body: EncodedMessage): void {
    if (this.closed) return;
    if (!(body instanceof Uint8Array)) {
      this.writeWhole(body);
      return;
    }
    if (this.batch !== null) {
      this.batch.push(body);
      this.batchBytes += body.length;
      // A long burst goes out in slices, so the peer starts on the first frames while we produce the rest.
      if (this.batch.length >= BURST_SLICE || this.batchBytes >= BURST_BYTES) this.writeBatch();
      return;
    }
    // A nextTick queued from a microtask runs once the microtask queue is empty,
    // so frames sent by every promise continuation of this tick join the batch.
    process.nextTick(this.flush);
    if (this.busy) {
      // Frames are piling up: this one waits too, so the tick's frames leave in one write.
      this.batch = [body];
      return;
    }
    // A quiet connection writes the first frame of a tick at once (no added
    // latency for one call in flight); any more this tick are gathered.
    this.batch = [];
    this.writeFrame(body);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.socket.end();
  }

  destroy(error?: Error): void {
    if (error) this.failure ??= error;
    this.batch = null;
    this.socket.destroy();
  }

  /** The socket holds more than it wants (Node's highWaterMark): a producer should wait for room. */
  get congested(): boolean {
    return this.socket.writableNeedDrain;
  }

  // One wait for all the writers waiting for room (a listener each would pile up on the socket).
  private drainWait: Promise<void> | undefined;

  /** Resolves once the socket took what it holds beyond its high-water mark (at once if it doesn't), or closed. */
  drained(): Promise<void> {
    if (this.closed || !this.socket.writableNeedDrain) return Promise.resolve();
    this.drainWait ??= new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        this.drainWait = undefined;
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
    return this.drainWait;
  }

  private readonly flush = (): void => {
    const frames = this.batch;
    this.batch = null;
    this.batchBytes = 0;
    this.busy = this.sliced || (frames !== null && frames.length > 1);
    this.sliced = false;
    if (frames) this.writeFrames(frames);
  };

  /** Writes what is gathered so far; later frames of this tick keep gathering. */
  private writeBatch(): void {
    const frames = this.batch!;
    this.batch = [];
    this.batchBytes = 0;
    this.sliced = true;
    this.writeFrames(frames);
  }

  private writeFrames(frames: Uint8Array[]): void {
    if (frames.length === 0 || this.socket.destroyed) return;
    if (frames.length === 1) {
      this.writeFrame(frames[0]!);
      return;
    }
    this.socket.cork();
    let from = 0;
    let bytes = 0;
    for (let i = 0; i < frames.length; i++) {
      const length = frames[i]!.length;
      if (length <= COPY_LIMIT) {
        bytes += HEADER_BYTES + length;
        continue;
      }
      if (i > from) this.socket.write(joinFrames(frames, from, i, bytes));
      this.writeFrame(frames[i]!);
      from = i + 1;
      bytes = 0;
    }
    // Small frames are copied into one buffer: one write request instead of one per frame.
    if (frames.length > from) this.socket.write(joinFrames(frames, from, frames.length, bytes));
    this.socket.uncork();
    this.sampleBacklog();
  }

  private writeFrame(body: Uint8Array): void {
    if (body.length <= COPY_LIMIT) {
      this.socket.write(joinFrame(body));
    } else {
      this.socket.cork();
      this.socket.write(frameHeader(body.length));
      this.socket.write(body);
      this.socket.uncork();
    }
    this.sampleBacklog();
  }

  /**
   * A frame that held large binaries goes to the socket now, after the frames gathered before it:
   * never held in a batch, so `congested` stays true until the socket has written it all (its
   * 64 KiB and more are over Node's high-water mark, 16 KiB, 64 KiB from Node 22), and a stream
   * producer that waits for that before its next item keeps one item's bytes in the socket at a time.
   */
  private writeWhole(frame: WholeFrame): void {
    if (this.batch !== null && this.batch.length > 0) this.writeBatch();
    if (this.socket.destroyed) return;
    this.socket.write(frame.bytes);
    this.sampleBacklog();
  }

  /** Bytes written and not yet taken by the peer count against the budget (read after writes and on drain). */
  private readonly sampleBacklog = (): void => {
    if (this.share && !this.closed) this.share.setBacklog(this.socket.writableLength);
  };

  /** The frame being handled now: its call keeps the reservation until it ends (see `release`). Returns its size. */
  claimFrame(): number {
    const bytes = this.frameBytes;
    this.frameBytes = 0;
    return bytes;
  }

  /** Gives back what a claimed frame reserved. */
  release(bytes: number): void {
    this.share?.release(bytes);
  }

  /** Takes bytes read from the socket (also bytes read before this channel existed). */
  feed(chunk: Buffer): void {
    if (!this.reading) return;
    this.decoder.write(chunk);
    this.takeFrames();
  }

  /**
   * What `for (const body of bodies)` walks: frames taken one at a time, so a loop that
   * stops (the budget has no room, a failure) leaves the rest unread. It has no
   * `return`, so an early exit keeps its place.
   */
  private readonly frames: IterableIterator<Buffer> = {
    [Symbol.iterator]() {
      return this;
    },
    next: () => this.nextFrame(),
  };

  private readonly step: IteratorYieldResult<Buffer> = { value: NO_BODY, done: false };

  private nextFrame(): IteratorResult<Buffer> {
    // The frame handled last is not kept by the reused result, and gives back its reservation unless its call claimed it.
    this.step.value = NO_BODY;
    if (this.frameBytes > 0) this.release(this.claimFrame());
    if (!this.reading || this.blocked || this.deferred) return DONE;
    const free = this.oneFrameDue && this.decoder.nextLength() <= FREE_FRAME_BYTES;
    this.oneFrameDue = false;
    // (Nothing left to read: no need to ask, and no clock read for a read that brought one call.)
    if (!free && this.decoder.hasInput && sliceUsedUp()) {
      this.deferred = true;
      this.socket.pause();
      onNextTurn(this.nextTurn, 'read');
      return DONE;
    }
    let body: Buffer | undefined;
    try {
      body = this.decoder.next();
    } catch (error) {
      this.fail(error as Error);
      return DONE;
    }
    if (body === undefined) {
      if (this.decoder.blocked) this.block();
      return DONE;
    }
    this.frameBytes = this.receivingBytes;
    this.receivingBytes = 0;
    this.frameLength = body.length;
    // One result object reused: the loop reads `value` before asking for the next.
    this.step.value = body;
    return this.step;
  }

  private readonly nextTurn = (): void => {
    this.deferred = false;
    this.resumeReading();
  };

  /** Reads on, unless the budget or the turn still holds the socket. */
  private resumeReading(): void {
    if (!this.reading || this.blocked || this.deferred) return;
    this.socket.resume();
    this.takeFrames();
  }

  private takeFrames(): void {
    this.oneFrameDue = true;
    const bodies = this.frames;
    // What the frames answer at once (a synchronous function's result) is gathered and written when
    // they are handled: one write, and no end-of-tick flush to schedule (a nextTick per call, which
    // the server's AsyncLocalStorage hooks on Node 20 make dearer).
    const gathering = this.batch === null;
    if (gathering) this.batch = [];
    try {
      for (const body of bodies) {
        let message: unknown;
        try {
          message = decodeValue(body, undefined, this.decoded);
        } catch (error) {
          // The frame was whole, so the stream is still in step: if its head says
          // which call it belongs to, only that call fails.
          const envelope = readEnvelope(body);
          if (envelope === undefined) {
            this.fail(error as Error);
            return;
          }
          this.onUndecodable(envelope, error as Error);
          if (!this.reading) return;
          continue;
        }
        this.onMessage(message);
        if (!this.reading) return;
      }
    } finally {
      // Nothing answered at once (a client's next calls come from promise continuations): the tick goes on as it was.
      if (gathering && this.batch?.length === 0 && !this.sliced) this.batch = null;
      else if (gathering) this.flush();
    }
  }

  /** A framing or decoding failure: the stream can't be resynchronised, so the connection ends. */
  private fail(error: Error): void {
    this.reading = false;
    this.failure ??= error;
    this.onProtocolError(error);
    this.close();
    // A peer that never reads must not keep us waiting.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** A whole frame whose values could not be decoded, but whose kind and id could: by default the connection ends. */
  onUndecodable: (envelope: Envelope, error: Error) => void = (_envelope, error) => this.fail(error);

  /** Lets the owner answer a protocol error before the connection closes. */
  onProtocolError: (error: Error) => void = () => {};

  /** Asked by the decoder at each header: may this connection hold a frame of `bytes` now? */
  private readonly admitFrame = (bodyBytes: number): boolean => {
    const cost = this.share!.costOf(bodyBytes);
    if (!this.share!.reserveFrame(cost, this.granted)) return false;
    this.receivingBytes = cost;
    return true;
  };

  /** No room for the next frame: stop reading until the budget grants it. */
  private block(): void {
    this.blocked = true;
    this.socket.pause();
  }

  private readonly granted = (): void => {
    this.receivingBytes = this.share!.costOf(this.decoder.blockedBytes);
    // Not from inside the budget's bookkeeping: the frames read next may end calls and free more.
    setImmediate(this.unblock);
  };

  private readonly unblock = (): void => {
    this.decoder.admitted();
    this.blocked = false;
    this.resumeReading();
  };

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.reading = false;
    this.batch = null;
    this.decoder.clear();
    if (this.share) {
      this.share.release(this.receivingBytes + this.frameBytes);
      this.receivingBytes = 0;
      this.frameBytes = 0;
      this.share.close();
    }
    this.onClose(this.failure);
  }
}

function tooLargeToSend(length: number, limit: number): LIPProtocolError {
  return new LIPProtocolError(`a request of ${length} bytes exceeds the limit of ${limit} bytes (the maxFrameBytes option); nothing was sent`, {
    code: ErrorCode.FrameTooLarge,
  });
}
