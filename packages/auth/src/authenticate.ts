/**
 * The per-request pipeline: client address → IP filter → credentials → Principal, recorded in the
 * security state. Credentials are tried in one documented order: an API key, then a bearer JWT (when
 * `jwt` is configured), then the custom authenticator, then anonymous (or 401 when `required`).
 * Pure engine (no Apollo import besides core's error factory).
 */
import {
  createPrincipal,
  ErrorCode,
  type Principal,
  type RequestInfo,
  rampartError,
  type SecurityState,
} from '@rampart/core';
import { ApiKeyStore } from './api-keys.js';
import { AuthFailure } from './auth-failure.js';
import { type AuthLog, authLog, jwksMonitor } from './auth-log.js';
import { readCredentials } from './credentials.js';
import { CustomRefusal, runCustom } from './custom.js';
import { AddressList, clientAddress, IpFilter } from './ip.js';
import { createJwtVerifier } from './issuers.js';
import type { JwtVerifier } from './jwt.js';
import {
  type AuthenticationOptions,
  type IpFilterOptions,
  resolveApiKeyOptions,
  resolveAuthenticationOptions,
  resolveIpFilterOptions,
} from './options.js';

/** The compiled authentication + IP-filter pipeline. */
export interface Authenticator {
  /** Resolves the client address, filters it, authenticates, and sets `state.principal`. Throws 401/403. */
  authenticate(state: SecurityState, request: RequestInfo): Promise<void>;
  /** Where it logs (its `plugin` hands it Apollo's logger). */
  readonly log: AuthLog;
}

