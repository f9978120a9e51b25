/**
 * `OTEL=console`: the OpenTelemetry SDK with console exporters, registered globally before the shop
 * starts, so `rampart()`'s telemetry (on by default, through the global API) has somewhere to go.
 * Metrics are printed every `OTEL_METRIC_EXPORT_INTERVAL` ms (default 10,000), spans in batches.
 * Without `OTEL`, nothing is registered and Rampart's telemetry is a no-op.
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ConsoleMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, ConsoleSpanExporter } from '@opentelemetry/sdk-trace-base';

/** Flushes and stops what {@link startTelemetry} registered. */
export type StopTelemetry = () => Promise<void>;

/** Registers the SDK `OTEL` asks for (`console`), or nothing when `OTEL` is unset. */
export function startTelemetry(otel: string | undefined = process.env.OTEL): StopTelemetry | undefined {
  if (otel === undefined || otel === '') return undefined;
  if (otel !== 'console') throw new Error(`OTEL must be "console" (or unset), got ${JSON.stringify(otel)}`);
  const interval = Number(process.env.OTEL_METRIC_EXPORT_INTERVAL ?? 10_000);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({ exporter: new ConsoleMetricExporter(), exportIntervalMillis: interval }),
    ],
  });
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(new ConsoleSpanExporter())],
  });
  metrics.setGlobalMeterProvider(meterProvider);
  trace.setGlobalTracerProvider(tracerProvider);
  return async () => {
    await Promise.allSettled([meterProvider.shutdown(), tracerProvider.shutdown()]);
  };
}
