/**
 * The per-request pipeline: client address → IP filter → credentials → Principal, recorded in the
 * security state. Credentials are tried in one documented order: an API key, then a bearer JWT (when
 * `jwt` is configured), then the custom authenticator, then anonymous (or 401 when `required`).
 * Pure engine (no Apollo import besides core's error factory).
 */
import {
  anonymousPrincipal,
  createPrincipal,
  DEFAULT_REALM,
  type ErrorCode,
  type ModuleHealth,
  type Principal,
  principalAt,
  type RequestInfo,
  type SecurityState,
} from '@rampart/core';
import { ApiKeyStore } from './api-keys.js';
import { AuthFailure } from './auth-failure.js';
import { type AuthLog, authLog, jwksMonitor } from './auth-log.js';
import { type Credentials, readCredentials } from './credentials.js';
import { type CustomAuthenticator, CustomRefusal, runCustom } from './custom.js';
import { BEARER_PRESENTATION, type TokenPresentation } from './dpop/binding.js';
import { AddressList, clientAddress, IpFilter } from './ip.js';
import { createJwtVerifier } from './issuers.js';
import type { JwtVerifier } from './jwt.js';
import {
  type ApiKeyOptions,
  type AuthenticationOptions,
  type IpFilterOptions,
  resolveApiKeyOptions,
  resolveAuthenticationOptions,
  resolveIpFilterOptions,
} from './options.js';
import { type ChallengeSettings, forbidAddress, refuse, refuseAnonymous } from './refusals.js';

/** The compiled authentication + IP-filter pipeline. */
export interface Authenticator {
  /** Resolves the client address, filters it, authenticates, and sets `state.principal`. Throws 401/403. */
  authenticate(state: SecurityState, request: RequestInfo): Promise<void>;
  /** Where it logs (its `plugin` hands it Apollo's logger). */
  readonly log: AuthLog;
  /** The remote JWKS it fetches, as their fetches saw them (for `rampart().health()`). */
  health(): ModuleHealth;
}

/** Everything a request needs, resolved once at startup. */
interface Pipeline {
  readonly settings: ChallengeSettings;
  readonly required: boolean;
  readonly trusted: AddressList;
  readonly filter: IpFilter;
  readonly jwt: JwtVerifier | undefined;
  readonly apiKeys: Readonly<Required<ApiKeyOptions>> | undefined;
  readonly keys: ApiKeyStore | undefined;
  readonly apiKeyHeader: string | undefined;
  readonly custom: CustomAuthenticator | undefined;
  readonly log: AuthLog;
}

function admit(state: SecurityState, principal: Principal, reason: string, details?: Record<string, unknown>): void {
  state.principal = principal;
  state.record({ source: 'auth', outcome: 'allowed', reason, ...(details ? { details } : {}) });
}

async function viaJwt(
  p: Pipeline,
  state: SecurityState,
  token: string,
  presentation: TokenPresentation,
  address: string | undefined,
): Promise<void> {
  let principal: Principal;
  try {
    principal = await (p.jwt as JwtVerifier).verify(token, state.clock.now(), presentation);
  } catch (e) {
    const failure =
      e instanceof AuthFailure
        ? e
        : new AuthFailure('invalid_token', 'The access token is invalid', (e as Error)?.name ?? 'error');
    return refuse(p.settings, state, failure, 'jwt');
  }
  const withIp = principalAt(principal, address);
  const dpop = presentation.scheme === 'dpop';
  admit(state, withIp, dpop ? 'valid DPoP-bound token and proof' : 'valid bearer token', {
    method: 'jwt',
    principal: principal.id,
    clientId: principal.clientId,
    ...(dpop ? { dpop: true } : {}),
  });
}

