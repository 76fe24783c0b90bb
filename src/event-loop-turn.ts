/**
 * One slice of work per turn of the event loop, shared by every loop that runs
 * on a peer's behalf (the frames of one read, a generator's steps). A loop that
 * finds the slice used up waits for the next turn, after sockets have been
 * polled. All such loops share the slice, so a thousand of them still hold the
 * event loop for about one slice per turn, not a thousand slices.
 */

/** Work allowed per turn of the event loop before looping code waits for the next. */
export const SLICE_MS = 5;

let sliceStarted = 0;
// A slice runs in this turn; cleared by a setImmediate, i.e. once the turn's I/O callbacks are done.
let inTurn = false;
let waiters: (() => void)[] = [];

/** Whether this turn's slice is used up. The first ask in a turn starts the slice. */
export function sliceUsedUp(): boolean {
  const now = performance.now();
  if (!inTurn) {
    startSlice(now);
    return false;
  }
  return now - sliceStarted >= SLICE_MS;
}

/** Calls `callback` on the next turn, with a fresh slice. One setImmediate for everyone waiting. */
export function onNextTurn(callback: () => void): void {
  waiters.push(callback);
  if (waiters.length === 1) setImmediate(wakeWaiters);
}

/** Resolves on the next turn (see onNextTurn). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => onNextTurn(resolve));
}

/** Gives the event loop a turn if the slice is used up; otherwise nothing to wait for. */
export function maybeNextTurn(): Promise<void> | undefined {
  return sliceUsedUp() ? nextTurn() : undefined;
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
  // The waiters share a fresh slice: those it doesn't cover wait for the turn after.
  inTurn = false;
  startSlice(performance.now());
  const woken = waiters;
  waiters = [];
  for (const wake of woken) wake();
}
