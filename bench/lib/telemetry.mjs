/**
 * What an application registers of OpenTelemetry, for the `telemetry` workload
 * (set up in a server or client process before the peer loads):
 *   api  the API in use but no SDK: a context manager and a propagator only,
 *        so the API's globals exist and every call takes the "is an SDK there?" branch
 *   sdk  a tracer provider sampling every span (batched to an exporter that
 *        drops them, as a real one would ship them elsewhere) and a meter provider
 */
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

class DroppingExporter {
  exported = 0;
  export(spans, done) {
    this.exported += spans.length;
    done({ code: 0 });
  }
  shutdown() {
    return Promise.resolve();
  }
}

class NeverCollected extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

export function setUpTelemetry(mode) {
  if (mode === 'off' || mode === undefined) return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  if (mode === 'api') return;
  if (mode !== 'sdk') throw new Error(`unknown telemetry mode ${mode}`);
  trace.setGlobalTracerProvider(new BasicTracerProvider({ sampler: new AlwaysOnSampler(), spanProcessors: [new BatchSpanProcessor(new DroppingExporter())] }));
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new NeverCollected()] }));
}
