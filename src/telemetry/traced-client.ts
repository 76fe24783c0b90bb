/**
 * A call this process makes, traced: its CLIENT span and duration end when
 * its answer comes (a plain call) or when its stream ends, however it ends.
 * The client uses these only when activeTelemetry() says an SDK is registered.
 */
import type { Telemetry } from './active.js';
import { ClientCallRecord } from './call-record.js';
import type { TraceCarrier } from './propagation.js';
import type { RpcTarget } from './rpc-target.js';

/** Makes `call` with the carrier to send, inside a CLIENT span that ends with its answer. */
export async function tracedCall<T>(telemetry: Telemetry, target: RpcTarget, call: (carrier: TraceCarrier | undefined) => Promise<T>): Promise<T> {
  const record = new ClientCallRecord(telemetry, target);
  try {
    const value = await call(record.carrier);
    record.succeed();
    return value;
  } catch (error) {
    record.fail(error);
    throw error;
  }
}

/** A stream's values, inside a CLIENT span that ends (with the item count) when the stream does. */
export class TracedStream<T> implements AsyncIterator<T> {
  private items = 0;

  constructor(
    private readonly record: ClientCallRecord,
    private readonly source: AsyncIterator<T>,
  ) {}

  async next(): Promise<IteratorResult<T>> {
    let step: IteratorResult<T>;
    try {
      step = await this.source.next();
    } catch (error) {
      this.record.fail(error, { items: this.items });
      throw error;
    }
    if (step.done) this.record.succeed({ items: this.items });
    else this.items++;
    return step;
  }

  async return(value?: unknown): Promise<IteratorResult<T>> {
    // The reader left early: the call ended as the reader wanted.
    this.record.succeed({ items: this.items });
    return (await this.source.return?.(value)) ?? { done: true, value: value as T };
  }
}
