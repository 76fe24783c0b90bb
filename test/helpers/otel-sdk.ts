/**
 * The real OpenTelemetry SDK, registered globally the way an application would:
 * a tracer provider with the in-memory exporter, the AsyncLocalStorage context
 * manager, a meter provider whose reader the test collects on demand.
 * No global propagator: lipmodule must carry W3C trace context by itself.
 */
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

class OnDemandReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

export interface TestSdk {
  readonly spans: InMemorySpanExporter;
  /** Every metric recorded so far (cumulative). */
  collectMetrics(): Promise<ResourceMetrics>;
  /** Unregisters everything, as if no SDK had been there. */
  shutdown(): Promise<void>;
}

export function registerTestSdk(options: { tracing?: boolean; metrics?: boolean } = {}): TestSdk {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const reader = new OnDemandReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  if (options.tracing !== false) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(tracerProvider);
  }
  if (options.metrics !== false) metrics.setGlobalMeterProvider(meterProvider);
  return {
    spans,
    async collectMetrics() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw errors[0];
      return resourceMetrics;
    },
    async shutdown() {
      trace.disable();
      metrics.disable();
      context.disable();
      propagation.disable();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

/** The data points of metric `name`, with their attributes. */
export function metricPoints(resourceMetrics: ResourceMetrics, name: string): { attributes: Record<string, unknown>; value: unknown }[] {
  return resourceMetrics.scopeMetrics.flatMap((scope) =>
    scope.metrics
      .filter((metric) => metric.descriptor.name === name)
      .flatMap((metric) => metric.dataPoints.map((point) => ({ attributes: point.attributes, value: point.value }))),
  );
}
