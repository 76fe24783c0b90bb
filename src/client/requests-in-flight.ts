/**
 * The requests of a connection with one reply per request (NATS, the Python original): counted so
 * `close()` can wait for them, and each with a way to fail it so `destroy()` can cut them all.
 */
import { InFlight } from '../call/in-flight.js';
import { LIPConnectionError } from '../errors.js';

export class RequestsInFlight {
  private closedNow = false;
  private readonly inFlight = new InFlight();
  private readonly failers = new Set<(error: Error) => void>();

  /** True once closed or destroyed: new requests are refused. */
  get closed(): boolean {
    return this.closedNow;
  }

  /** Refuses new requests from now on (requests in flight go on). */
  refuseNew(): void {
    this.closedNow = true;
  }

  /** Counts a request; `fail` is how destroy() ends it. */
  begin(fail: (error: Error) => void): void {
    this.failers.add(fail);
    this.inFlight.start();
  }

  /** Whether the request `fail` belongs to is still waiting. */
  has(fail: (error: Error) => void): boolean {
    return this.failers.has(fail);
  }

  /** Forgets a request that settled; false when it already had (its answer must be given once). */
  end(fail: (error: Error) => void): boolean {
    if (!this.failers.delete(fail)) return false;
    this.inFlight.finish();
    return true;
  }

  /** Waits for the requests in flight; new ones are refused from now on. */
  async close(): Promise<void> {
    this.closedNow = true;
    await this.inFlight.idle();
  }

  /** Fails every request in flight with LIPConnectionError; new ones are refused. */
  destroy(name: string, reason: string): void {
    this.closedNow = true;
    const error = new LIPConnectionError(`'${name}': ${reason}`);
    for (const fail of [...this.failers]) fail(error);
  }
}
