/**
 * The Prometheus text exposition of functions' `stats`, for `lip metrics`
 * (node_exporter's textfile collector) and `lip serve --metrics` (GET /metrics).
 * prom-client writes the text; it is loaded only when an exposition is asked for.
 */
import type { FunctionStats } from '../function/introspection.js';
import type { LatencyBucketsSnapshot } from './latency-buckets.js';
import { checkStats, type StatsWarning } from './stats-check.js';

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

/** Options of `metricsExposition`. */
export interface ExpositionOptions {
  /**
   * Told of each figure left out because no server could have counted it (negative, fractional,
   * not a number, beyond 2^53; a histogram whose counts don't add up) and of made-up error codes
   * (counted as ERR_LIP_REMOTE), one line each: the sources may be other processes' answers.
   * @default nothing is told
   */
  onWarning?: StatsWarning;
}

/**
 * The exposition of every function in `sources` (one `function` label per function). Each
 * figure is checked first (`ExpositionOptions.onWarning`): what fails is left out, never written.
 */
export async function metricsExposition(sources: readonly MetricsSource[], options: ExpositionOptions = {}): Promise<string> {
  const warn = options.onWarning ?? (() => {});
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
  const now = Date.now();
  for (const source of sources) {
    const figures = checkStats(source, warn, now);
    if (!figures) continue;
    const labels = { [FUNCTION]: figures.name };
    if (figures.calls !== undefined) calls.inc(labels, figures.calls);
    if (figures.errorsByCode) for (const [code, n] of Object.entries(figures.errorsByCode)) errors.inc({ ...labels, code }, n);
    else if (figures.errors !== undefined) errors.inc(labels, figures.errors);
    if (figures.cancelled !== undefined) cancelled.inc(labels, figures.cancelled);
    if (figures.inFlight !== undefined) inFlight.set(labels, figures.inFlight);
    if (figures.queued !== undefined) queued.set(labels, figures.queued);
    if (figures.cacheHits !== undefined) hits.inc(labels, figures.cacheHits);
    if (figures.cacheMisses !== undefined) misses.inc(labels, figures.cacheMisses);
    if (figures.cacheSize !== undefined) entries.set(labels, figures.cacheSize);
    if (figures.startTime !== undefined) started.set(labels, figures.startTime);
    if (figures.latencyBuckets) duration.add(labels, figures.latencyBuckets);
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
