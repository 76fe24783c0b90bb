/**
 * A Channel over a connected stream socket: length-prefixed CBOR frames,
 * writes batched per tick when more than one frame is waiting.
 */
import type { Socket } from 'node:net';
import { decodeValue, encodeValue, readEnvelope, type Envelope } from '../protocol/codec.js';
import { FrameDecoder, frameHeader, HEADER_BYTES, joinFrame, joinFrames } from '../protocol/frame.js';
import type { Channel } from './channel.js';

// Frames gathered in one tick before they are written without waiting for the tick's end.
const BURST_SLICE = 16;
// Bodies above this are written beside their header (writev) instead of copied behind it.
const COPY_LIMIT = 16 * 1024;

export interface SocketChannelOptions {
  maxFrameBytes?: number;
}

export class SocketChannel implements Channel {
  onMessage: (message: unknown) => void = () => {};
  onClose: (error?: Error) => void = () => {};

  private readonly socket: Socket;
  private readonly decoder: FrameDecoder;
  // null: nothing written this tick; an array: frames waiting for the end-of-tick flush.
  private batch: Uint8Array[] | null = null;
  // The last flush carried more than one frame: several calls are in flight.
  private busy = false;
  // Part of this tick's frames already went out (see BURST_SLICE).
  private sliced = false;
  // Set while the frames of one chunk are handled: their answers are gathered.
  private answering = false;
  private closed = false;
  // Cleared after a framing error: the byte stream can't be trusted any more.
  private reading = true;
  private failure: Error | undefined;

  constructor(socket: Socket, options: SocketChannelOptions = {}) {
    this.socket = socket;
    this.decoder = new FrameDecoder(options.maxFrameBytes);
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.feed(chunk));
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
    const body = encodeValue(message);
    if (this.batch !== null) {
      this.batch.push(body);
      // A long burst goes out in slices, so the peer starts on the first frames while we produce the rest.
      if (this.batch.length >= BURST_SLICE) this.writeBatch();
      return;
    }
    // A nextTick queued from a microtask runs once the microtask queue is empty,
    // so frames sent by every promise continuation of this tick join the batch.
    process.nextTick(this.flush);
    if (this.busy || this.answering) {
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

  private readonly flush = (): void => {
    const frames = this.batch;
    this.batch = null;
    this.busy = this.sliced || (frames !== null && frames.length > 1);
    this.sliced = false;
    if (frames) this.writeFrames(frames);
  };

  /** Writes what is gathered so far; later frames of this tick keep gathering. */
  private writeBatch(): void {
    const frames = this.batch!;
    this.batch = [];
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
  }

  private writeFrame(body: Uint8Array): void {
    if (body.length <= COPY_LIMIT) {
      this.socket.write(joinFrame(body));
      return;
    }
    this.socket.cork();
    this.socket.write(frameHeader(body.length));
    this.socket.write(body);
    this.socket.uncork();
  }

  /** Takes bytes read from the socket (also bytes read before this channel existed). */
  feed(chunk: Buffer): void {
    if (!this.reading) return;
    let bodies: Buffer[];
    try {
      bodies = this.decoder.push(chunk);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    // Several frames in one chunk: their answers are gathered into one write.
    this.answering = bodies.length > 1;
    try {
      for (const body of bodies) {
        let message: unknown;
        try {
          message = decodeValue(body);
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
      this.answering = false;
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

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.reading = false;
    this.batch = null;
    this.onClose(this.failure);
  }
}
