/** Messages between `lip up` and each module's `lip serve` process (over the child_process IPC channel). */
import type { ServedLine } from '../serve/lifecycle.js';

/** Set in a module process's environment by `lip up`. */
export const SUPERVISED_ENV = 'LIP_UP_CHILD';

export type ChildMessage =
  /** Every function serves (a reload: has taken its socket over). */
  | { up: 'ready'; functions: ServedLine[] }
  /** Could not start: why, in one line. */
  | { up: 'failed'; message: string };

/** Drain and exit (a newer process took over, or `lip up` stops). */
export type SupervisorMessage = { up: 'drain' };

export function isChildMessage(value: unknown): value is ChildMessage {
  return typeof value === 'object' && value !== null && typeof (value as { up?: unknown }).up === 'string';
}

export function isSupervisorMessage(value: unknown): value is SupervisorMessage {
  return isChildMessage(value) && (value as { up: string }).up === 'drain';
}
