/** The shapes the built-in `info` and `stats` verbs answer with. */
import type { LatencyBucketsSnapshot } from '../telemetry/latency-buckets.js';

export interface ParamInfo {
  /** Parameter name; destructured parameters are shown as `{…}` or `[…]`. */
  name: string;
  /** May be left out: it has a default value, or is marked `?` in its TypeScript source. */
  optional: boolean;
  /** The default value's source text, e.g. `'member'`. */
  default?: string;
  /** The type as written in the TypeScript source, when that source could be read. */
  type?: string;
  /** A rest parameter (`...args`): takes the remaining positional arguments. */
  rest: boolean;
  /** Destructured: can only be passed positionally. */
  positionalOnly?: boolean;
}

export interface FunctionInfo {
  name: string;
  doc: string | null;
  params: ParamInfo[];
  /** Names only, `?` marking an optional parameter: `greet(name, title?, ...marks)`. */
  signature: string;
  /** The return type as written in the TypeScript source, when that source could be read and has one. */
  returns?: string;
  /** The function's own version (the `version` option). */
  version: string;
  /** The library serving it, e.g. `lipmodule/0.1.0`. */
  lib: string;
  pid: number;
  /** ISO time the server started. */
  startedAt: string;
  /** Whether the function streams (an async generator). */
  streaming: boolean;
  cache: { enabled: boolean; max: number; ttlMs: number };
  /** Declared safe to run twice (the `idempotent` option): a NATS client retries it on another replica. */
  idempotent: boolean;
  /** JSON Schema of the arguments, when the `schema` validator can produce one. */
  schema?: unknown;
}

export interface FunctionStats {
  name: string;
  pid: number;
  uptimeMs: number;
  calls: number;
  errors: number;
  inFlight: number;
  queued: number;
  cache: { hits: number; misses: number; size: number };
  /**
   * Percentiles of the last `samples` calls (at most 1024), nearest-rank as a histogram ranks
   * them: the same durations `latencyBuckets` counts, so both put p50 and p99 in the same bucket.
   */
  latencyMs: { p50: number; p99: number; max: number; samples: number };
  lastError: { name: string; message: string; at: string } | null;
  /** Failed calls by ERR_LIP_* code; what the function threw itself is under ERR_LIP_REMOTE. */
  errorsByCode: Record<string, number>;
  /** Calls whose caller went away before the answer (cancelled, timed out, disconnected), however the function ended. */
  cancelled: number;
  /** Every call's duration since the start, in the buckets the Prometheus and OpenTelemetry histograms use. */
  latencyBuckets: LatencyBucketsSnapshot;
}