function viaApiKey(p: Pipeline, state: SecurityState, apiKey: string, address: string | undefined): void {
  const usable = p.keys && apiKey.length >= (p.apiKeys?.minLength ?? 32) && apiKey.length <= 512;
  const k = usable ? p.keys?.match(apiKey) : undefined;
  if (!k) {
    const detail = p.keys ? 'unknown api key' : 'no api keys configured';
    refuse(p.settings, state, new AuthFailure('invalid_token', 'The API key is invalid', detail), 'api-key');
  }
  if (k.allowedFrom && !k.allowedFrom.has(address)) {
    forbidAddress(state, address, 'address not allowed for this API key', `api-key:${k.entry.clientId}`);
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
}

/** The custom authenticator's principal; `undefined` when it recognised nothing. Refusals throw. */
async function viaCustom(
  p: Pipeline,
  state: SecurityState,
  request: RequestInfo,
  address: string | undefined,
): Promise<Principal | undefined> {
  if (!p.custom) return undefined;
  try {
    return await runCustom(p.custom, request, state, address, p.log);
  } catch (e) {
    if (!(e instanceof CustomRefusal)) return refuse(p.settings, state, e as AuthFailure, 'custom');
    const code = (e.error as { extensions?: { code?: string } }).extensions?.code as ErrorCode;
    state.record({ source: 'auth', outcome: 'denied', code, reason: e.error.message, details: { method: 'custom' } });
    throw e.error;
  }
}

/**
 * How the token was presented: as a bearer token (the shared constant: nothing else is read), or with
 * `Authorization: DPoP` and what the proof check reads of the request.
 */
function presentationOf(credentials: Credentials, request: RequestInfo): TokenPresentation {
  if (!credentials.dpop) return BEARER_PRESENTATION;
  return {
    scheme: 'dpop',
    proof: request.headers.get('dpop'),
    method: request.method,
    url: request.url,
    host: request.headers.get('host'),
  };
}

const unsupportedAuthorization = () =>
  new AuthFailure('invalid_request', 'Unsupported or malformed Authorization header', 'authorization header');

async function authenticate(p: Pipeline, state: SecurityState, request: RequestInfo): Promise<void> {
  const address = clientAddress(request.remoteAddress, request.headers.get('x-forwarded-for'), p.trusted);
  // behind a trusted proxy: a refused caller is known by its own address, not the proxy's
  if (state.principal.kind === 'anonymous' && state.principal.ip !== address)
    state.principal = anonymousPrincipal(address);
  if (p.filter.active) {
    const d = p.filter.check(address);
    if (!d.allowed) forbidAddress(state, address, d.reason, 'global');
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
    credentials = readCredentials(request.headers, p.apiKeyHeader, p.settings.dpopAlgorithms.length > 0);
  } catch (e) {
    return refuse(p.settings, state, e as AuthFailure, 'none');
  }
  const { bearer, apiKey, otherAuthorization } = credentials;
  if (apiKey !== undefined) return viaApiKey(p, state, apiKey, address);
  if (bearer !== undefined && p.jwt) return viaJwt(p, state, bearer, presentationOf(credentials, request), address);
  if (otherAuthorization && !p.custom) return refuse(p.settings, state, unsupportedAuthorization(), 'none');
  const principal = await viaCustom(p, state, request, address);
  if (principal) return admit(state, principal, 'custom authenticator', { method: 'custom', principal: principal.id });
  if (bearer !== undefined) {
    const failure = new AuthFailure('invalid_token', 'Bearer tokens are not accepted', 'no jwt configured');
    return refuse(p.settings, state, failure, 'jwt');
  }
  if (otherAuthorization) return refuse(p.settings, state, unsupportedAuthorization(), 'custom');
  if (p.required) refuseAnonymous(p.settings, state);
  const anonymous = createPrincipal({ id: 'anonymous', kind: 'anonymous', authMethod: 'none', ip: address });
  admit(state, anonymous, 'no credentials: anonymous');
}

/** Builds the pipeline; every option is checked here, at startup. */
export function createAuthenticator(
  authentication: AuthenticationOptions | undefined,
  ipFilter: IpFilterOptions | undefined,
  log: AuthLog = authLog(authentication?.logger),
): Authenticator {
  const a = resolveAuthenticationOptions(authentication);
  const ip = resolveIpFilterOptions(ipFilter);
  const apiKeys = a.apiKeys ? resolveApiKeyOptions(a.apiKeys) : undefined;
  const jwt = a.jwt
    ? createJwtVerifier(a.jwt, jwksMonitor(log), 'authentication.jwt', a.verifiedTokenCacheSize)
    : undefined;
  const p: Pipeline = {
    settings: {
      realm: a.realm ?? DEFAULT_REALM,
      dpopAlgorithms: jwt?.dpopAlgorithms ?? [],
      describeErrors: a.describeErrors ?? true,
      unavailableStatus: a.jwksUnavailableStatus ?? 401,
    },
    required: a.required ?? false,
    trusted: new AddressList(ip.trustedProxies, 'ipFilter.trustedProxies'),
    filter: new IpFilter(ip.allow, ip.deny),
    jwt,
    apiKeys,
    keys: apiKeys ? new ApiKeyStore(apiKeys.keys) : undefined,
    apiKeyHeader: apiKeys?.header.toLowerCase(),
    custom: a.custom,
    log,
  };
  return {
    log,
    authenticate: (state, request) => authenticate(p, state, request),
    health: () => ({ jwks: jwt?.health?.() ?? [] }),
  };
}
