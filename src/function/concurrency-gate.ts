/**
 * The `concurrency` option: at most `limit` calls of one function run at once;
 * more wait in a bounded queue, in order, and a caller that gives up while
 * waiting leaves the queue at once.
 */
import { isAsyncIterable, isPromiseLike, onIterationEnd } from '../call/endpoint.js';
import { LIPAbortError, LIPBusyError, ownFault } from '../errors.js';

export interface ConcurrencyGateOptions {
  /** The served name, for the busy message. */
  name: string;
  /** Most calls running at once. */
  limit: number;
  /** Most calls waiting; beyond it a call is refused with LIPBusyError. */
  maxQueue: number;
}

export class ConcurrencyGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly options: ConcurrencyGateOptions) {}

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `work(input)` now if a slot is free, else once one is. The slot is
   * held until its result settles (a stream: until its iteration ends).
   * `work` and `input` apart, so a caller passes a function made once, not a closure per call.
   */
  run<T>(work: (input: T) => unknown, input: T, signal: AbortSignal): unknown {
    if (this.running < this.options.limit) {
      this.running++;
      return this.holdSlotWhile(work, input);
    }
    if (this.waiting.length >= this.options.maxQueue) {
      throw ownFault(new LIPBusyError(`'${this.options.name}' is busy: ${this.options.limit} call(s) running and ${this.waiting.length} queued`));
    }
    // The slot a finished call hands over is already counted in `running`.
    return this.slotHandedOver(signal).then(() => this.holdSlotWhile(work, input));
  }

  private slotHandedOver(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // A caller that gives up while waiting leaves the queue at once: it must not hold a place.
      const onAbort = () => {
        const at = this.waiting.indexOf(admitted);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(ownFault(new LIPAbortError('cancelled while queued')));
      };
      const admitted = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(admitted);
    });
  }

  private holdSlotWhile<T>(work: (input: T) => unknown, input: T): unknown {
    let result: unknown;
    try {
      result = work(input);
    } catch (error) {
      this.release();
      throw error;
    }
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then(
        (value) => this.releaseAfter(value),
        (error: unknown) => {
          this.release();
          throw error;
        },
      );
    }
    return this.releaseAfter(result);
  }

  /** A stream keeps its slot until its iteration ends. */
  private releaseAfter(value: unknown): unknown {
    if (isAsyncIterable(value)) return onIterationEnd(value, () => this.release());
    this.release();
    return value;
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next)
      next(); // the slot passes straight to the next caller
    else this.running--;
  }
}
