/** Messages between the `lip serve --instances` primary and its workers (over cluster IPC). */
import type { ServedLine } from './lifecycle.js';

export type WorkerMessage =
  | { lip: 'ready'; functions: ServedLine[] }
  | { lip: 'failed'; message: string; exitCode: number; stack?: string }
  /** A client's `lip stop` reached this worker: the others should stop the function too. */
  | { lip: 'stopped'; name: string };

/** Stop one function in every worker (shutting all down is SIGTERM). */
export type PrimaryMessage = { lip: 'stop'; name: string };

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return typeof value === 'object' && value !== null && typeof (value as { lip?: unknown }).lip === 'string';
}

export function isPrimaryMessage(value: unknown): value is PrimaryMessage {
  return isWorkerMessage(value);
}
