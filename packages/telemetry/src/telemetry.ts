/**
 * `rampartTelemetry()`: the observer that turns what Rampart's packages report into OpenTelemetry
 * metrics and spans, through `@opentelemetry/api` only (a no-op until an SDK is registered).
 */
import {
  type Attributes,
  type BatchObservableResult,
  createNoopMeter,
  isSpanContextValid,
  type Meter,
  metrics,
  type Span,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  addRampartObserver,
  OBSERVED_GAUGE,
  type ObservedPhase,
  type ObservedTiming,
  type RampartObserver,
  readObservedGauges,
  type SecurityState,
} from '@rampart/core';
import { ATTR, BoundedValues, DecisionAttributes } from './attributes.js';
import { createInstruments, type Instruments } from './instruments.js';
import { resolveTelemetryOptions, type TelemetryOptions } from './options.js';
import { addDecisionEvents, SPAN, startEndedSpan } from './spans.js';

/** Where the telemetry keeps per-request figures (`state.slots`). */
const TELEMETRY_SLOT: unique symbol = Symbol.for('rampart.telemetry') as never;
/** The limits package's analysis slot (read for depth and operation type; no dependency on limits). */
const LIMITS_SLOT = Symbol.for('rampart.limits.analysis');

/** What the telemetry keeps per request. */
interface RequestFigures {
  /** Milliseconds spent in Rampart's phases so far. */
  ms: number;
  /** Decisions before this index are already span events (or were left out). */
  emitted: number;
}

/** The fields of the limits analysis the telemetry reads. */
interface AnalysisFigures {
  readonly depth?: number;
  readonly operationType?: string | null;
}

const PHASE_SPAN: Readonly<Record<ObservedPhase, string | undefined>> = {
  authentication: SPAN.authentication,
  analysis: SPAN.analysis,
  response: undefined,
};

/**
 * The telemetry of one Rampart setup. `rampart()` creates and starts it (option `telemetry`); alone,
 * call {@link RampartTelemetry.start} once your SDK is registered and {@link RampartTelemetry.operationEnd}
 * when an operation ends.
 */
