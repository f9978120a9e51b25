// The OpenTelemetry SDK as a server would run it, exporting to memory: a meter provider with a
// periodic reader (every second) into an InMemoryMetricExporter, a tracer provider with a batch span
// processor into an InMemorySpanExporter, and the AsyncLocalStorage context manager (spans find their
// parent). The exporters are emptied every second so a long run does not grow the heap.
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';

/** Registers only the AsyncLocalStorage context manager (what an SDK setup costs before any telemetry). */
export function registerContextManager(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

/** Registers the SDK globally (before `rampart()` starts its telemetry). */
export function registerInMemorySdk(): void {
  registerContextManager();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const meterProvider = new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 1000 })],
  });
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(spanExporter)] });
  metrics.setGlobalMeterProvider(meterProvider);
  trace.setGlobalTracerProvider(tracerProvider);
  setInterval(() => {
    metricExporter.reset();
    spanExporter.reset();
  }, 1000).unref();
}
