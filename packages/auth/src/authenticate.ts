/**
 * The per-request pipeline: client address → IP filter → credentials → Principal, recorded in the
 * security state. Pure engine (no Apollo import besides core's error factory).
 */
import { createPrincipal, ErrorCode, type RequestInfo, rampartError, type SecurityState } from '@rampart/core';
import { ApiKeyStore } from './api-keys.js';
import { AddressList, clientAddress, IpFilter } from './ip.js';
import { createJwtVerifier } from './issuers.js';
import { AuthFailure, type JwtVerifier } from './jwt.js';
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
}

const MAX_CREDENTIAL = 16_384;

/** Builds the pipeline; every option is checked here, at startup. */
export function createAuthenticator(
  authentication: AuthenticationOptions | undefined,
  ipFilter: IpFilterOptions | undefined,
): Authenticator {
  const a = resolveAuthenticationOptions(authentication);
  const ip = resolveIpFilterOptions(ipFilter);
  const trusted = new AddressList(ip.trustedProxies, 'ipFilter.trustedProxies');
  const filter = new IpFilter(ip.allow, ip.deny);
  const jwt: JwtVerifier | undefined = a.jwt ? createJwtVerifier(a.jwt) : undefined;
  const apiKeyOptions = a.apiKeys ? resolveApiKeyOptions(a.apiKeys) : undefined;
  const keys = apiKeyOptions ? new ApiKeyStore(apiKeyOptions.keys) : undefined;
  const apiKeyHeader = apiKeyOptions?.header.toLowerCase();
  const realm = a.realm ?? 'api';

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

  return {
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

      // Credentials: Authorization (Bearer | ApiKey) and/or the API-key header.
      const authorization = request.headers.get('authorization');
      const headerKey = apiKeyHeader ? request.headers.get(apiKeyHeader) : undefined;
      let bearer: string | undefined;
      let apiKey: string | undefined = headerKey;
      if (authorization !== undefined) {
        const m = /^([A-Za-z][A-Za-z0-9_-]*) +(\S+)$/.exec(authorization.trim());
        const scheme = m?.[1]?.toLowerCase();
        if (!m || (scheme !== 'bearer' && scheme !== 'apikey') || authorization.length > MAX_CREDENTIAL) {
          refuse(
            state,
            new AuthFailure('invalid_request', 'Unsupported or malformed Authorization header', 'authorization header'),
            'none',
          );
        } else if (scheme === 'bearer') bearer = m[2];
        else {
          if (apiKey !== undefined) {
            refuse(
              state,
              new AuthFailure('invalid_request', 'More than one credential was given', 'two api keys'),
              'api-key',
            );
          }
          apiKey = m[2];
        }
      }
      if (bearer !== undefined && apiKey !== undefined) {
        refuse(
          state,
          new AuthFailure('invalid_request', 'More than one credential was given', 'bearer and api key'),
          'none',
        );
      }

      if (bearer !== undefined) {
        if (!jwt)
          refuse(state, new AuthFailure('invalid_token', 'Bearer tokens are not accepted', 'no jwt configured'), 'jwt');
        let principal: Awaited<ReturnType<JwtVerifier['verify']>>;
        try {
          principal = await jwt!.verify(bearer, state.clock.now());
        } catch (e) {
          refuse(
            state,
            e instanceof AuthFailure
              ? e
              : new AuthFailure('invalid_token', 'The access token is invalid', (e as Error)?.name ?? 'error'),
            'jwt',
          );
        }
        state.principal = createPrincipal({
          ...principal!,
          claims: principal!.claims as Record<string, unknown>,
          ip: address,
        });
        state.record({
          source: 'auth',
          outcome: 'allowed',
          reason: 'valid bearer token',
          details: { method: 'jwt', principal: principal!.id, clientId: principal!.clientId },
        });
        return;
      }

      if (apiKey !== undefined) {
        const k =
          keys && apiKey.length >= (apiKeyOptions?.minLength ?? 32) && apiKey.length <= 512
            ? keys.match(apiKey)
            : undefined;
        if (!k)
          refuse(
            state,
            new AuthFailure(
              'invalid_token',
              'The API key is invalid',
              keys ? 'unknown api key' : 'no api keys configured',
            ),
            'api-key',
          );
        if (k!.allowedFrom && !k!.allowedFrom.has(address)) {
          forbidIp(state, address, 'address not allowed for this API key', `api-key:${k!.entry.clientId}`);
        }
        const e = k!.entry;
        state.principal = createPrincipal({
          id: e.clientId,
          kind: 'service',
          scopes: e.scopes ?? [],
          roles: e.roles ?? [],
          clientId: e.clientId,
          tenant: e.tenant,
          authMethod: 'api-key',
          ip: address,
        });
        state.record({
          source: 'auth',
          outcome: 'allowed',
          reason: 'valid API key',
          details: { method: 'api-key', principal: e.clientId },
        });
        return;
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
      state.principal = createPrincipal({ id: 'anonymous', kind: 'anonymous', authMethod: 'none', ip: address });
      state.record({ source: 'auth', outcome: 'allowed', reason: 'no credentials: anonymous' });
    },
  };
}
