/**
 * The reader of one stream on a lipmodule connection: items are buffered up to the window the
 * server was given, and credit goes back as the reader consumes them, so neither side holds more.
 */
import { LIPAbortError, LIPProtocolError } from '../errors.js';

/** Receives a stream's items; the connection calls these as frames arrive. */
export interface StreamSink {
  item(value: unknown): void;
  end(): void;
  fail(error: Error): void;
}

/** The stream's call on its connection, as its reader drives it. */
export interface StreamCall {
  /** Items the server may send ahead of the reader. */
  readonly window: number;
  /** Lets the server send `n` more items. */
  grantCredit(n: number): void;
  /** Stops the call, here and on the server. */
  cancel(error: Error): void;
}

interface Waiter {
  resolve: (result: IteratorResult<unknown>) => void;
  reject: (error: Error) => void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

export class StreamReader implements AsyncIterator<unknown>, StreamSink {
  private readonly buffer: unknown[] = [];
  private waiter: Waiter | undefined;
  private ended = false;
  private failure: Error | undefined;
  private consumed = 0;
  // Credit goes back in batches of half a window: fewer frames, same bound.
  private readonly batch: number;

  constructor(
    private readonly fn: string,
    private readonly call: StreamCall,
  ) {
    this.batch = Math.max(1, call.window >> 1);
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.buffer.length > 0) {
      this.countConsumed();
      return Promise.resolve({ value: this.buffer.shift(), done: false });
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** The reader left early: the generator on the server is stopped. */
  return(): Promise<IteratorResult<unknown>> {
    const open = !this.ended && !this.failure;
    this.ended = true; // from here a failure caused by our own cancel is not the reader's concern
    if (open) this.call.cancel(new LIPAbortError(`'${this.fn}': the stream was closed by its reader`));
    // A read still waiting (return() called while next() was pending) ends too.
    this.wake();
    return Promise.resolve(DONE);
  }

  item(value: unknown): void {
    const waiter = this.waiter;
    if (!waiter) {
      // A server sends at most a window ahead of the reader (its credit): more is a broken or forged
      // stream (any NATS client may publish to an inbox), and the buffer must not grow without end.
      if (this.buffer.length >= this.call.window) this.overrun();
      else this.buffer.push(value);
      return;
    }
    this.waiter = undefined;
    this.countConsumed();
    waiter.resolve({ value, done: false });
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  fail(error: Error): void {
    // A cancel we asked for is not an error to our reader.
    if (this.ended) return;
    this.failure = error;
    this.wake();
  }

  private overrun(): void {
    if (this.failure || this.ended) return;
    const error = new LIPProtocolError(`'${this.fn}': the server sent more stream items than the ${this.call.window} the reader allowed`);
    this.call.cancel(error);
    this.fail(error);
  }

  private countConsumed(): void {
    if (++this.consumed < this.batch) return;
    this.call.grantCredit(this.consumed);
    this.consumed = 0;
  }

  private wake(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    if (this.failure) waiter.reject(this.failure);
    else waiter.resolve(DONE);
  }
}
