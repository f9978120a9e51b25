/**
 * Observer contracts: what only one package sees (a rate-limit store's round trip, a JWKS fetch, an
 * audit line written, a phase of a request), reported to whoever observes — `@rampart/telemetry`
 * turns them into OpenTelemetry metrics and spans. With no observer registered, a package's report is
 * one `undefined` check. Observers are process-wide: every running telemetry instance sees the
 * events of every package in the process.
 */
import type { SecurityState } from './state.js';

/** A phase of a request worth a span. */
export type ObservedPhase = 'authentication' | 'analysis' | 'response';

/**
 * When something observed happened: `startedAt` from `performance.now()` (OpenTelemetry reads such a
 * number as a high-resolution time), `durationMs` in milliseconds.
 */
export interface ObservedTiming {
  /** `performance.now()` at the start. */
  readonly startedAt: number;
  /** Milliseconds it took. */
  readonly durationMs: number;
}

/** What a package reports. Every method is optional, called synchronously, and must not throw. */
export interface RampartObserver {
  /**
   * A phase of a request ended (`authentication`: the context steps — authentication, IP filter,
   * admission; `analysis`: the checks before execution; `response`: accounting and the audit record).
   * `firstEvent` is the index of the first decision in `state.events` taken during the phase.
   */
  phase?(phase: ObservedPhase, timing: ObservedTiming, state: SecurityState, firstEvent: number, error?: unknown): void;
  /** An operation ended (its response was sent, or the request was refused before one could run). */
  operationEnd?(state: SecurityState): void;
  /** A rate-limit store call ended; `ok` is false when the store failed (it is then down). */
  storeCall?(store: string, timing: ObservedTiming, ok: boolean): void;
  /** A remote JWKS fetch ended (`url` comes from the configuration). */
  jwksFetch?(url: string, timing: ObservedTiming, ok: boolean): void;
  /** Audit lines were handed to the destination (`bytes`: UTF-8 bytes of the lines). */
  auditWrite?(records: number, bytes: number, timing: ObservedTiming): void;
  /** An audit write failed. */
  auditError?(): void;
  /** graphql-ws subscriptions opened (`+1`) or ended (`-1`). */
  subscriptions?(delta: number): void;
  /**
   * One client's refusals crossed the anomaly threshold (once per client and window); `refusalClass`
   * is the class of the refusal that crossed it (`authentication`, `authorization`, `limits`, `other`).
   */
  anomaly?(refusalClass: string): void;
}

const observers: RampartObserver[] = [];
let current: RampartObserver | undefined;
const gauges = new Map<string, Set<() => number>>();

/** Every observer's method of that name, called in turn (a throwing observer does not stop the others). */
function fanOut<K extends keyof RampartObserver>(name: K): RampartObserver[K] {
  const own = observers.filter((o) => o[name] !== undefined);
  if (own.length === 0) return undefined;
  return ((...args: unknown[]) => {
    for (const o of own) {
      try {
        (o[name] as (...a: unknown[]) => void).apply(o, args);
      } catch {}
    }
  }) as RampartObserver[K];
}

function rebuild(): void {
  if (observers.length === 0) {
    current = undefined;
    return;
  }
  current = {
    phase: fanOut('phase'),
    operationEnd: fanOut('operationEnd'),
    storeCall: fanOut('storeCall'),
    jwksFetch: fanOut('jwksFetch'),
    auditWrite: fanOut('auditWrite'),
    auditError: fanOut('auditError'),
    subscriptions: fanOut('subscriptions'),
    anomaly: fanOut('anomaly'),
  };
}

/** Registers an observer; returns the function that removes it. */
export function addRampartObserver(observer: RampartObserver): () => void {
  observers.push(observer);
  rebuild();
  return () => {
    const i = observers.indexOf(observer);
    if (i >= 0) observers.splice(i, 1);
    rebuild();
  };
}

/** The registered observers as one, or `undefined` when none is registered (the common, free case). */
export function rampartObserver(): RampartObserver | undefined {
  return current;
}

/** Names of the gauges packages register with {@link addObservedGauge}. */
export const OBSERVED_GAUGE = Object.freeze({
  /** Audit records accepted by a writer and not yet written (group commit). */
  auditQueue: 'audit.queue',
});

/**
 * Registers a gauge a package can read at any time (an audit writer's queue depth) under a bounded
 * `name`; returns the function that removes it. Several readings of one name are added up.
 */
export function addObservedGauge(name: string, read: () => number): () => void {
  let set = gauges.get(name);
  if (set === undefined) {
    set = new Set();
    gauges.set(name, set);
  }
  set.add(read);
  return () => {
    set.delete(read);
    if (set.size === 0) gauges.delete(name);
  };
}

/** The current value of every registered gauge (sums per name). */
export function readObservedGauges(): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, reads] of gauges) {
    let sum = 0;
    for (const read of reads) {
      try {
        sum += read();
      } catch {}
    }
    out.set(name, sum);
  }
  return out;
}
