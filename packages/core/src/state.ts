import { randomUUID } from 'node:crypto';
import { anonymousPrincipal, type Principal } from './principal.js';

/** Which Rampart package took a decision. */
export type DecisionSource =
  | 'apollo'
  | 'auth'
  | 'ip-filter'
  | 'rules'
  | 'scopes'
  | 'limits'
  | 'rate-limit'
  | 'audit'
  | (string & {});

/** What a decision did to the request or field. */
export type DecisionOutcome = 'allowed' | 'denied' | 'limited' | 'removed' | 'measured' | 'error';

/** One decision, appended by the package that took it; read by the audit package. */
export interface DecisionEvent {
  /** The package that decided. */
  readonly source: DecisionSource;
  /** What it decided. */
  readonly outcome: DecisionOutcome;
  /** The error code sent to the client, if any. */
  readonly code?: string | undefined;
  /** Schema coordinate (`Type.field`, `Type.field(arg:)`) the decision is about. */
  readonly coordinate?: string | undefined;
  /** Response path (`orders.0.total`), where the decision is about one place in the response. */
  readonly path?: string | undefined;
  /** The rule, policy or limit name. */
  readonly rule?: string | undefined;
  /** Human-readable reason. Never contains argument values. */
  readonly reason?: string | undefined;
  /** Structured details (limits and measured values, missing scopes…). */
  readonly details?: Readonly<Record<string, unknown>> | undefined;
  /** Milliseconds since the epoch, from the state's clock. */
  readonly at: number;
}

/** A source of the current time, injectable for tests. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/**
 * Cost figures shared between packages (limits writes, rate-limit and audit read). `actual` may be
 * deferred with {@link CostFigures.deferActual}: it is then computed on first read, at most once, so
 * the response walk is only paid when a package needs the figure.
 */
export class CostFigures {
  /** Estimated before execution (from `@cost`/`@listSize`). */
  estimated?: number;
  #actual: number | undefined;
  #compute: (() => number | undefined) | undefined;

  /** Counted after execution (objects actually resolved); computed on first read when deferred. */
  get actual(): number | undefined {
    const compute = this.#compute;
    if (compute) {
      this.#compute = undefined;
      this.#actual = compute();
    }
    return this.#actual;
  }

  /**
   * `actual` if it is known without computing it (set, or a deferred figure already read), else
   * `undefined`: for observers that must not force the response walk.
   */
  get actualIfComputed(): number | undefined {
    return this.#compute === undefined ? this.#actual : undefined;
  }

  set actual(value: number | undefined) {
    this.#compute = undefined;
    this.#actual = value;
  }

  /**
   * Makes `actual` the result of `compute`, called on first read (and never when nobody reads it).
   * A class accessor rather than a per-request `Object.defineProperty`: the latter gives every
   * request's object its own hidden class, which V8 pays for in garbage collection and deoptimisation.
   */
  deferActual(compute: () => number | undefined): void {
    this.#actual = undefined;
    this.#compute = compute;
  }

  /** Plain figures (for logs and JSON). */
  toJSON(): { estimated?: number; actual?: number } {
    const actual = this.actual;
    return {
      ...(this.estimated !== undefined ? { estimated: this.estimated } : {}),
      ...(actual !== undefined ? { actual } : {}),
    };
  }
}

const NO_EVENTS: readonly DecisionEvent[] = Object.freeze([]);

/** Fields accepted by {@link SecurityState}'s constructor. */
export interface SecurityStateInit {
  principal?: Principal;
  /** The request id; when absent, a random UUID is made on first read of `requestId`. */
  requestId?: string | undefined;
  clock?: Clock;
  /** Request headers, for packages that need them (user agent, traceparent). Never logged raw. */
  headers?: ReadonlyMap<string, string> | undefined;
}

/**
 * Per-request security state: who is calling, the request id, and the append-only list of decisions.
 * Attached to the Apollo context under a symbol ({@link SECURITY_STATE}) so it never collides with
 * the user's own context keys.
 */