export class RampartTelemetry implements RampartObserver {
  /** The resolved options. */
  readonly options: Readonly<TelemetryOptions>;
  #instruments: Instruments | undefined;
  #tracer: Tracer | undefined;
  #unregister: (() => void) | undefined;
  #gaugeCallback: ((result: BatchObservableResult) => void) | undefined;
  readonly #decisionAttributes: DecisionAttributes;
  readonly #stores: BoundedValues;
  readonly #jwks: BoundedValues;
  readonly #storeUp = new Map<string, number>();
  readonly #phaseAttributes: Readonly<Record<ObservedPhase, Attributes>> = {
    authentication: Object.freeze({ [ATTR.phase]: 'authentication' }),
    analysis: Object.freeze({ [ATTR.phase]: 'analysis' }),
    response: Object.freeze({ [ATTR.phase]: 'response' }),
  };

  constructor(options?: Partial<TelemetryOptions>) {
    this.options = resolveTelemetryOptions(options);
    this.#decisionAttributes = new DecisionAttributes(this.options.maxAttributeValues);
    this.#stores = new BoundedValues(this.options.maxAttributeValues);
    this.#jwks = new BoundedValues(this.options.maxAttributeValues);
  }

  /** True between {@link start} and {@link stop}. */
  get started(): boolean {
    return this.#unregister !== undefined;
  }

  /**
   * Creates the instruments (from the meter provider given, else the global one: register the SDK
   * before) and starts receiving what the packages report. Calling it again does nothing.
   */
  start(): void {
    if (this.#unregister !== undefined) return;
    const { name } = this.options;
    const meter = (this.options.meterProvider ?? metrics.getMeterProvider()).getMeter(name);
    const tracer = (this.options.tracerProvider ?? trace.getTracerProvider()).getTracer(name);
    if (isNoopMeter(meter) && isNoopTracer(tracer)) {
      // no SDK: nothing to report to, so nothing is observed (the packages' reports stay one check)
      this.#unregister = () => {};
      return;
    }
    this.#tracer = tracer;
    const instruments = createInstruments(meter);
    this.#instruments = instruments;
    this.#gaugeCallback = (result) => this.#observeGauges(result, instruments);
    meter.addBatchObservableCallback(this.#gaugeCallback, [instruments.storeUp, instruments.auditQueue]);
    this.#unregister = addRampartObserver(this);
  }

  /** Stops receiving reports (the instruments stay with their meter). */
  stop(): void {
    this.#unregister?.();
    this.#unregister = undefined;
    this.#instruments = undefined;
    this.#tracer = undefined;
  }

  /** True when started with an SDK behind the providers (metrics or spans are recorded). */
  get recording(): boolean {
    return this.#instruments !== undefined;
  }

  #observeGauges(result: BatchObservableResult, instruments: Instruments): void {
    for (const [store, up] of this.#storeUp) result.observe(instruments.storeUp, up, { [ATTR.store]: store });
    const queue = readObservedGauges().get(OBSERVED_GAUGE.auditQueue);
    if (queue !== undefined) result.observe(instruments.auditQueue, queue);
  }

  /** Per-request figures, made on first use. */
  #figures(state: SecurityState): RequestFigures {
    let f = state.slots.get(TELEMETRY_SLOT) as RequestFigures | undefined;
    if (f === undefined) {
      f = { ms: 0, emitted: 0 };
      state.slots.set(TELEMETRY_SLOT, f);
    }
    return f;
  }

  /** A phase ended: its time, its span (authentication, analysis) with its decisions as events. */
  phase(phase: ObservedPhase, timing: ObservedTiming, state: SecurityState, firstEvent: number, error?: unknown): void {
    const instruments = this.#instruments;
    if (instruments === undefined) return;
    const figures = this.#figures(state);
    figures.ms += timing.durationMs;
    instruments.phaseDuration.record(timing.durationMs / 1000, this.#phaseAttributes[phase]);
    const name = PHASE_SPAN[phase];
    if (name === undefined || this.#tracer === undefined) return;
    const events = state.events;
    const to = events.length;
    startEndedSpan(this.#tracer, name, timing, undefined, error, (span) => {
      addDecisionEvents(span, events, firstEvent, to, this.options.maxSpanEvents);
    });
    figures.emitted = to;
  }

  /**
   * An operation ended: counts its decisions, records its cost, depth and time in Rampart, and adds
   * the decisions no phase span carried (taken during execution) to the active span, if any.
   */
  operationEnd(state: SecurityState): void {
    const instruments = this.#instruments;
    if (instruments === undefined) return;
    const events = state.events;
    for (const e of events) instruments.decisions.add(1, this.#decisionAttributes.of(e));
    const figures = state.slots.get(TELEMETRY_SLOT) as RequestFigures | undefined;
    const analysis = state.slots.get(LIMITS_SLOT) as AnalysisFigures | undefined;
    const type = analysis?.operationType;
    const attrs = type ? operationAttributes(type) : undefined;
    const estimated = state.cost.estimated;
    if (estimated !== undefined) instruments.costEstimated.record(estimated, attrs);
    const actual = this.options.actualCost === 'always' ? state.cost.actual : state.cost.actualIfComputed;
    if (actual !== undefined) instruments.costActual.record(actual, attrs);
    if (analysis?.depth !== undefined) instruments.depth.record(analysis.depth, attrs);
    if (figures !== undefined) instruments.requestDuration.record(figures.ms / 1000, attrs);
    const emitted = figures?.emitted ?? 0;
    if (emitted < events.length) {
      const span: Span | undefined = trace.getActiveSpan();
      if (span?.isRecording()) addDecisionEvents(span, events, emitted, events.length, this.options.maxSpanEvents);
    }
  }

  /** A rate-limit store call: its round trip, whether the store is up, a span. */
  storeCall(store: string, timing: ObservedTiming, ok: boolean): void {
    const instruments = this.#instruments;
    if (instruments === undefined) return;
    const name = this.#stores.bound(store);
    this.#storeUp.set(name, ok ? 1 : 0);
    const attrs = { [ATTR.store]: name, [ATTR.outcome]: ok ? 'success' : 'failure' };
    instruments.storeDuration.record(timing.durationMs / 1000, attrs);
    if (this.#tracer) startEndedSpan(this.#tracer, SPAN.store, timing, attrs, ok ? undefined : new Error('store'));
  }

  /** A remote JWKS fetch: counted by outcome, and a span. */
  jwksFetch(url: string, timing: ObservedTiming, ok: boolean): void {
    const instruments = this.#instruments;
    if (instruments === undefined) return;
    const attrs = { [ATTR.jwks]: this.#jwks.bound(url), [ATTR.outcome]: ok ? 'success' : 'failure' };
    instruments.jwksFetches.add(1, attrs);
    if (this.#tracer) startEndedSpan(this.#tracer, SPAN.jwks, timing, attrs, ok ? undefined : new Error('jwks'));
  }

  /** Audit lines handed to the destination: counted, with their bytes, and a span. */
  auditWrite(records: number, bytes: number, timing: ObservedTiming): void {
    const instruments = this.#instruments;
    if (instruments === undefined) return;
    instruments.auditRecords.add(records);
    instruments.auditBytes.add(bytes);
    if (this.#tracer) {
      startEndedSpan(this.#tracer, SPAN.auditWrite, timing, { 'rampart.audit.records': records }, undefined);
    }
  }

  /** A failed audit write. */
  auditError(): void {
    this.#instruments?.auditErrors.add(1);
  }

  /** graphql-ws operations opened or ended. */
  subscriptions(delta: number): void {
    this.#instruments?.subscriptions.add(delta);
  }

  /** A client crossed the anomaly threshold: counted by refusal class (never by client). */
  anomaly(refusalClass: string): void {
    const attrs = REFUSAL_CLASS_ATTRIBUTES.get(refusalClass) ?? REFUSAL_CLASS_ATTRIBUTES.get('other');
    this.#instruments?.anomalies.add(1, attrs);
  }
}

const NOOP_METER = createNoopMeter();

/** The API's no-op meter (what the global provider gives before an SDK is registered). */
function isNoopMeter(meter: Meter): boolean {
  return meter === NOOP_METER || meter.constructor === NOOP_METER.constructor;
}

/**
 * A tracer with no SDK behind it: its spans have no valid context (an SDK that samples a span out
 * still gives it one). A global tracer registered later is not seen: register the SDK before `start()`.
 */
function isNoopTracer(tracer: Tracer): boolean {
  const probe = tracer.startSpan('rampart.probe', { root: true });
  const valid = isSpanContextValid(probe.spanContext());
  // a real span is left unended: never exported (processors export on end), collected with the probe
  if (!valid) probe.end();
  return !valid;
}

const OPERATION_ATTRIBUTES = new Map<string, Attributes>(
  ['query', 'mutation', 'subscription'].map((t) => [t, Object.freeze({ [ATTR.operationType]: t })]),
);

/** The refusal classes of `rampart.anomalies` (a fixed set: anything else is `other`). */
const REFUSAL_CLASS_ATTRIBUTES = new Map<string, Attributes>(
  ['authentication', 'authorization', 'limits', 'other'].map((c) => [c, Object.freeze({ [ATTR.refusalClass]: c })]),
);

function operationAttributes(type: string): Attributes | undefined {
  return OPERATION_ATTRIBUTES.get(type);
}

/** Creates the telemetry of one Rampart setup (see {@link RampartTelemetry}). */
export function rampartTelemetry(options?: Partial<TelemetryOptions>): RampartTelemetry {
  return new RampartTelemetry(options);
}
