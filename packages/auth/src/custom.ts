/**
 * Custom authenticators: your own verification (sessions, cookies, a gateway header, mTLS) composed
 * with Rampart's. Its principal is marked `authMethod: 'custom'`.
 */
import {
  createPrincipal,
  errorCodeOf,
  isRampartCode,
  type Principal,
  type PrincipalInit,
  type RequestInfo,
  type SecurityState,
} from '@rampart/core';
import { AuthFailure } from './auth-failure.js';
import type { AuthLog } from './auth-log.js';

/** What a custom authenticator returns for a caller it recognises (`authMethod` and `ip` are set by Rampart). */
export type CustomPrincipal = Principal | Omit<PrincipalInit, 'authMethod'>;

/**
 * Your own authentication. Return a principal for a caller you recognise; `undefined` or `null` when
 * the request carries no credentials of yours (Rampart goes on: anonymous, or 401 when
 * `required`); throw `rampartError(ErrorCode.UNAUTHENTICATED, …)` (or `FORBIDDEN`) to refuse the
 * request with that error. Any other throw, or a value that is not a principal, refuses with 401 and is
 * logged once.
 */
export type CustomAuthenticator = (
  request: RequestInfo,
  state: SecurityState,
) => CustomPrincipal | null | undefined | Promise<CustomPrincipal | null | undefined>;

/** The custom authenticator's refusal: a Rampart error it threw, passed on as it is. */
export class CustomRefusal extends Error {
  constructor(readonly error: Error & { extensions?: unknown }) {
    super(error.message);
  }
}

function invalidPrincipal(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return `returned ${typeof value}, not a principal`;
  const p = value as Partial<PrincipalInit>;
  if (typeof p.id !== 'string' || p.id.length === 0) return 'returned a principal without a string id';
  if (p.kind !== 'user' && p.kind !== 'service') return 'returned a principal whose kind is not "user" or "service"';
  return undefined;
}

/**
 * Runs the custom authenticator.
 * @returns its principal (with `authMethod: 'custom'` and the client address), or `undefined` when it
 *   recognised no credentials.
 * @throws CustomRefusal when it refused with a Rampart error; AuthFailure when it failed otherwise.
 */
export async function runCustom(
  custom: CustomAuthenticator,
  request: RequestInfo,
  state: SecurityState,
  address: string | undefined,
  log: AuthLog,
): Promise<Principal | undefined> {
  let value: CustomPrincipal | null | undefined;
  try {
    value = await custom(request, state);
  } catch (e) {
    if (e instanceof Error && isRampartCode(errorCodeOf(e))) throw new CustomRefusal(e);
    logOnce(log, 'threw', `authentication.custom threw, so the request is refused with 401: ${describe(e)}`);
    throw new AuthFailure('invalid_token', 'The credentials are invalid', 'custom authenticator threw');
  }
  if (value === undefined || value === null) return undefined;
  const problem = invalidPrincipal(value);
  if (problem) {
    logOnce(log, 'invalid', `authentication.custom ${problem}, so the request is refused with 401`);
    throw new AuthFailure('invalid_token', 'The credentials are invalid', 'custom authenticator: invalid principal');
  }
  const p = value as Omit<PrincipalInit, 'authMethod'>;
  return createPrincipal({
    id: p.id,
    kind: p.kind,
    scopes: p.scopes ?? [],
    roles: p.roles ?? [],
    clientId: p.clientId,
    tenant: p.tenant,
    claims: p.claims as Record<string, unknown> | undefined,
    authMethod: 'custom',
    ip: address,
  });
}

const logged = new WeakMap<AuthLog, Set<string>>();
/** Logs the first failure of each kind per authenticator, not one per request. */
function logOnce(log: AuthLog, kind: string, message: string): void {
  const kinds = logged.get(log) ?? new Set<string>();
  logged.set(log, kinds);
  if (kinds.has(kind)) return;
  kinds.add(kind);
  log.error(message);
}

function describe(error: unknown): string {
  try {
    return error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  } catch {
    return 'an unprintable value';
  }
}
