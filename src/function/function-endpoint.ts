/**
 * The call path of one served function, local or remote: bind the arguments
 * to its parameters, validate them with the schema, wait at the concurrency
 * gate, go through the result cache, call it; and record how the call ended.
 * What a transport calls (the Endpoint).
 */
import type { Logger } from 'pino';
import type { CallContext } from '../call/context.js';
import { isAsyncIterable, isPromiseLike, onIterationEnd, type Endpoint } from '../call/endpoint.js';
import { type Binder, createBinder } from './binding.js';
import { CallRecorder, type RunningCall } from './call-recorder.js';
import { ConcurrencyGate } from './concurrency-gate.js';
import { FunctionDescription, isAsyncGeneratorFunction } from './description.js';
import type { FunctionInfo, FunctionStats } from './introspection.js';
import type { LIPModuleOptions } from './options.js';
import { ResultCache } from './result-cache.js';
import { validateArguments } from './schema.js';

type AnyFunction = (...args: never[]) => unknown;

const DEFAULT_MAX_QUEUE = 1000;

export interface FunctionEndpointOptions {
  fn: AnyFunction;
  name: string;
  options: LIPModuleOptions;
  /** Where LIPModule was called and the function wrapped: its docs and types are read from there. */
  callSites: (Error | undefined)[];
  /** `this` of a decorated method: its instance. */
  thisArg?: unknown;
  log: Logger;
}

export class FunctionEndpoint implements Endpoint {
  readonly name: string;
  readonly streaming: boolean;
  readonly description: FunctionDescription;
  private readonly fn: AnyFunction;
  private readonly thisArg: unknown;
  private readonly schema: LIPModuleOptions['schema'];
  private readonly recorder: CallRecorder;
  private readonly gate: ConcurrencyGate | undefined;
  private readonly cache: ResultCache | undefined;
  private binder: Binder | undefined;
  // Made once: the gate takes a function and its input, not a closure per call.
  private readonly callBound = (bound: unknown[]): unknown => this.apply(this.thisArg, bound);

  constructor({ fn, name, options, callSites, thisArg, log }: FunctionEndpointOptions) {
    this.fn = fn;
    this.name = name;
    this.thisArg = thisArg;
    this.schema = options.schema;
    this.streaming = isAsyncGeneratorFunction(fn);
    this.recorder = new CallRecorder({ name, log, logArgs: options.logArgs === true });
    this.description = new FunctionDescription({ fn, name, options, callSites, startedAt: this.recorder.stats.startedAt });
    this.cache = options.lru ? new ResultCache({ method: name, max: options.lruMax ?? 0, ttlMs: options.lruTtlMs ?? 0, clock: options.clock }) : undefined;
    this.gate = options.concurrency ? new ConcurrencyGate({ name, limit: options.concurrency, maxQueue: options.maxQueue ?? DEFAULT_MAX_QUEUE }) : undefined;
  }

  /** Calls running now (streams until their iteration ends). */
  get inFlight(): number {
    return this.recorder.stats.inFlight;
  }

  /** A direct call of the wrapper: positional, through the cache when `lru` is on. */
  callLocal(thisArg: unknown, args: unknown[]): unknown {
    return this.apply(this.thisArg ?? thisArg, args);
  }

  invoke(args: unknown[], kwargs: Record<string, unknown> | null, context: CallContext): unknown {
    const call = this.recorder.start(context, args, kwargs);
    let result: unknown;
    try {
      const bound = this.argumentBinder().bind(args, kwargs);
      result = this.schema ? this.validateThenAdmit(bound, context) : this.admit(bound, context);
    } catch (error) {
      this.recorder.failed(call, error);
      throw error;
    }
    return isPromiseLike(result) ? this.settleLater(result, call) : this.settled(result, call);
  }

  doc(): string | null {
    return this.description.doc();
  }

  /**
   * Reads the parameters now, so the first call doesn't: `init()` calls it in the idle turn after
   * listening, while the first client connects. Reading them again is free.
   */
  prepare(): void {
    this.argumentBinder();
  }

  // Made once: which parameters are optional may come from reading the TypeScript source.
  private argumentBinder(): Binder {
    this.binder ??= createBinder(this.description.signature().params, this.description.sourceless());
    return this.binder;
  }

  info(): FunctionInfo {
    return this.description.info();
  }

  stats(): FunctionStats {
    return this.recorder.stats.snapshot(this.name, {
      queued: this.gate?.queued ?? 0,
      cacheSize: this.cache?.size ?? 0,
      cacheHits: this.cache?.hits ?? 0,
      cacheMisses: this.cache?.misses ?? 0,
    });
  }

  // Apart from invoke: a closure there would make every call allocate its scope, even a synchronous one.
  private validateThenAdmit(bound: unknown[], context: CallContext): unknown {
    const valid = validateArguments(this.schema!, bound);
    return isPromiseLike(valid) ? Promise.resolve(valid).then((checked) => this.admit(checked, context)) : this.admit(valid, context);
  }

  private settleLater(result: PromiseLike<unknown>, call: RunningCall): Promise<unknown> {
    return Promise.resolve(result).then(
      (value) => this.settled(value, call),
      (error: unknown) => {
        this.recorder.failed(call, error);
        throw error;
      },
    );
  }

  /** A value is done now; a stream is done (for figures and logs) when its iteration ends. */
  private settled(value: unknown, call: RunningCall): unknown {
    if (isAsyncIterable(value)) {
      return onIterationEnd(value, (failed, error) => (failed ? this.recorder.failed(call, error) : this.recorder.succeeded(call)));
    }
    this.recorder.succeeded(call);
    return value;
  }

  /** Runs the call now, or at the concurrency gate when `concurrency` is set. */
  private admit(bound: unknown[], context: CallContext): unknown {
    return this.gate ? this.gate.run(this.callBound, bound, context.signal) : this.apply(this.thisArg, bound);
  }

  private apply(target: unknown, args: unknown[]): unknown {
    if (!this.cache || this.streaming) return this.fn.apply(target, args as never[]);
    const key = this.cache.keyFor(args);
    if (key === undefined) return this.fn.apply(target, args as never[]);
    return this.cache.through(key, () => this.fn.apply(target, args as never[]));
  }
}
