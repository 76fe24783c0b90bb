/**
 * An iterable argument as the served function sees it: the caller's items, pulled with credit
 * (ArgCredit) so that neither side holds more than a window of them, and about `maxBufferBytes`
 * here (each item held also counts in the connection's and the server's memory budget). Leaving the loop early tells the caller (ArgStop): its generator returns.
 */
import { LIPBusyError, LIPProtocolError } from '../errors.js';

/** What a stream needs of its call's channels. */
export interface ArgumentStreamWire {
  /** Lets the caller send `n` more items. */
  grant(n: number): void;
  /** Tells the caller the function stopped reading. */
  stop(): void;
  /** Holds `bytes` against the connection's and the server's memory budget; false when they can't. */
  hold(bytes: number): boolean;
  release(bytes: number): void;
}

export interface ArgumentStreamLimits {
  /** Most items asked for ahead of the reader. */
  window: number;
  /** Bytes of items asked for ahead of the reader, as the biggest item so far weighs them (at least one item). */
  maxBufferBytes: number;
}

interface Waiter {
  resolve: (step: IteratorResult<unknown>) => void;
  reject: (error: Error) => void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

export class ArgumentStream implements AsyncIterableIterator<unknown> {
  private readonly items: unknown[] = [];
  private readonly sizes: number[] = [];
  private bufferedBytes = 0;
  /** The biggest item so far, in frame bytes: what the next items are expected to weigh. */
  private largest = 0;
  /** Items granted and not yet received. */
  private outstanding = 0;
  private started = false;
  private ended = false;
  private failure: Error | undefined;
  // Reads waiting for items, oldest first (a function may ask for the next item before the last came).
  private readonly waiters: Waiter[] = [];

  constructor(
    private readonly label: string,
    private readonly wire: ArgumentStreamWire,
    private readonly limits: ArgumentStreamLimits,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.take(), done: false });
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve(DONE);
    // Nothing moves until the function first reads: a function that never does costs no transfer.
    if (!this.started) {
      this.started = true;
      this.refill();
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** The function left its loop: the caller's generator is stopped, what was buffered is dropped. */
  return(): Promise<IteratorResult<unknown>> {
    if (!this.ended && !this.failure) this.wire.stop();
    this.finish();
    return Promise.resolve(DONE);
  }

  /** An item of `bytes` (its frame's size) arrived. */
  item(value: unknown, bytes: number): void {
    if (this.ended || this.failure) return;
    if (this.outstanding <= 0) {
      this.fail(new LIPProtocolError(`${this.label}: the caller sent an item it was given no credit for`));
      this.wire.stop();
      return;
    }
    this.outstanding--;
    if (bytes > this.largest) this.largest = bytes;
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve({ value, done: false });
      this.refill();
      return;
    }
    if (!this.wire.hold(bytes)) {
      // Busy, not a protocol error: a caller within its credit gets here when its items grew (credit is sized by earlier items).
      this.fail(new LIPBusyError(`${this.label}: the server's memory budget can't hold an item of ${bytes} bytes (as decoded) until the function reads`));
      this.wire.stop();
      return;
    }
    this.items.push(value);
    this.sizes.push(bytes);
    this.bufferedBytes += bytes;
  }

  /** The caller's iterable finished, or threw `error`. */
  end(error?: Error): void {
    if (this.ended || this.failure) return;
    if (error) this.failure = error;
    else this.ended = true;
    this.wake();
  }

  /** The call ended or was aborted: a read waiting now, or any later one, fails with `reason`. */
  fail(reason: Error): void {
    // Items that came before the caller's end and were never read are given back whatever happened.
    this.drop();
    if (this.ended || this.failure) return;
    this.failure = reason;
    this.wake();
  }

  private take(): unknown {
    const bytes = this.sizes.shift()!;
    this.bufferedBytes -= bytes;
    this.wire.release(bytes);
    const value = this.items.shift();
    this.refill();
    return value;
  }

  /**
   * Asks for more once half of what may be ahead can be asked for. What may be ahead (received and
   * unread, or granted) is the window, and no more items of the biggest size seen so far than
   * `maxBufferBytes` holds (at least one); before any item came, just one.
   */
  private refill(): void {
    if (this.ended || this.failure) return;
    const { window, maxBufferBytes } = this.limits;
    const ahead = this.largest === 0 ? 1 : Math.max(1, Math.min(window, Math.floor(maxBufferBytes / this.largest)));
    const room = ahead - this.outstanding - this.items.length;
    if (room < Math.max(1, ahead >> 1)) return;
    this.outstanding += room;
    this.wire.grant(room);
  }

  private finish(): void {
    this.ended = true;
    this.drop();
    this.wake();
  }

  private drop(): void {
    this.wire.release(this.bufferedBytes);
    this.bufferedBytes = 0;
    this.items.length = 0;
    this.sizes.length = 0;
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) {
      if (this.failure && !this.ended) waiter.reject(this.failure);
      else waiter.resolve(DONE);
    }
  }
}
