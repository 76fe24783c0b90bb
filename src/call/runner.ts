/**
 * Runs one call of an Endpoint, the same way whichever transport brought it:
 * inside its context (so `LIPModule.context()` works, also in generators),
 * counted in flight from start to answer, its answer written to the
 * transport's sink (sink.ts). A stream is collected into one reply, or sent
 * item by item as the caller takes them. With an OpenTelemetry SDK registered,
 * each call also gets a SERVER span continuing its caller's trace, and runs in
 * it (traced-sink.ts); with none, that costs one check per call.
 */
import { context as otelContext, type Context } from '@opentelemetry/api';
import { callStorage, type LazyCallContext } from './context.js';
import { collectInContext, roughSize } from './collect.js';
import { isAsyncIterable, isPromiseLike, type Endpoint } from './endpoint.js';
import type { InFlight } from './in-flight.js';
import { AbortRace, nextStep, stopIterator } from './iteration.js';
import type { CallSink, StreamSink } from './sink.js';
import { TracedSink } from './traced-sink.js';
import { ownFault } from '../errors.js';
import { nextTurn, onNextTurn, sliceUsedUp } from '../event-loop-turn.js';
import { activeTelemetry, type Telemetry } from '../telemetry/active.js';
import { ServerCallRecord } from '../telemetry/call-record.js';
import { isTraceCarrier } from '../telemetry/propagation.js';
import type { RpcTarget } from '../telemetry/rpc-target.js';

export interface CallRunnerOptions {
  endpoint: Endpoint;
  /** Counts each call from its start to its answer: what a drain waits for. */
  inFlight: InFlight;
  /** How telemetry names this transport's calls; asked at the first traced call (a socket's path is known only once it listens). */
  rpcTarget: () => RpcTarget;
}

type Kwargs = Record<string, unknown> | null;

/** Replies bigger than this (by a cheap lower bound) wait for the next turn when the event loop's slice is used up. */
const DEFER_REPLIES_ABOVE = 64 * 1024;

export class CallRunner {
  private readonly endpoint: Endpoint;
  private readonly inFlight: InFlight;
  private readonly describeTarget: () => RpcTarget;
  private target: RpcTarget | undefined;

  constructor(options: CallRunnerOptions) {
    this.endpoint = options.endpoint;
    this.inFlight = options.inFlight;
    this.describeTarget = options.rpcTarget;
  }

  /** Runs a call with one answer: `sink.result` or `sink.error`, once. */
  run(sink: CallSink, args: unknown[], kwargs: Kwargs): void {
    this.inFlight.start();
    const telemetry = activeTelemetry();
    if (telemetry !== undefined) sink = this.traced(telemetry, sink, { stream: false });
    let result: unknown;
    try {
      result = callStorage.run(sink.context, telemetry === undefined ? invokeEndpoint : invokeTraced, this.endpoint, args, kwargs, sink);
    } catch (error) {
      this.fail(sink, error);
      return;
    }
    if (isPromiseLike(result)) {
      result.then(
        (value) => this.settle(sink, value),
        (error: unknown) => this.fail(sink, error),
      );
    } else this.settle(sink, result);
  }

  /**
   * Runs a call whose values go out one by one, as `sink.room()` allows: `sink.item` per
   * value (a plain value is one item), then `sink.end`, or `sink.error`, once.
   */
  async stream(sink: StreamSink, args: unknown[], kwargs: Kwargs): Promise<void> {
    this.inFlight.start();
    const telemetry = activeTelemetry();
    if (telemetry !== undefined) sink = this.traced(telemetry, sink, { stream: true });
    const traceContext = sink instanceof TracedSink ? sink.record.context : undefined;
    const context = sink.context;
    let iterator: AsyncIterator<unknown> | undefined;
    // What failed: the function (its promise or its generator) or us (an item that can't be sent).
    let functionFailed = true;
    let failed = false;
    let thrown: unknown;
    try {
      const produced = callStorage.run(context, traceContext ? invokeTraced : invokeEndpoint, this.endpoint, args, kwargs, sink);
      const value = isPromiseLike(produced) ? await produced : produced;
      functionFailed = false;
      if (!isAsyncIterable(value)) {
        if (!context.aborted) sink.item(value);
      } else {
        iterator = value[Symbol.asyncIterator]();
        // A generator stuck between two yields must not keep a cancelled call open.
        const aborted = new AbortRace(context.signal);
        for (;;) {
          if (!(await readyToProduce(sink, aborted))) break;
          let step: IteratorResult<unknown> | undefined;
          try {
            // The generator's body runs in the context of whoever calls next(): the call's, and its span's.
            step = await aborted.race(
              traceContext ? callStorage.run(context, nextStepTraced, iterator, traceContext) : callStorage.run(context, nextStep, iterator),
            );
          } catch (error) {
            iterator = undefined; // it threw: the generator is already closed
            functionFailed = true;
            throw error;
          }
          if (step === undefined || context.aborted) break;
          if (step.done) {
            iterator = undefined;
            break;
          }
          // Streams woken together all found the slice fresh before any produced: ask again before encoding.
          while (sliceUsedUp() && !context.aborted) await nextTurn();
          if (context.aborted || !sink.open) break;
          sink.item(step.value);
        }
      }
    } catch (error) {
      failed = true;
      thrown = functionFailed ? error : ownFault(error);
    } finally {
      // Stops the generator early (its `finally` runs) when the caller went away or an item failed.
      if (iterator) stopIterator(iterator);
    }
    try {
      if (failed) sink.error(thrown);
      else sink.end();
    } finally {
      this.finish(sink.context);
    }
  }

