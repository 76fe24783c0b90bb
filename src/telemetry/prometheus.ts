/**
 * The Prometheus text exposition of functions' `stats`, for `lip metrics`
 * (node_exporter's textfile collector) and `lip serve --metrics` (GET /metrics).
 * prom-client writes the text; it is loaded only when an exposition is asked for.
 */
import type { FunctionStats } from '../function/introspection.js';
import type { LatencyBucketsSnapshot } from './latency-buckets.js';

/**
 * What the exposition reads: the `stats` verb's answer. The figures added with
 * issue 16 are optional, for an older server's answer: a series is left out,
 * never invented, when they are missing.
 */
export type MetricsSource = Omit<FunctionStats, LaterFigures> & Partial<Pick<FunctionStats, LaterFigures>>;

type LaterFigures = 'errorsByCode' | 'cancelled' | 'latencyBuckets';

/** The Content-Type of what `metricsExposition` returns. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const FUNCTION = 'function';

/** The exposition of every function in `sources` (one `function` label per function). */
export async function metricsExposition(sources: readonly MetricsSource[]): Promise<string> {
  const { Counter, Gauge, Registry } = await import('prom-client');
  const registry = new Registry();
  const registers = [registry];
  const calls = new Counter({ name: 'lipmodule_calls_total', help: 'Calls the function finished, failed ones included.', labelNames: [FUNCTION], registers });
  const errors = new Counter({
    name: 'lipmodule_errors_total',
    help: 'Calls that failed, by error code when the server reports it.',
    labelNames: [FUNCTION, 'code'],
    registers,
  });
  const cancelled = new Counter({
    name: 'lipmodule_cancelled_calls_total',
    help: 'Calls cancelled because their caller aborted, timed out or went away.',
    labelNames: [FUNCTION],
    registers,
  });
  const inFlight = new Gauge({ name: 'lipmodule_calls_in_flight', help: 'Calls running now.', labelNames: [FUNCTION], registers });
  const queued = new Gauge({ name: 'lipmodule_calls_queued', help: 'Calls waiting for a concurrency slot.', labelNames: [FUNCTION], registers });
  const hits = new Counter({ name: 'lipmodule_cache_hits_total', help: 'Calls answered from the result cache.', labelNames: [FUNCTION], registers });
  const misses = new Counter({ name: 'lipmodule_cache_misses_total', help: 'Calls the result cache could not answer.', labelNames: [FUNCTION], registers });
  const entries = new Gauge({ name: 'lipmodule_cache_entries', help: 'Results held in the cache.', labelNames: [FUNCTION], registers });
  const started = new Gauge({
    name: 'lipmodule_start_time_seconds',
    help: 'When the server started, in seconds since the Unix epoch.',
    labelNames: [FUNCTION],
    registers,
  });
  const duration = new BucketsHistogram('lipmodule_call_duration_seconds', 'How long calls took, in seconds.');
  for (const source of sources) {
    const labels = { [FUNCTION]: source.name };
    calls.inc(labels, source.calls);
    if (source.errorsByCode) for (const [code, n] of Object.entries(source.errorsByCode)) errors.inc({ ...labels, code }, n);
    else errors.inc(labels, source.errors);
    if (source.cancelled !== undefined) cancelled.inc(labels, source.cancelled);
    inFlight.set(labels, source.inFlight);
    queued.set(labels, source.queued);
    hits.inc(labels, source.cache.hits);
    misses.inc(labels, source.cache.misses);
    entries.set(labels, source.cache.size);
    started.set(labels, Math.round((Date.now() - source.uptimeMs) / 1000));
    if (source.latencyBuckets) duration.add(labels, source.latencyBuckets);
  }
  if (duration.hasValues()) registry.registerMetric(duration as never);
  return registry.metrics();
}

interface SampleValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * A histogram whose buckets are already counted (by the server, in the shared
 * boundaries): prom-client's own Histogram only takes observations, so this
 * hands it the samples through the metric interface its Registry formats.
 */
class BucketsHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly values: SampleValue[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  add(labels: Record<string, string>, snapshot: LatencyBucketsSnapshot): void {
    let cumulative = 0;
    snapshot.boundsSeconds.forEach((bound, i) => {
      cumulative += snapshot.counts[i] ?? 0;
      this.values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: bound }, value: cumulative });
    });
    this.values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: snapshot.count });
    this.values.push({ metricName: `${this.name}_sum`, labels, value: snapshot.sumSeconds });
    this.values.push({ metricName: `${this.name}_count`, labels, value: snapshot.count });
  }

  hasValues(): boolean {
    return this.values.length > 0;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: SampleValue[] } {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.values };
  }
}
