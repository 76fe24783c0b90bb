/**
 * The metric instruments, through the OpenTelemetry metrics API: call
 * durations in seconds per the RPC conventions, calls in flight, cache hits
 * and misses. Created once per meter provider (see active.ts).
 */
import type { Attributes, Counter, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';
import { LATENCY_BUCKETS_SECONDS } from './latency-buckets.js';
import { MetricName } from './semconv.js';

export interface Instruments {
  readonly serverDuration: Histogram<Attributes>;
  readonly clientDuration: Histogram<Attributes>;
  readonly serverActive: UpDownCounter<Attributes>;
  readonly cacheHits: Counter<Attributes>;
  readonly cacheMisses: Counter<Attributes>;
}

export function createInstruments(meter: Meter): Instruments {
  const advice = { explicitBucketBoundaries: [...LATENCY_BUCKETS_SECONDS] };
  return {
    serverDuration: meter.createHistogram(MetricName.serverDuration, {
      description: 'Measures the duration of inbound remote procedure calls (RPC).',
      unit: 's',
      advice,
    }),
    clientDuration: meter.createHistogram(MetricName.clientDuration, {
      description: 'Measures the duration of outbound remote procedure calls (RPC).',
      unit: 's',
      advice,
    }),
    serverActive: meter.createUpDownCounter(MetricName.serverActive, {
      description: 'Calls a served function is running now.',
      unit: '{call}',
    }),
    cacheHits: meter.createCounter(MetricName.cacheHits, {
      description: "Calls answered from a function's result cache.",
      unit: '{call}',
    }),
    cacheMisses: meter.createCounter(MetricName.cacheMisses, {
      description: "Calls a function's result cache could not answer.",
      unit: '{call}',
    }),
  };
}
