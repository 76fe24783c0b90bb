/**
 * Per-function figures for the `stats` verb: counters plus latency
 * percentiles over a ring of the most recent calls (fixed memory, O(1) per call).
 */
import type { FunctionStats } from './introspection.js';

const RING = 1024;

export class CallStats {
  readonly startedAt = Date.now();
  calls = 0;
  errors = 0;
  inFlight = 0;
  private lastError: FunctionStats['lastError'] = null;
  private readonly latencies = new Float64Array(RING);
  private recorded = 0;
  private max = 0;

  /** A call succeeded after `ms` milliseconds. */
  succeeded(ms: number): void {
    this.count(ms);
  }

  /** A call failed after `ms` milliseconds with what it threw (which may be undefined). */
  failed(ms: number, error: unknown): void {
    this.count(ms);
    this.errors++;
    const e = error instanceof Error ? error : undefined;
    this.lastError = {
      name: e?.name ?? 'NonError',
      message: e?.message ?? String(error),
      at: new Date().toISOString(),
    };
  }

  private count(ms: number): void {
    this.calls++;
    this.latencies[this.recorded % RING] = ms;
    this.recorded++;
    if (ms > this.max) this.max = ms;
  }

  snapshot(name: string, extra: { queued: number; cacheSize: number; cacheHits: number; cacheMisses: number }): FunctionStats {
    const n = Math.min(this.recorded, RING);
    const sorted = this.latencies.slice(0, n).sort();
    const at = (q: number) => (n === 0 ? 0 : round(sorted[Math.min(n - 1, Math.floor(q * n))]!));
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
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
