/**
 * A sink that also ends the call's telemetry record (a SERVER span and its
 * duration) when the runner answers: a success (with a stream's item count),
 * a failure, or a cancellation (the caller went away, whatever the function
 * did then). The runner wraps a transport's sink in one only when an
 * OpenTelemetry SDK is registered; otherwise it never exists.
 */
import type { ServerCallRecord } from '../telemetry/call-record.js';
import type { CollectLimits } from './collect.js';
import type { LazyCallContext } from './context.js';
import type { CallSink, StreamSink } from './sink.js';

const NOT_A_STREAM = Object.freeze({});

export class TracedSink implements CallSink, StreamSink {
  readonly record: ServerCallRecord;
  // The runner calls only the members of the kind of call it runs, so one class serves both kinds.
  private readonly inner: CallSink & StreamSink;
  private readonly stream: boolean;
  private items = 0;

  constructor(inner: CallSink | StreamSink, record: ServerCallRecord, kind: { stream: boolean }) {
    this.inner = inner as CallSink & StreamSink;
    this.record = record;
    this.stream = kind.stream;
  }

  get context(): LazyCallContext {
    return this.inner.context;
  }

  get collecting(): CollectLimits | undefined {
    return this.inner.collecting;
  }

  get wantsList(): boolean | undefined {
    return this.inner.wantsList;
  }

  get open(): boolean {
    return this.inner.open;
  }

  room(): PromiseLike<unknown> | undefined {
    return this.inner.room();
  }

  item(value: unknown): void {
    this.inner.item(value);
    this.items++;
  }

  end(): void {
    try {
      this.inner.end();
    } finally {
      this.ended({ items: this.items });
    }
  }

  result(value: unknown): void {
    try {
      this.inner.result(value);
    } finally {
      // A stream asked of a transport with one reply comes back as one list: its length is the item count.
      this.ended(Array.isArray(value) && this.inner.wantsList ? { items: value.length } : NOT_A_STREAM);
    }
  }

  error(thrown: unknown): void {
    try {
      this.inner.error(thrown);
    } finally {
      this.record.fail(this.context.reason ?? thrown, this.stream ? { items: this.items } : NOT_A_STREAM);
    }
  }

  private ended(outcome: { items?: number }): void {
    const reason = this.context.reason;
    if (reason) this.record.fail(reason, outcome);
    else this.record.succeed(outcome);
  }
}
