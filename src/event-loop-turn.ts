/**
 * One slice of work per turn of the event loop, shared by every loop that runs
 * on a peer's behalf (the frames of one read, a generator's steps, big replies).
 * A loop that finds the slice used up waits for the next turn, after sockets
 * have been polled. All such loops share the slice, so a thousand of them still
 * hold the event loop for about one slice per turn, not a thousand slices.
 *
 * Waiters are woken in two lanes: reading frames first (cheap: a call's own work
 * is the function's), then the rest. Waiting work is asked again when woken and
 * goes to the back if the slice is used up, so a client's small call is never
 * queued behind thousands of other clients' big replies.
 */

/** Work allowed per turn of the event loop before looping code waits for the next. */
export const SLICE_MS = 5;

let sliceStarted = 0;
// A slice runs in this turn; cleared by a setImmediate, i.e. once the turn's I/O callbacks are done.
let inTurn = false;
/** Which waiters are woken first on the next turn. */
export type Lane = 'read' | 'work';

let readers: (() => void)[] = [];
let workers: (() => void)[] = [];
let wakeScheduled = false;

/** Whether this turn's slice is used up. The first ask in a turn starts the slice. */
export function sliceUsedUp(): boolean {
  const now = performance.now();
  if (!inTurn) {
    startSlice(now);
    return false;
  }
  return now - sliceStarted >= SLICE_MS;
}

/** Calls `callback` on the next turn, with a fresh slice (readers first). One setImmediate for everyone waiting. */
export function onNextTurn(callback: () => void, lane: Lane = 'work'): void {
  if (lane === 'read') readers.push(callback);
  else workers.push(callback);
  if (!wakeScheduled) {
    wakeScheduled = true;
    setImmediate(wakeWaiters);
  }
}

/** Resolves on the next turn (see onNextTurn). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => onNextTurn(resolve));
}

function startSlice(now: number): void {
  sliceStarted = now;
  if (!inTurn) {
    inTurn = true;
    setImmediate(endTurn);
  }
}

function endTurn(): void {
  inTurn = false;
}

function wakeWaiters(): void {
  wakeScheduled = false;
  // The waiters share a fresh slice: those it doesn't cover wait for the turn after.
  inTurn = false;
  startSlice(performance.now());
  const reading = readers;
  const working = workers;
  readers = [];
  workers = [];
  for (const wake of reading) wake();
  for (const wake of working) wake();
}
