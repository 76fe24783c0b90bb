/**
 * What each call of one function leaves behind: its figures for the `stats`
 * verb and its log line (a failure always; a success only at debug).
 */
import type { Logger } from 'pino';
import { wasCancelled, type CallContext } from '../call/context.js';
import { LIPArgumentError } from '../errors.js';
import { CallStats } from './stats.js';

/** One call while it runs: made by `start`, handed back when it ends. */
export interface RunningCall {
  readonly started: number;
  readonly context: CallContext;
  readonly args: unknown[];
  readonly kwargs: Record<string, unknown> | null;
}

export interface CallRecorderOptions {
  name: string;
  log: Logger;
  /** Include the arguments in call log lines (the `logArgs` option). */
  logArgs: boolean;
}

export class CallRecorder {
  readonly stats = new CallStats();
  // Cached once per level change: pino swaps disabled levels for no-ops, and we skip building their arguments too.
  private debugEnabled: boolean;

  constructor(private readonly options: CallRecorderOptions) {
    const { log } = options;
    this.debugEnabled = log.isLevelEnabled('debug');
    log.on?.('level-change', () => (this.debugEnabled = log.isLevelEnabled('debug')));
  }

  start(context: CallContext, args: unknown[], kwargs: Record<string, unknown> | null): RunningCall {
    this.stats.inFlight++;
    return { started: performance.now(), context, args, kwargs };
  }

  succeeded(call: RunningCall): void {
    const ms = this.ended(call);
    this.stats.succeeded(ms);
    if (!this.debugEnabled) return;
    const { name, log, logArgs } = this.options;
    const fields = { callId: call.context.callId, ms, outcome: 'ok' };
    log.debug(logArgs ? { ...fields, args: call.args, kwargs: call.kwargs } : fields, `call '${name}'`);
  }

  failed(call: RunningCall, error: unknown): void {
    const ms = this.ended(call);
    const { name, log, logArgs } = this.options;
    const { context } = call;
    // A function that stops when its caller went away (as it should) has not failed: no error is counted.
    if (context.signal.aborted) this.stats.abandoned(ms);
    else this.stats.failed(ms, error);
    const fields = { callId: context.callId, ms, ...(logArgs ? { args: call.args, kwargs: call.kwargs } : {}) };
    // Its caller went away (cancel, deadline, dropped connection) and the function ended on that: nothing failed.
    if (context.signal.aborted)
      log.info({ ...fields, outcome: 'cancelled', err: errorSummary(context.signal.reason, { stack: false }) }, `'${name}' cancelled`);
    else if (error instanceof LIPArgumentError)
      log.warn({ ...fields, outcome: 'error', err: errorSummary(error, { stack: false }) }, `bad arguments for '${name}'`);
    // An error the function threw is an outcome the caller receives, not a fault of the server: a warning, its stack only at debug.
    else log.warn({ ...fields, outcome: 'error', err: errorSummary(error, { stack: this.debugEnabled }) }, `'${name}' failed`);
  }

  /** No longer in flight; how long it took, in ms. */
  private ended(call: RunningCall): number {
    this.stats.inFlight--;
    if (wasCancelled(call.context)) this.stats.cancelled++;
    return performance.now() - call.started;
  }
}

/** Name, code and message of what a function threw (and its stack, when asked). */
function errorSummary(error: unknown, include: { stack: boolean }): { name: string; message: string; code?: unknown; stack?: string } {
  if (!(error instanceof Error)) return { name: typeof error, message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, ...(code === undefined ? {} : { code }), ...(include.stack && error.stack ? { stack: error.stack } : {}) };
}
