/**
 * Running one call of an Endpoint, the same way whichever transport brought
 * it: inside its context (so `LIPModule.context()` works, also in generators),
 * with a streaming result collected under the call's cancellation.
 */
import { callStorage, type LazyCallContext } from './context.js';
import { isAsyncIterable, isPromiseLike, type Endpoint } from './endpoint.js';
import { ErrorCode, LIPBusyError, LIPProtocolError, ownFault } from '../errors.js';
import { nextTurn, sliceUsedUp } from '../event-loop-turn.js';

/**
 * Told once how the call ended: `failed` with what was thrown (even `undefined`), or the value;
 * `collected` when the value is the list of a stream's items.
 */
export type CallOutcome = (failed: boolean, valueOrError: unknown, collected: boolean) => void;

// Module-level, so running a call inside its context allocates no closure.
export function invokeEndpoint(endpoint: Endpoint, args: unknown[], kwargs: Record<string, unknown> | null, context: LazyCallContext): unknown {
  return endpoint.invoke(args, kwargs, context);
}

/**
 * Runs a call to its end. A streaming function's values are collected into one
 * list (for transports and requests that have a single reply).
 */
export function runCall(
  endpoint: Endpoint,
  args: unknown[],
  kwargs: Record<string, unknown> | null,
  context: LazyCallContext,
  outcome: CallOutcome,
  collecting: CollectLimits = {},
): void {
  let result: unknown;
  try {
    result = callStorage.run(context, invokeEndpoint, endpoint, args, kwargs, context);
  } catch (error) {
    outcome(true, error, false);
    return;
  }
  if (isPromiseLike(result)) result.then((value) => settleValue(value, context, outcome, collecting), (error: unknown) => outcome(true, error, false));
  else settleValue(result, context, outcome, collecting);
}

/** Passes a plain value on, or collects a stream first. */
export function settleValue(value: unknown, context: LazyCallContext, outcome: CallOutcome, collecting: CollectLimits = {}): void {
  if (!isAsyncIterable(value)) {
    outcome(false, value, false);
    return;
  }
  collectInContext(value, context, collecting).then(
    (items) => outcome(false, items, true),
    (error: unknown) => outcome(true, error, false),
  );
}

/** What collecting a stream's values into one reply may cost. */
export interface CollectLimits {
  /** About how many bytes the values may take. @default unlimited */
  maxBytes?: number;
  /**
   * Asked before the collected values grow by `bytes` (in steps of COLLECT_STEP_BYTES):
   * the memory budget's say. False stops the collection with ERR_LIP_BUSY.
   */
  charge?: (bytes: number) => boolean;
}

/** Collected values are charged to the budget in steps this big. */
const COLLECT_STEP_BYTES = 64 * 1024;
/** What a collected value costs in the list besides its own bytes. */
const COLLECTED_ITEM_BYTES = 16;

/**
 * Every value of a stream, each step run inside the call's context. Stops (and
 * lets the generator's `finally` run) as soon as the call is cancelled: a
 * caller that went away must not leave an endless generator running. Values
 * past about `maxBytes`, or that the budget can't hold, fail the call rather
 * than grow one reply without bound.
 */
export async function collectInContext(iterable: AsyncIterable<unknown>, context: LazyCallContext, limits: CollectLimits = {}): Promise<unknown[]> {
  const iterator = iterable[Symbol.asyncIterator]();
  const items: unknown[] = [];
  const aborted = new AbortRace(context.signal); // also arms the deadline timer
  const maxBytes = limits.maxBytes ?? Infinity;
  let bytes = 0;
  let charged = 0;
  for (;;) {
    // A generator that never awaits anything real runs in microtasks only, which starve every
    // socket of the process (and hide the close of its own): give the event loop its turn.
    // Asked again after each wait: everyone waiting shares the next turn's slice.
    while (sliceUsedUp()) await nextTurn();
    // If next() throws, the generator is already closed: nothing to return().
    const step = context.aborted ? undefined : await aborted.race(callStorage.run(context, nextStep, iterator));
    if (step === undefined) {
      stopIterator(iterator);
      throw context.signal.reason;
    }
    if (step.done) return items;
    items.push(step.value);
    bytes += roughSize(step.value) + COLLECTED_ITEM_BYTES;
    if (bytes > maxBytes) {
      stopIterator(iterator);
      throw ownFault(
        new LIPProtocolError(`the stream's values exceed ${maxBytes} bytes, too many for one reply: read them as a stream (LIPClient.stream)`, {
          code: ErrorCode.FrameTooLarge,
        }),
      );
    }
    if (limits.charge && bytes - charged >= COLLECT_STEP_BYTES) {
      if (!limits.charge(bytes - charged)) {
        stopIterator(iterator);
        throw ownFault(new LIPBusyError(`the server's memory budget can't hold more of the stream's values (${bytes} bytes so far): read them as a stream (LIPClient.stream), or try again later`));
      }
      charged = bytes;
    }
  }
}

/** A cheap lower bound of a value's encoded size: binaries and strings by length, containers by entries (not walked). */
export function roughSize(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (value === null || typeof value !== 'object') return 9;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (Array.isArray(value)) return 1 + value.length;
  return 1;
}

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
      signal.addEventListener('abort', () => {
        const wake = this.wake;
        this.wake = undefined;
        wake?.(undefined);
      }, { once: true });
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

/**
 * The answer to a built-in verb, the same on every transport. `stop` is the
 * transport's to decide (on a socket, whoever may connect: the owner unless socketMode is widened): it says whether it agreed.
 */
export function answerControl(endpoint: Endpoint, verb: string, stop: () => boolean): unknown {
  switch (verb) {
    case 'ping':
      return true;
    case 'doc':
      return endpoint.doc();
    case 'info':
      return endpoint.info();
    case 'stats':
      return endpoint.stats();
    case 'stop':
      return stop();
    default:
      throw new LIPProtocolError(`unknown control verb ${JSON.stringify(verb)}`);
  }
}
