/**
 * The real OpenTelemetry SDK with in-memory readers, for the telemetry tests: a meter provider whose
 * reader is collected on demand, a tracer provider exporting to an in-memory exporter, and the
 * AsyncLocalStorage context manager (so spans find their parent).
 */
import { type Attributes, context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { type DataPoint, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

/** A reader collected by hand (no timer). */
class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** One data point, flattened. */
export interface Point {
  readonly attributes: Attributes;
  /** The sum of a counter, the count of a histogram, the value of a gauge. */
  readonly value: number;
  /** A histogram's sum. */
  readonly sum?: number;
}

/** The SDK pieces of one test file. */
export interface TestSdk {
  readonly meterProvider: MeterProvider;
  readonly tracerProvider: BasicTracerProvider;
  readonly spans: InMemorySpanExporter;
  /** Every data point of `name` now. */
  points(name: string): Promise<Point[]>;
  /** The value of the data point of `name` whose attributes are exactly `attributes` (0 when none). */
  value(name: string, attributes: Attributes): Promise<number>;
  shutdown(): Promise<void>;
}

let contextManager: AsyncLocalStorageContextManager | undefined;

/** Starts an SDK (and, once per process, the global context manager). */
export function startSdk(): TestSdk {
  if (contextManager === undefined) {
    contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
  }
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const points = async (name: string): Promise<Point[]> => {
    const { resourceMetrics } = await reader.collect();
    const out: Point[] = [];
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        if (metric.descriptor.name !== name) continue;
        for (const p of metric.dataPoints as DataPoint<unknown>[]) {
          const v = p.value as number | { count: number; sum?: number };
          out.push(
            typeof v === 'number'
              ? { attributes: p.attributes, value: v }
              : { attributes: p.attributes, value: v.count, ...(v.sum !== undefined ? { sum: v.sum } : {}) },
          );
        }
      }
    }
    return out;
  };
  return {
    meterProvider,
    tracerProvider,
    spans,
    points,
    async value(name, attributes) {
      const want = JSON.stringify(sorted(attributes));
      const hit = (await points(name)).find((p) => JSON.stringify(sorted(p.attributes)) === want);
      return hit?.value ?? 0;
    },
    async shutdown() {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
}

/** Attributes with sorted keys (for comparison). */
export function sorted(attributes: Attributes): Attributes {
  return Object.fromEntries(Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b)));
}
