/** Stepping a served stream under its call's cancellation, and stopping it early. */

/**
 * Races one promise at a time against a call's signal: a generator's next step, a
 * wait for room. Not Promise.race with one long-lived "aborted" promise: that leaves
 * a reaction on it per race, and a stream of millions of items would keep them all.
 */
export class AbortRace {
  private readonly signal: AbortSignal;
  private wake: ((value: undefined) => void) | undefined;

  constructor(signal: AbortSignal) {
    this.signal = signal;
    if (!signal.aborted) {
      signal.addEventListener(
        'abort',
        () => {
          const wake = this.wake;
          this.wake = undefined;
          wake?.(undefined);
        },
        { once: true },
      );
    }
  }

  /** What `promise` gives, or undefined as soon as the signal fires. One race at a time. */
  race<T>(promise: PromiseLike<T>): Promise<T | undefined> {
    if (this.signal.aborted) return Promise.resolve(undefined);
    return new Promise<T | undefined>((resolve, reject) => {
      this.wake = resolve;
      promise.then(resolve, reject);
    });
  }
}

/**
 * Asks a generator to finish (its `finally` runs) without waiting: if it is stuck
 * inside an `await` between two yields, return() only runs once that await
 * settles, and the call must not stay open until then.
 */
export function stopIterator(iterator: AsyncIterator<unknown>): void {
  if (!iterator.return) return;
  Promise.resolve()
    .then(() => iterator.return!())
    .catch(() => {});
}

/** One step of a stream (module-level: run inside a context without a closure). */
export function nextStep(iterator: AsyncIterator<unknown>): Promise<IteratorResult<unknown>> {
  return iterator.next();
}
