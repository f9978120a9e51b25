import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { type Check, check, type OptionSchema, resolveOptions } from '@rampart/core';

/** Options of {@link rampartTelemetry} (`rampart({ telemetry })`). */
export interface TelemetryOptions {
  /**
   * Where the metrics go. Read when the telemetry starts (the server starts): register your SDK's
   * meter provider before that, or pass it here.
   * @default the global meter provider (`metrics.getMeterProvider()`, a no-op without an SDK)
   */
  meterProvider: MeterProvider | undefined;
  /**
   * Where the spans go.
   * @default the global tracer provider (`trace.getTracerProvider()`, a no-op without an SDK)
   */
  tracerProvider: TracerProvider | undefined;
  /**
   * When `rampart.cost.actual` is recorded: `'computed'` only when another part of Rampart already
   * computed the actual cost (the rate limiter's refund, an audit record that carries it), so telemetry
   * never pays for a walk of the response; `'always'` reads it (and walks the response when nobody else did).
   * @default 'computed'
   */
  actualCost: 'computed' | 'always';
  /**
   * At most this many distinct values per attribute that does not come from Rampart's own fixed sets
   * (`rampart.rule`, `rampart.source` of your own modules, store and JWKS names); later values are
   * recorded as `_other`. Keeps the number of time series bounded whatever clients send.
   * @default 100
   */
  maxAttributeValues: number;
  /**
   * At most this many decisions become events of one span (a denied field in a long list stays one
   * span with a bounded number of events); decisions that allowed a single field are never events.
   * @default 32
   */
  maxSpanEvents: number;
  /**
   * The instrumentation scope name of the meter and tracer.
   * @default '@rampart/telemetry'
   */
  name: string;
}

/** Every option's default. */
export const defaultTelemetryOptions: Readonly<TelemetryOptions> = Object.freeze({
  meterProvider: undefined,
  tracerProvider: undefined,
  actualCost: 'computed',
  maxAttributeValues: 100,
  maxSpanEvents: 32,
  name: '@rampart/telemetry',
});

const provider =
  (method: string): Check =>
  (v) =>
    v === undefined ||
    (typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>)[method] === 'function')
      ? undefined
      : `must have a ${method}() method (an OpenTelemetry provider)`;

const schema: OptionSchema<TelemetryOptions> = {
  meterProvider: provider('getMeter'),
  tracerProvider: provider('getTracer'),
  actualCost: check.oneOf('computed', 'always'),
  maxAttributeValues: check.integer(1, 10_000),
  maxSpanEvents: check.integer(0, 1_000),
  name: check.string(),
};

/** Checks the user's options and merges them over {@link defaultTelemetryOptions}. */
export function resolveTelemetryOptions(options?: Partial<TelemetryOptions>): Readonly<TelemetryOptions> {
  return resolveOptions('telemetry', defaultTelemetryOptions, schema, options);
}
