/**
 * Health contracts: what each package tells `security.health()` about the parts that can fail
 * outside a request (a rate-limit store, a remote JWKS, the audit destination). Plain JSON values:
 * configured names and URLs, times and error classes only — never tokens, keys, secrets, addresses or
 * principal ids.
 */

/** Overall health: `up`, `degraded` (serving, with a part down behind a fallback), or `down`. */
export type HealthStatus = 'up' | 'degraded' | 'down';

/** A failure as reported: when (ISO 8601) and a short message that names no secret. */
export interface HealthError {
  /** When it happened (ISO 8601). */
  readonly at: string;
  /** What failed, in a few words (an error code, an HTTP status, a system error). */
  readonly message: string;
}

/** A rate-limit store, as its last call saw it (stores are not probed between calls). */
export interface StoreHealth {
  /** The store's name (`redis`, `memory`, or the custom store's `name`). */
  readonly name: string;
  /** `down` from a failed call until the next call that succeeds. */
  readonly status: 'up' | 'down';
  /** Since when it has been in that status (ISO 8601): its creation, or the call that changed it. */
  readonly since: string;
  /** What a call does while it is down (`onStoreError`: `'allow'`, `'deny'`, `'fallback-memory'`). */
  readonly onStoreError: string;
  /** True while calls go to the in-process fallback store (`onStoreError: 'fallback-memory'`). */
  readonly fallback: boolean;
}

/** A remote JWKS, as its fetches saw it. */
export interface JwksHealth {
  /** The issuer (`iss`) the keys verify, as configured (the first one when several share the keys). */
  readonly issuer: string;
  /** The JWKS URL, as configured. */
  readonly url: string;
  /** `down` from a failed fetch until the next good one; `up` before the first fetch. */
  readonly status: 'up' | 'down';
  /** When it was last fetched and read (ISO 8601), `null` before. */
  readonly lastSuccess: string | null;
  /** The last failed fetch, `null` if none. */
  readonly lastError: HealthError | null;
}

/** The audit writer. */
export interface AuditHealth {
  /** `down` from a failed write until the next good one. */
  readonly status: 'up' | 'down';
  /** True when a record that cannot be written refuses the request (`failClosed`). */
  readonly failClosed: boolean;
  /** Records accepted and not yet written (group commit). */
  readonly queued: number;
  /** Records that could not be written since the writer opened. */
  readonly dropped: number;
  /** The last failed write, `null` if none. */
  readonly lastError: HealthError | null;
}

/** What one module reports (`RampartModule.health`); `rampart().health()` merges them. */
export interface ModuleHealth {
  readonly stores?: readonly StoreHealth[];
  readonly jwks?: readonly JwksHealth[];
  readonly audit?: AuditHealth;
}

/** A {@link HealthError} from a caught value: its `code` (or name) and message, cut to 200 characters. */
export function healthError(at: number, error: unknown): HealthError {
  const e = error as { code?: unknown; name?: unknown; message?: unknown } | null | undefined;
  const code = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'Error';
  const message = typeof e?.message === 'string' && e.message.length > 0 ? `${code}: ${e.message}` : code;
  return { at: new Date(at).toISOString(), message: message.length > 200 ? `${message.slice(0, 197)}...` : message };
}
