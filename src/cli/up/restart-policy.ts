/**
 * When a module process that ended on its own is started again: after an exponential backoff, unless
 * it failed MAX_FAILURES times within FAILURE_WINDOW_MS, when it is given up on (marked failed).
 */

export const MAX_FAILURES = 5;
export const FAILURE_WINDOW_MS = 60_000;
export const FIRST_BACKOFF_MS = 100;
export const MAX_BACKOFF_MS = 10_000;

export type RestartDecision = { restart: true; afterMs: number; failures: number } | { restart: false; failures: number };

export class RestartPolicy {
  private failures: number[] = [];

  /** Records a failure at `now` and says what to do. */
  failed(now = Date.now()): RestartDecision {
    this.failures = this.failures.filter((at) => now - at < FAILURE_WINDOW_MS);
    this.failures.push(now);
    const failures = this.failures.length;
    if (failures >= MAX_FAILURES) return { restart: false, failures };
    return { restart: true, afterMs: Math.min(FIRST_BACKOFF_MS * 2 ** (failures - 1), MAX_BACKOFF_MS), failures };
  }
}
