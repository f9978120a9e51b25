/**
 * `security.health()`: the state of what Rampart depends on outside a request — rate-limit stores,
 * remote JWKS, the audit writer — as each module reports it, with one overall status for a readiness
 * endpoint. Plain JSON: configured names and URLs, times, counts and error codes; never tokens, keys,
 * secrets, addresses or principal ids.
 */
import type { AuditHealth, HealthStatus, JwksHealth, RampartModule, StoreHealth } from '@rampart/core';

/**
 * What `security.health()` returns. `status`:
 * - `down` when Rampart refuses requests it would otherwise serve: a store is down with
 *   `onStoreError: 'deny'` (limited operations get 503), or the audit writer is down with `failClosed`
 *   (every response becomes 503);
 * - `degraded` when it serves with a part down: a store down with `'allow'` (no limits) or
 *   `'fallback-memory'` (per-process counts), a remote JWKS down (tokens whose key is cached still
 *   verify), the audit writer down without `failClosed` (records are dropped);
 * - `up` otherwise.
 */
export interface RampartHealth {
  /** The overall status (see above). */
  readonly status: HealthStatus;
  /** When this was read (ISO 8601, from `rampart()`'s clock). */
  readonly checkedAt: string;
  /** Each rate-limit store. */
  readonly stores: readonly StoreHealth[];
  /** Each remote JWKS (none with local keys or secrets). */
  readonly jwks: readonly JwksHealth[];
  /** The audit writer, `null` without `audit`. */
  readonly audit: AuditHealth | null;
}

const RANK: Readonly<Record<HealthStatus, number>> = { up: 0, degraded: 1, down: 2 };

/** The worse of two statuses. */
function worse(a: HealthStatus, b: HealthStatus): HealthStatus {
  return RANK[b] > RANK[a] ? b : a;
}

/** What one store down means for the whole (see {@link RampartHealth}). */
function storeStatus(store: StoreHealth): HealthStatus {
  if (store.status === 'up') return 'up';
  return store.onStoreError === 'deny' ? 'down' : 'degraded';
}

/** The overall status of the parts. */
export function overallStatus(
  stores: readonly StoreHealth[],
  jwks: readonly JwksHealth[],
  audit: AuditHealth | null,
): HealthStatus {
  let status: HealthStatus = 'up';
  for (const s of stores) status = worse(status, storeStatus(s));
  for (const j of jwks) if (j.status === 'down') status = worse(status, 'degraded');
  if (audit?.status === 'down') status = worse(status, audit.failClosed ? 'down' : 'degraded');
  return status;
}

/** Reads every module's health and merges it (a module whose `health()` throws is skipped). */
export function collectHealth(modules: readonly RampartModule[], now: number): RampartHealth {
  const stores: StoreHealth[] = [];
  const jwks: JwksHealth[] = [];
  let audit: AuditHealth | null = null;
  for (const m of modules) {
    if (m.health === undefined) continue;
    try {
      const h = m.health();
      if (h.stores) stores.push(...h.stores);
      if (h.jwks) jwks.push(...h.jwks);
      if (h.audit) audit = h.audit;
    } catch {
      // a health reading must never fail the probe
    }
  }
  return { status: overallStatus(stores, jwks, audit), checkedAt: new Date(now).toISOString(), stores, jwks, audit };
}
