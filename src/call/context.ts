/**
 * The per-call context a served function can read with `LIPModule.context()`:
 * its cancellation signal, deadline and call id. Backed by AsyncLocalStorage,
 * so it follows the call through awaits without being passed around.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { MAX_TIMER_MS, timerDelay } from './deadline.js';

export interface CallContext {
  /** Fires when the caller aborts, its deadline passes, or the connection drops. */
  readonly signal: AbortSignal;
  /** Epoch milliseconds by which the caller stops waiting, if it said. */
  readonly deadline: number | undefined;
  /** Identifies the call in logs: `<connection>:<request id>`, or `local` for a direct call. */
  readonly callId: string;
}

export const callStorage = new AsyncLocalStorage<CallContext>();

const neverAborted = new AbortController().signal;
const LOCAL_CONTEXT: CallContext = Object.freeze({
  signal: neverAborted,
  deadline: undefined,
  callId: 'local',
});

/** The context of the call being served, or a never-aborted local one outside a call. */
export function currentContext(): CallContext {
  return callStorage.getStore() ?? LOCAL_CONTEXT;
}

/**
 * A context whose AbortController and deadline timer exist only once someone
 * reads `signal`: most functions never do, and the hot path should not pay for it.
 */
export class LazyCallContext implements CallContext {
  readonly deadline: number | undefined;
  private readonly scope: string | number;
  private readonly request: number;
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private abortReason: Error | undefined;

  /** The call id is `<scope>:<request>`, built only when read (most calls never log it). */
  constructor(scope: string | number, request: number, deadline: number | undefined) {
    this.scope = scope;
    this.request = request;
    this.deadline = deadline;
  }

  get callId(): string {
    return `${this.scope}:${this.request}`;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason) this.controller.abort(this.abortReason);
      else if (this.deadline !== undefined) this.armDeadline(this.deadline);
    }
    return this.controller.signal;
  }

  /** A deadline further off than a Node timer holds is reached in steps of the longest timer. */
  private armDeadline(deadline: number): void {
    const remaining = deadline - Date.now();
    this.timer = setTimeout(() => (remaining > MAX_TIMER_MS ? this.armDeadline(deadline) : this.abort(deadlineError())), timerDelay(remaining));
    this.timer.unref();
  }

  get aborted(): boolean {
    return this.abortReason !== undefined;
  }

  /** Why the call was aborted, once it was. */
  get reason(): Error | undefined {
    return this.abortReason;
  }

  abort(reason: Error): void {
    if (this.abortReason) return;
    this.abortReason = reason;
    this.dispose();
    this.controller?.abort(reason);
  }

  /** Stops the deadline timer once the call is over. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** Whether `context` is a served call's and its caller went away (cancel, deadline, dropped connection). */
export function wasCancelled(context: CallContext): boolean {
  return context instanceof LazyCallContext && context.aborted;
}

/** Why a call's signal fires when its deadline passes: a TimeoutError, as AbortSignal.timeout() gives. */
class DeadlineError extends Error {
  override name = 'TimeoutError';
}

function deadlineError(): Error {
  return new DeadlineError("the caller's deadline passed");
}

/** Whether `reason` is a call's signal firing because its deadline passed. */
export function isDeadlinePassed(reason: unknown): boolean {
  return reason instanceof DeadlineError;
}

/** Why a call's signal fires when its caller went away: an AbortError, as fetch and timers use. */
export function cancelledError(message: string): Error {
  const error = new Error(message);
  error.name = 'AbortError';
  return error;
}
