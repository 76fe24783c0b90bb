/**
 * Per-function figures for the `stats` verb: counters, latency percentiles
 * over a ring of the most recent calls, and every call's latency in the
 * shared histogram buckets (fixed memory, O(1) per call). One duration per
 * call feeds both, so the percentiles and the histogram agree.
 */
import { errorStatusCode } from '../telemetry/error-type.js';
import { LatencyBuckets } from '../telemetry/latency-buckets.js';
import type { FunctionStats } from './introspection.js';

const RING = 1024;

export class CallStats {
  readonly startedAt = Date.now();
  calls = 0;
  errors = 0;
  inFlight = 0;
  cancelled = 0;
  private readonly errorsByCode: Record<string, number> = {};
  private readonly buckets = new LatencyBuckets();
  private lastError: FunctionStats['lastError'] = null;
  private readonly latencies = new Float64Array(RING);
  private recorded = 0;
  private max = 0;

  /** A call succeeded after `ms` milliseconds. */
  succeeded(ms: number): void {
    this.count(ms);
  }

  /** A call ended after `ms` milliseconds on its caller going away: counted, not an error (`cancelled` counts it). */
  abandoned(ms: number): void {
    this.count(ms);
  }

  /** A call failed after `ms` milliseconds with what it threw (which may be undefined). */
  failed(ms: number, error: unknown): void {
    this.count(ms);
    this.errors++;
    const code = errorStatusCode(error);
    this.errorsByCode[code] = (this.errorsByCode[code] ?? 0) + 1;
    this.lastError = { ...failureSummary(error), at: new Date().toISOString() };
  }

  private count(ms: number): void {
    this.calls++;
    this.latencies[this.recorded % RING] = ms;
    this.recorded++;
    if (ms > this.max) this.max = ms;
    this.buckets.record(ms);
  }

  snapshot(name: string, extra: { queued: number; cacheSize: number; cacheHits: number; cacheMisses: number }): FunctionStats {
    const n = Math.min(this.recorded, RING);
    const sorted = this.latencies.slice(0, n).sort();
    // Nearest rank (the ceil(q·n)-th smallest), the rank a histogram's quantile looks for: p50 of
    // 50 fast and 50 slow calls is a fast one, as the buckets say, not the 51st.
    const at = (q: number) => (n === 0 ? 0 : round(sorted[Math.max(0, Math.ceil(q * n) - 1)]!));
    return {
      name,
      pid: process.pid,
      uptimeMs: Date.now() - this.startedAt,
      calls: this.calls,
      errors: this.errors,
      inFlight: this.inFlight,
      queued: extra.queued,
      cache: { hits: extra.cacheHits, misses: extra.cacheMisses, size: extra.cacheSize },
      latencyMs: { p50: at(0.5), p99: at(0.99), max: round(this.max), samples: n },
      lastError: this.lastError,
      errorsByCode: { ...this.errorsByCode },
      cancelled: this.cancelled,
      latencyBuckets: this.buckets.snapshot(),
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Name and message of what a call threw, read without letting a hostile value (throwing traps or getters) throw here. */
function failureSummary(error: unknown): { name: string; message: string } {
  try {
    if (error instanceof Error) return { name: String(error.name), message: String(error.message) };
    return { name: 'NonError', message: String(error) };
  } catch {
    return { name: 'NonError', message: 'a value that could not be read' };
  }
}