  /** The sink that also ends the call's span and measures it. */
  private traced(telemetry: Telemetry, sink: CallSink | StreamSink, kind: { stream: boolean }): TracedSink {
    const carrier = sink.traceCarrier;
    const target = (this.target ??= this.describeTarget());
    return new TracedSink(sink, new ServerCallRecord(telemetry, target, isTraceCarrier(carrier) ? carrier : undefined), kind);
  }

  /** Passes a plain value on, or collects a stream first. */
  private settle(sink: CallSink, value: unknown): void {
    if (!isAsyncIterable(value)) {
      this.succeed(sink, sink.wantsList === true ? [value] : value);
      return;
    }
    const collecting =
      sink instanceof TracedSink
        ? otelContext.with(sink.record.context, collectInContext, undefined, value, sink.context, sink.collecting)
        : collectInContext(value, sink.context, sink.collecting);
    collecting.then(
      (items) => this.succeed(sink, items),
      (error: unknown) => this.fail(sink, error),
    );
  }

  private succeed(sink: CallSink, value: unknown): void {
    // Many calls ending at once (timers due together) would encode all their big replies in one go:
    // past the turn's slice, a big reply waits for the next turn (and asks again then). Small ones
    // cost next to nothing and are never held back behind big ones.
    if (roughSize(value) > DEFER_REPLIES_ABOVE && sliceUsedUp()) {
      onNextTurn(() => this.succeed(sink, value));
      return;
    }
    try {
      sink.result(value);
    } finally {
      this.finish(sink.context);
    }
  }

  private fail(sink: CallSink, error: unknown): void {
    try {
      sink.error(error);
    } finally {
      this.finish(sink.context);
    }
  }

  private finish(context: LazyCallContext): void {
    context.dispose();
    this.inFlight.finish();
  }
}

/**
 * Waits until the stream may produce its next item: the sink has room (the caller's credit, the
 * socket's backlog) and the event loop's slice has time left (a generator with no await of its
 * own, or many streams woken at once, would keep every other socket waiting). Each is asked
 * again after any wait. False if the call ended.
 */
async function readyToProduce(sink: StreamSink, aborted: AbortRace): Promise<boolean> {
  for (;;) {
    if (sink.context.aborted || !sink.open) return false;
    const wait = sink.room();
    if (wait) await aborted.race(wait);
    else if (sliceUsedUp()) await nextTurn();
    else return true;
  }
}

// Module-level, so running a call inside its context allocates no closure.
function invokeEndpoint(endpoint: Endpoint, args: unknown[], kwargs: Kwargs, sink: CallSink | StreamSink): unknown {
  return endpoint.invoke(args, kwargs, sink.context);
}

/** Also inside the call's span: what the function calls through LIPClient becomes its child. */
function invokeTraced(endpoint: Endpoint, args: unknown[], kwargs: Kwargs, sink: CallSink | StreamSink): unknown {
  return otelContext.with((sink as TracedSink).record.context, invokeEndpoint, undefined, endpoint, args, kwargs, sink);
}

function nextStepTraced(iterator: AsyncIterator<unknown>, traceContext: Context): Promise<IteratorResult<unknown>> {
  return otelContext.with(traceContext, nextStep, undefined, iterator);
}
