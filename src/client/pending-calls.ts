/**
 * The calls waiting for their answers on one connection: their request ids, their deadlines under a
 * single timer, and their callers' abort signals. Whatever ends a call early (deadline, abort) goes
 * to the connection's `cancel`, which also tells the server.
 */
import { effectiveTimeout, remainingMs, timerDelay } from '../call/deadline.js';
import { InFlight } from '../call/in-flight.js';
import { nextRequestId } from '../protocol/messages.js';
import { callAborted, callTimedOut } from './call-errors.js';
import type { CallSettings } from './function-connection.js';
import type { StreamSink } from './stream-reader.js';
import type { CallerChannels } from './caller-channels.js';

export interface PendingCall {
  readonly fn: string;
  readonly settings: CallSettings;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  /** Set for streams: where items go. */
  readonly stream: StreamSink | undefined;
  /** The Date.now() at which the call times out; set by `add`. */
  deadline: number | undefined;
  onAbort: (() => void) | undefined;
  /** The call's callbacks and iterables, when it passed any: they stop when the call ends. */
  channels?: CallerChannels | undefined;
}

/** Fails a call: its stream's reader, then its promise. */
export function failCall(call: PendingCall, error: Error): void {
  call.stream?.fail(error);
  call.reject(error);
}

export class PendingCalls {
  private readonly calls = new Map<number, PendingCall>();
  private readonly inFlight = new InFlight();
  private lastId = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  /** `cancel`: ends a call early with `error` (its deadline passed, or its caller aborted). */
  constructor(private readonly cancel: (id: number, error: Error) => void) {}

  get size(): number {
    return this.calls.size;
  }

  /** A request id not in use (ids wrap around after 2^32 - 1, skipping calls still pending). */
  newId(): number {
    do this.lastId = nextRequestId(this.lastId);
    while (this.calls.has(this.lastId));
    return this.lastId;
  }

  /** Starts waiting for `id`'s answer; returns the server's deadline for it (what is left of the caller's), if any. */
  add(id: number, call: PendingCall): number | undefined {
    const { settings } = call;
    const timeoutMs = effectiveTimeout(settings.timeoutMs);
    if (settings.signal) {
      const signal = settings.signal;
      call.onAbort = () => this.cancel(id, callAborted(call.fn, signal));
      signal.addEventListener('abort', call.onAbort, { once: true });
    }
    this.calls.set(id, call);
    this.inFlight.start();
    if (timeoutMs === undefined) return undefined;
    if (settings.deadline === undefined) {
      call.deadline = Date.now() + timeoutMs;
      this.armTimer(call.deadline);
      return timeoutMs;
    }
    call.deadline = settings.deadline;
    this.armTimer(call.deadline);
    return Math.max(1, remainingMs(call.deadline)!);
  }

  get(id: number): PendingCall | undefined {
    return this.calls.get(id);
  }

  /** Forgets `id`'s call (answered, failed or cancelled) and returns it. */
  take(id: number): PendingCall | undefined {
    const call = this.calls.get(id);
    if (call) this.forget(id, call);
    return call;
  }

  /** Forgets every call and returns them, to be failed together. */
  takeAll(): PendingCall[] {
    const calls = [...this.calls.entries()];
    for (const [id, call] of calls) this.forget(id, call);
    this.stopTimer();
    return calls.map(([, call]) => call);
  }

  /** Resolves once no call is pending. */
  async idle(): Promise<void> {
    await this.inFlight.idle();
  }

  stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private forget(id: number, call: PendingCall): void {
    this.calls.delete(id);
    call.channels?.close();
    if (call.onAbort) call.settings.signal!.removeEventListener('abort', call.onAbort);
    // The deadline timer stays armed when the last call is answered (it is unref'd and finds nothing
    // to expire): re-arming it for every sequential call cost ~1 µs each.
    this.inFlight.finish();
  }

  // One timer per connection, set for the earliest deadline: a timer per call
  // would cost more than the call itself when many are in flight.
  private armTimer(deadline: number): void {
    if (this.timer && this.timerAt <= deadline) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = deadline;
    this.timer = setTimeout(this.expire, timerDelay(deadline - Date.now()));
    this.timer.unref();
  }

  private readonly expire = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [id, call] of [...this.calls.entries()]) {
      const deadline = call.deadline;
      if (deadline === undefined) continue;
      if (deadline <= now) this.cancel(id, callTimedOut(call.fn, call.settings.timeoutMs));
      else if (deadline < next) next = deadline;
    }
    if (next !== Infinity && this.calls.size > 0) this.armTimer(next);
  };
}
