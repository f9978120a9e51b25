/**
 * Every metric Rampart records, created once from a meter. Names and units follow OpenTelemetry's
 * semantic-convention style (dot-separated, `s` for durations, `By` for bytes, `{unit}` annotations).
 */
import type { Counter, Histogram, Meter, ObservableGauge, UpDownCounter } from '@opentelemetry/api';

/** Bucket boundaries (seconds) for the time spent in Rampart and in a store: 50 µs to 1 s. */
const SECONDS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
/** Bucket boundaries for cost figures. */
const COST = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 50_000, 100_000];
/** Bucket boundaries for depth. */
const DEPTH = [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30, 50];

/** Metric names (the README lists each with its attributes). */
export const METRIC = Object.freeze({
  decisions: 'rampart.decisions',
  costEstimated: 'rampart.cost.estimated',
  costActual: 'rampart.cost.actual',
  depth: 'rampart.operation.depth',
  requestDuration: 'rampart.request.duration',
  phaseDuration: 'rampart.phase.duration',
  storeDuration: 'rampart.store.duration',
  storeUp: 'rampart.store.up',
  jwksFetches: 'rampart.jwks.fetches',
  auditRecords: 'rampart.audit.records',
  auditBytes: 'rampart.audit.bytes',
  auditErrors: 'rampart.audit.write_errors',
  auditQueue: 'rampart.audit.queue.depth',
  subscriptions: 'rampart.subscriptions.open',
  anomalies: 'rampart.anomalies',
});

/** The instruments. */
export interface Instruments {
  readonly decisions: Counter;
  readonly costEstimated: Histogram;
  readonly costActual: Histogram;
  readonly depth: Histogram;
  readonly requestDuration: Histogram;
  readonly phaseDuration: Histogram;
  readonly storeDuration: Histogram;
  readonly storeUp: ObservableGauge;
  readonly jwksFetches: Counter;
  readonly auditRecords: Counter;
  readonly auditBytes: Counter;
  readonly auditErrors: Counter;
  readonly auditQueue: ObservableGauge;
  readonly subscriptions: UpDownCounter;
  readonly anomalies: Counter;
}

/** Creates every instrument on `meter`. */
export function createInstruments(meter: Meter): Instruments {
  const histogram = (name: string, unit: string, description: string, bounds: number[]) =>
    meter.createHistogram(name, { unit, description, advice: { explicitBucketBoundaries: bounds } });
  return {
    decisions: meter.createCounter(METRIC.decisions, {
      unit: '{decision}',
      description: 'Decisions taken by Rampart, by source, outcome, error code and rule',
    }),
    costEstimated: histogram(METRIC.costEstimated, '{cost}', 'Estimated cost of operations', COST),
    costActual: histogram(METRIC.costActual, '{cost}', 'Actual cost of operations (when computed)', COST),
    depth: histogram(METRIC.depth, '{level}', 'Depth of operations', DEPTH),
    requestDuration: histogram(METRIC.requestDuration, 's', 'Time spent in Rampart per operation', SECONDS),
    phaseDuration: histogram(METRIC.phaseDuration, 's', 'Time spent in each Rampart phase', SECONDS),
    storeDuration: histogram(METRIC.storeDuration, 's', 'Rate-limit store round-trip time', SECONDS),
    storeUp: meter.createObservableGauge(METRIC.storeUp, {
      unit: '1',
      description: '1 while the rate-limit store answers, 0 after a failed call until one succeeds',
    }),
    jwksFetches: meter.createCounter(METRIC.jwksFetches, {
      unit: '{fetch}',
      description: 'Remote JWKS fetches, by outcome (success, failure)',
    }),
    auditRecords: meter.createCounter(METRIC.auditRecords, { unit: '{record}', description: 'Audit records written' }),
    auditBytes: meter.createCounter(METRIC.auditBytes, { unit: 'By', description: 'Bytes of audit records written' }),
    auditErrors: meter.createCounter(METRIC.auditErrors, { unit: '{error}', description: 'Failed audit writes' }),
    auditQueue: meter.createObservableGauge(METRIC.auditQueue, {
      unit: '{record}',
      description: 'Audit records accepted but not yet written (group commit)',
    }),
    subscriptions: meter.createUpDownCounter(METRIC.subscriptions, {
      unit: '{subscription}',
      description: 'Operations open over graphql-ws',
    }),
    anomalies: meter.createCounter(METRIC.anomalies, {
      unit: '{anomaly}',
      description:
        'Clients whose refusals crossed the anomaly threshold (once per client and window), by refusal class',
    }),
  };
}
