/**
 * Whether an application registered an OpenTelemetry SDK, asked on every call
 * but answered from a cache: the providers are compared by identity and the
 * tracer and instruments rebuilt only when one changes. With no SDK, the
 * answer is `undefined` and a call path pays one branch.
 */
import { createNoopMeter, metrics, ProxyTracerProvider, trace, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { createInstruments, type Instruments } from './instruments.js';
import { INSTRUMENTATION_NAME, SCHEMA_URL } from './semconv.js';
import { VERSION } from '../version.js';

/** What the call paths record with, when anything records at all. */
export interface Telemetry {
  /** Set when a tracer provider is registered. */
  readonly tracer: Tracer | undefined;
  /** Set when a meter provider is registered. */
  readonly instruments: Instruments | undefined;
}

// The API's own no-op classes, to recognise "nothing registered" (they are not exported).
const NOOP_TRACER_CLASS = new ProxyTracerProvider().getDelegate().getTracer(INSTRUMENTATION_NAME).constructor;
const NOOP_METER_CLASS = createNoopMeter().constructor;

// Where @opentelemetry/api 1.x keeps its globals (shared by every copy of the API in the process):
// absent until something registers, so "no SDK at all" costs one property read.
// test/telemetry-records.test.ts fails if this stops being the key the API uses.
const API_GLOBALS = Symbol.for('opentelemetry.js.api.1');
const GLOBALS = globalThis as Record<symbol, { trace?: unknown; metrics?: unknown } | undefined>;

/**
 * True while the API has registered nothing in this process: checked instead of the global. V8
 * finds a property missing from the global object slowly (~100 ns, bench/micro/telemetry-check.mjs,
 * twice a call), and with no OpenTelemetry in use at all, that read misses on every call.
 */
let apiAbsent = watchForApiGlobals();

/**
 * Until the API's globals exist, a setter stands in their place: the API's first registration
 * (`globalThis[key] ??= { version }`, then its members) stores them through it as an ordinary
 * property, and clears `apiAbsent`. Another copy of lipmodule finds the setter there and reads the global.
 */
function watchForApiGlobals(): boolean {
  if (Object.getOwnPropertyDescriptor(globalThis, API_GLOBALS) !== undefined) return false;
  try {
    Object.defineProperty(globalThis, API_GLOBALS, {
      configurable: true,
      enumerable: false,
      get: () => undefined,
      set(value: unknown) {
        Object.defineProperty(globalThis, API_GLOBALS, { value, writable: true, enumerable: true, configurable: true });
        apiAbsent = false;
      },
    });
    return true;
  } catch {
    // A frozen global object: read the global on every call.
    return false;
  }
}

let seenTracing: unknown;
let seenMeters: unknown;
let current: Telemetry | undefined;

/** The telemetry to record with, or `undefined` when no SDK is registered (the fast path). */
export function activeTelemetry(): Telemetry | undefined {
  if (apiAbsent) return undefined;
  const globals = GLOBALS[API_GLOBALS];
  // The API in use with no provider (a context manager, a propagator): two property reads, not the API's lookups.
  if (globals === undefined || (globals.trace === undefined && globals.metrics === undefined)) return undefined;
  const tracing = tracingProvider();
  const meters = metrics.getMeterProvider();
  if (tracing !== seenTracing || meters !== seenMeters) {
    seenTracing = tracing;
    seenMeters = meters;
    current = resolve(tracing, meters);
  }
  return current;
}

/** The provider behind the global proxy: the proxy stays the same object when an SDK registers. */
function tracingProvider(): TracerProvider {
  const provider = trace.getTracerProvider();
  return provider instanceof ProxyTracerProvider ? provider.getDelegate() : provider;
}

function resolve(tracing: TracerProvider, meters: ReturnType<typeof metrics.getMeterProvider>): Telemetry | undefined {
  const candidate = tracing.getTracer(INSTRUMENTATION_NAME, VERSION, { schemaUrl: SCHEMA_URL });
  const tracer = candidate.constructor === NOOP_TRACER_CLASS ? undefined : candidate;
  const meter = meters.getMeter(INSTRUMENTATION_NAME, VERSION, { schemaUrl: SCHEMA_URL });
  const instruments = meter.constructor === NOOP_METER_CLASS ? undefined : createInstruments(meter);
  return tracer === undefined && instruments === undefined ? undefined : { tracer, instruments };
}
