/**
 * Call latency in fixed buckets, the one set of boundaries the OpenTelemetry
 * histograms, the `stats` verb and the Prometheus exposition share, so their
 * figures agree on the same calls.
 */

/**
 * Upper bounds in seconds: the conventions' advice for rpc.*.call.duration
 * (5 ms … 10 s), preceded by finer ones because a call on a Unix socket takes
 * tens of microseconds and would otherwise all land in the first bucket.
 */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

const BOUNDS_MS = Float64Array.from(LATENCY_BUCKETS_SECONDS, (s) => s * 1000);

/** What the `stats` verb reports of the histogram: counts per bucket (not cumulative), the last one above every bound. */
export interface LatencyBucketsSnapshot {
  /** Upper bounds in seconds, as LATENCY_BUCKETS_SECONDS. */
  boundsSeconds: readonly number[];
  /** `counts[i]` calls took at most `boundsSeconds[i]` and more than the bound before; one more entry for the rest. */
  counts: number[];
  /** Sum of every call's duration, in seconds. */
  sumSeconds: number;
  count: number;
}

/** Counts per bucket since the start: fixed memory, no allocation per call. */
export class LatencyBuckets {
  private readonly counts = new Float64Array(BOUNDS_MS.length + 1);
  private sumMs = 0;
  private total = 0;

  record(ms: number): void {
    this.counts[bucketIndex(ms)]!++;
    this.sumMs += ms;
    this.total++;
  }

  snapshot(): LatencyBucketsSnapshot {
    return {
      boundsSeconds: LATENCY_BUCKETS_SECONDS,
      counts: Array.from(this.counts),
      sumSeconds: this.sumMs / 1000,
      count: this.total,
    };
  }
}

/** The bucket `ms` falls in (bounds are inclusive upper bounds, as Prometheus' `le`). */
export function bucketIndex(ms: number): number {
  let low = 0;
  let high = BOUNDS_MS.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (ms <= BOUNDS_MS[middle]!) high = middle;
    else low = middle + 1;
  }
  return low;
}
