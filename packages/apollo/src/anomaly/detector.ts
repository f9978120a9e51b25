/**
 * The anomaly signal: at the end of each operation, one refused operation is counted against its
 * client; the operation that makes a client's count reach the threshold gets an `anomaly` decision
 * (so its audit record and `rampart.decisions` carry it) and a `rampart.anomalies` point. Never
 * changes a response. No Apollo import.
 */
import { addressKey, type DecisionEvent, type Principal, rampartObserver, type SecurityState } from '@rampart/core';
import type { AnomalyOptions } from './options.js';
import { RefusalWindows } from './refusal-windows.js';

/** The classes of refusal an anomaly names (the only values of `rampart.refusal_class`). */
export type RefusalClass = 'authentication' | 'authorization' | 'limits' | 'other';

const CLASS_OF_SOURCE: Readonly<Record<string, RefusalClass>> = Object.freeze({
  auth: 'authentication',
  'ip-filter': 'authorization',
  rules: 'authorization',
  scopes: 'authorization',
  limits: 'limits',
  'rate-limit': 'limits',
  apollo: 'limits',
});

/** The first refusal among an operation's decisions (a denial or a limit), if any. */
export function firstRefusal(events: readonly DecisionEvent[]): DecisionEvent | undefined {
  for (const e of events) if (e.outcome === 'denied' || e.outcome === 'limited') return e;
  return undefined;
}

/** The class of a refusal, by the package that decided it. */
export function refusalClassOf(event: DecisionEvent): RefusalClass {
  return CLASS_OF_SOURCE[event.source] ?? 'other';
}

/**
 * Who a refusal is counted against: the principal id (`u:`), else its client id (`c:`, API keys and
 * machine clients), else its address (`ip:`, IPv6 by /64). Kept in memory only, never emitted.
 */
export function clientKeyOf(principal: Principal): string {
  if (principal.kind === 'user') return `u:${principal.id}`;
  if (principal.kind === 'service') return `c:${principal.clientId ?? principal.id}`;
  return `ip:${addressKey(principal.ip, 64)}`;
}

/** Counts refused operations per client and signals the ones that cross the threshold. */
export class AnomalyDetector {
  readonly #windows: RefusalWindows;
  readonly #options: Readonly<AnomalyOptions>;

  constructor(options: Readonly<AnomalyOptions>) {
    this.#options = options;
    this.#windows = new RefusalWindows(options.threshold, options.windowSeconds, options.maxClients);
  }

  /** Clients tracked now. */
  get trackedClients(): number {
    return this.#windows.size;
  }

  /** An operation ended (or its request was refused): counts it if it was refused, and signals. */
  observe(state: SecurityState): void {
    const events = state.events;
    if (events.length === 0) return;
    const refusal = firstRefusal(events);
    if (refusal === undefined) return;
    const count = this.#windows.refuse(clientKeyOf(state.principal), state.clock.now());
    if (count === undefined) return;
    const refusalClass = refusalClassOf(refusal);
    const { threshold, windowSeconds } = this.#options;
    state.record({
      source: 'anomaly',
      outcome: 'measured',
      rule: 'refusal-rate',
      reason: `${count} refused operations within ${windowSeconds} s from one client (threshold ${threshold})`,
      details: { refusalClass, refusals: count, threshold, windowSeconds },
    });
    rampartObserver()?.anomaly?.(refusalClass);
  }
}
