/**
 * A stream's values collected into one reply, for transports and requests that
 * have a single answer: under the call's cancellation and a byte bound.
 */
import { callStorage, type LazyCallContext } from './context.js';
import { AbortRace, nextStep, stopIterator } from './iteration.js';
import { ErrorCode, LIPBusyError, LIPProtocolError, ownFault } from '../errors.js';
import { nextTurn, sliceUsedUp } from '../event-loop-turn.js';

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
        throw ownFault(
          new LIPBusyError(
            `the server's memory budget can't hold more of the stream's values (${bytes} bytes so far): read them as a stream (LIPClient.stream), or try again later`,
          ),
        );
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
  try {
    return Array.isArray(value) ? 1 + value.length : 1;
  } catch {
    return 1; // a revoked Proxy throws even from Array.isArray; encoding it will fail the call
  }
}