export class SecurityState {
  /** The principal; replaced only by authentication, once. */
  principal: Principal;
  #requestId: string | undefined;
  /** The clock all packages use for this request. */
  readonly clock: Clock;
  /** When the request started (ms since epoch). */
  readonly startedAt: number;
  /** Request headers, lower-cased names. */
  readonly headers: ReadonlyMap<string, string>;
  /** Cost figures (limits writes, rate-limit and audit read). */
  readonly cost: CostFigures = new CostFigures();
  /**
   * The id of the trusted document the operation ran (`rampart({ trustedDocuments })`), when it was
   * one of them; the audit record carries it.
   */
  documentId: string | undefined;
  /** Free slots for packages to share per-request data, keyed by package-owned symbols or strings. */
  readonly slots = new Map<string | symbol, unknown>();
  /** Created on the first decision (most successful requests record none). */
  #events: DecisionEvent[] | undefined;

  constructor(init: SecurityStateInit = {}) {
    this.clock = init.clock ?? systemClock;
    this.principal = init.principal ?? anonymousPrincipal();
    this.#requestId = init.requestId;
    this.startedAt = this.clock.now();
    this.headers = init.headers ?? new Map();
    this.documentId = undefined;
  }

  /**
   * Request id: the one given (a well-formed `x-request-id` header), else a random UUID made on first
   * read, so a request whose id nobody records or returns never pays for one.
   */
  get requestId(): string {
    if (this.#requestId === undefined) this.#requestId = randomUUID();
    return this.#requestId;
  }

  /**
   * Appends a decision (the timestamp is taken from the state's clock). The object is adopted, not
   * copied: `at` is filled in and it is frozen, so pass a fresh object (a frozen one is copied).
   */
  record(event: Omit<DecisionEvent, 'at'> & { at?: number }): DecisionEvent {
    let e = event as { at?: number };
    if (Object.isFrozen(e)) e = { ...e, at: e.at ?? this.clock.now() };
    else if (e.at === undefined) e.at = this.clock.now();
    const frozen = Object.freeze(e) as DecisionEvent;
    if (this.#events === undefined) this.#events = [frozen];
    else this.#events.push(frozen);
    return frozen;
  }

  /** Every decision so far, in order. */
  get events(): readonly DecisionEvent[] {
    return this.#events ?? NO_EVENTS;
  }

  /** A state for one operation of a batched request: same principal, headers and clock, own events. */
  fork(index: number): SecurityState {
    const child = new SecurityState({
      principal: this.principal,
      requestId: `${this.requestId}#${index}`,
      clock: this.clock,
      headers: this.headers,
    });
    return child;
  }
}

/** The symbol under which the security state lives on the Apollo context value. */
export const SECURITY_STATE: unique symbol = Symbol.for('rampart.security-state') as never;

/** A context value that may carry a security state. */
export type WithSecurityState = { [SECURITY_STATE]?: SecurityState };

/** The security state of a context value, if one was attached. */
export function getSecurityState(contextValue: unknown): SecurityState | undefined {
  if (contextValue === null || typeof contextValue !== 'object') return undefined;
  return (contextValue as WithSecurityState)[SECURITY_STATE];
}

/**
 * The security state of a context value, attaching a fresh one (anonymous principal) when none is
 * there, so each package also works when used alone, without `rampart().context`.
 */
export function ensureSecurityState(contextValue: object, init?: SecurityStateInit): SecurityState {
  const existing = (contextValue as WithSecurityState)[SECURITY_STATE];
  if (existing) return existing;
  const state = new SecurityState(init);
  attachSecurityState(contextValue, state);
  return state;
}

/**
 * Attaches `state` to a context value. The property is an enumerable symbol: Apollo clones the
 * context per operation with `Object.assign`, which keeps enumerable symbols, while JSON never sees them.
 */
export function attachSecurityState(contextValue: object, state: SecurityState): void {
  // A plain assignment creates the same property (writable, enumerable, configurable) far faster
  // than `Object.defineProperty`, and keeps the context objects on one hidden class.
  (contextValue as WithSecurityState)[SECURITY_STATE] = state;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The header's value when it is a well-formed request id (1–128 of `[A-Za-z0-9._:-]`), else `undefined`. */
export function wellFormedRequestId(header: string | undefined | null): string | undefined {
  return header && REQUEST_ID.test(header) ? header : undefined;
}

/**
 * A request id from an `x-request-id` header if it is well formed, else a new random UUID. Random, not
 * a counter: ids go back to clients, and consecutive counter values would tell anyone the server's
 * request rate.
 */
export function requestIdFrom(header: string | undefined | null): string {
  return header && REQUEST_ID.test(header) ? header : randomUUID();
}
