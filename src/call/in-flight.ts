/** Counts work in flight and lets a shutdown wait until there is none. */
import { timerDelay } from './deadline.js';

export class InFlight {
  private running = 0;
  private waiters: (() => void)[] = [];

  get count(): number {
    return this.running;
  }

  start(): void {
    this.running++;
  }

  finish(): void {
    this.running--;
    if (this.running === 0 && this.waiters.length > 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
  }

  /**
   * Resolves `true` once nothing is in flight, or `false` when `timeoutMs`
   * passes first (no `timeoutMs`: waits as long as it takes).
   */
  idle(timeoutMs?: number): Promise<boolean> {
    if (this.running === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.waiters = this.waiters.filter((waiter) => waiter !== wake);
          resolve(false);
        }, timerDelay(timeoutMs));
      }
      this.waiters.push(wake);
    });
  }
}