/** Builds the pipeline; every option is checked here, at startup. */
export function createAuthenticator(
  authentication: AuthenticationOptions | undefined,
  ipFilter: IpFilterOptions | undefined,
  log: AuthLog = authLog(authentication?.logger),
): Authenticator {
  const a = resolveAuthenticationOptions(authentication);
  const ip = resolveIpFilterOptions(ipFilter);
  const trusted = new AddressList(ip.trustedProxies, 'ipFilter.trustedProxies');
  const filter = new IpFilter(ip.allow, ip.deny);
  const jwt: JwtVerifier | undefined = a.jwt ? createJwtVerifier(a.jwt, jwksMonitor(log)) : undefined;
  const apiKeyOptions = a.apiKeys ? resolveApiKeyOptions(a.apiKeys) : undefined;
  const keys = apiKeyOptions ? new ApiKeyStore(apiKeyOptions.keys) : undefined;
  const apiKeyHeader = apiKeyOptions?.header.toLowerCase();
  const realm = a.realm ?? 'api';
  const custom = a.custom;

  const challenge = (error?: string, description?: string) => {
    let h = `Bearer realm="${realm}"`;
    if (error) h += `, error="${error}"`;
    if (error && description && a.describeErrors) h += `, error_description="${description}"`;
    return h;
  };

  const refuse = (state: SecurityState, failure: AuthFailure, method: string): never => {
    const unavailable = failure.kind === 'unavailable';
    const status = unavailable ? (a.jwksUnavailableStatus ?? 401) : 401;
    state.record({
      source: 'auth',
      outcome: unavailable ? 'error' : 'denied',
      code: ErrorCode.UNAUTHENTICATED,
      reason: failure.description,
      details: { method, detail: failure.detail, status },
    });
    const errorClass = failure.kind === 'invalid_request' ? 'invalid_request' : 'invalid_token';
    throw rampartError(ErrorCode.UNAUTHENTICATED, failure.description, {
      status,
      headers:
        status === 503
          ? { 'Retry-After': '5' }
          : { 'WWW-Authenticate': challenge(errorClass, failure.description), 'Cache-Control': 'no-store' },
    });
  };

  const forbidIp = (state: SecurityState, address: string | undefined, reason: string, rule: string): never => {
    state.record({
      source: 'ip-filter',
      outcome: 'denied',
      code: ErrorCode.FORBIDDEN,
      rule,
      reason,
      details: { ip: address },
    });
    throw rampartError(ErrorCode.FORBIDDEN, 'Access from this address is not allowed');
  };

  const admit = (state: SecurityState, principal: Principal, reason: string, details?: Record<string, unknown>) => {
    state.principal = principal;
    state.record({ source: 'auth', outcome: 'allowed', reason, ...(details ? { details } : {}) });
  };

  const viaJwt = async (state: SecurityState, token: string, address: string | undefined) => {
    let principal: Principal;
    try {
      principal = await (jwt as JwtVerifier).verify(token, state.clock.now());
    } catch (e) {
      const failure =
        e instanceof AuthFailure
          ? e
          : new AuthFailure('invalid_token', 'The access token is invalid', (e as Error)?.name ?? 'error');
      return refuse(state, failure, 'jwt');
    }
    const withIp = createPrincipal({ ...principal, claims: principal.claims as Record<string, unknown>, ip: address });
    admit(state, withIp, 'valid bearer token', {
      method: 'jwt',
      principal: principal.id,
      clientId: principal.clientId,
    });
  };

  const viaApiKey = (state: SecurityState, apiKey: string, address: string | undefined) => {
    const k =
      keys && apiKey.length >= (apiKeyOptions?.minLength ?? 32) && apiKey.length <= 512
        ? keys.match(apiKey)
        : undefined;
    if (!k) {
      const detail = keys ? 'unknown api key' : 'no api keys configured';
      return refuse(state, new AuthFailure('invalid_token', 'The API key is invalid', detail), 'api-key');
    }
    if (k.allowedFrom && !k.allowedFrom.has(address)) {
      forbidIp(state, address, 'address not allowed for this API key', `api-key:${k.entry.clientId}`);
    }
    const e = k.entry;
    const principal = createPrincipal({
      id: e.clientId,
      kind: 'service',
      scopes: e.scopes ?? [],
      roles: e.roles ?? [],
      clientId: e.clientId,
      tenant: e.tenant,
      authMethod: 'api-key',
      ip: address,
    });
    admit(state, principal, 'valid API key', { method: 'api-key', principal: e.clientId });
  };

  /** The custom authenticator's principal; `undefined` when it recognised nothing. Refusals throw. */
  const viaCustom = async (state: SecurityState, request: RequestInfo, address: string | undefined) => {
    if (!custom) return undefined;
    try {
      return await runCustom(custom, request, state, address, log);
    } catch (e) {
      if (!(e instanceof CustomRefusal)) return refuse(state, e as AuthFailure, 'custom');
      const code =
        e.error instanceof Error ? (e.error as { extensions?: { code?: string } }).extensions?.code : undefined;
      state.record({
        source: 'auth',
        outcome: 'denied',
        code: code as ErrorCode,
        reason: e.error.message,
        details: { method: 'custom' },
      });
      throw e.error;
    }
  };

  return {
    log,
    async authenticate(state, request) {
      const address = clientAddress(request.remoteAddress, request.headers.get('x-forwarded-for'), trusted);
      if (filter.active) {
        const d = filter.check(address);
        if (!d.allowed) forbidIp(state, address, d.reason, 'global');
        state.record({
          source: 'ip-filter',
          outcome: 'allowed',
          rule: 'global',
          reason: d.reason,
          details: { ip: address },
        });
      }

      let credentials: ReturnType<typeof readCredentials>;
      try {
        credentials = readCredentials(request.headers, apiKeyHeader);
      } catch (e) {
        return refuse(state, e as AuthFailure, 'none');
      }
      const { bearer, apiKey, otherAuthorization } = credentials;
      if (apiKey !== undefined) return viaApiKey(state, apiKey, address);
      if (bearer !== undefined && jwt) return viaJwt(state, bearer, address);
      if (otherAuthorization && !custom) {
        const failure = new AuthFailure(
          'invalid_request',
          'Unsupported or malformed Authorization header',
          'authorization header',
        );
        return refuse(state, failure, 'none');
      }
      const principal = await viaCustom(state, request, address);
      if (principal) {
        return admit(state, principal, 'custom authenticator', { method: 'custom', principal: principal.id });
      }
      if (bearer !== undefined) {
        return refuse(
          state,
          new AuthFailure('invalid_token', 'Bearer tokens are not accepted', 'no jwt configured'),
          'jwt',
        );
      }
      if (otherAuthorization) {
        const failure = new AuthFailure(
          'invalid_request',
          'Unsupported or malformed Authorization header',
          'authorization header',
        );
        return refuse(state, failure, 'custom');
      }
      if (a.required) {
        state.record({
          source: 'auth',
          outcome: 'denied',
          code: ErrorCode.UNAUTHENTICATED,
          reason: 'credentials required',
        });
        throw rampartError(ErrorCode.UNAUTHENTICATED, 'Authentication required', {
          headers: { 'WWW-Authenticate': challenge(), 'Cache-Control': 'no-store' },
        });
      }
      admit(
        state,
        createPrincipal({ id: 'anonymous', kind: 'anonymous', authMethod: 'none', ip: address }),
        'no credentials: anonymous',
      );
    },
  };
}
