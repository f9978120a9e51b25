/** How a principal proved who it is. */
export type AuthMethod = 'jwt' | 'api-key' | 'none' | (string & {});

/** Who is calling: built once per request by authentication, read by every other package. */
export interface Principal {
  /** Stable identifier: the JWT `sub`, the API key's client id; `'anonymous'` when nobody. */
  readonly id: string;
  /** A human/end user, a machine client, or nobody. */
  readonly kind: 'user' | 'service' | 'anonymous';
  /** OAuth2 scopes granted. */
  readonly scopes: ReadonlySet<string>;
  /** Roles granted (from a configured claim or the API key). */
  readonly roles: ReadonlySet<string>;
  /** OAuth2 client id (`client_id`/`azp`) or the API key's client. */
  readonly clientId?: string | undefined;
  /** Tenant, where the deployment has one. */
  readonly tenant?: string | undefined;
  /** How the principal authenticated. */
  readonly authMethod: AuthMethod;
  /** The client address as decided by the IP rules (socket peer or trusted-proxy header). */
  readonly ip?: string | undefined;
  /** Verified token claims, when the principal came from a token. */
  readonly claims?: Readonly<Record<string, unknown>> | undefined;
}

/** Fields accepted by {@link createPrincipal}; arrays are turned into sets. */
export interface PrincipalInit {
  id: string;
  kind: Principal['kind'];
  scopes?: Iterable<string>;
  roles?: Iterable<string>;
  clientId?: string | undefined;
  tenant?: string | undefined;
  authMethod: AuthMethod;
  ip?: string | undefined;
  claims?: Readonly<Record<string, unknown>> | undefined;
}

const READ_ONLY = "a principal's scopes and roles are read-only";

/**
 * A set that refuses to change once built: a principal's scopes and roles. Principals are frozen and
 * shared (the verified-token cache hands the same one to every request with the same token), so their
 * sets must not change either.
 */
class ReadOnlySet extends Set<string> {
  constructor(values: Iterable<string>) {
    super();
    for (const value of values) super.add(value);
  }
  override add(): this {
    throw new TypeError(READ_ONLY);
  }
  override delete(): boolean {
    throw new TypeError(READ_ONLY);
  }
  override clear(): void {
    throw new TypeError(READ_ONLY);
  }
}

/** The empty set shared by every principal without scopes or roles. */
const EMPTY: ReadonlySet<string> = new ReadOnlySet([]);

function setOf(values: Iterable<string> | undefined): ReadonlySet<string> {
  if (values === undefined) return EMPTY;
  // already a principal's set (EMPTY included): it cannot change, so it is shared
  if (values instanceof ReadOnlySet) return values;
  const set = new ReadOnlySet(values);
  return set.size === 0 ? EMPTY : set;
}

/** Frozen claims: shared when already frozen (another principal's), else a frozen copy. */
function frozenClaims(
  claims: Readonly<Record<string, unknown>> | undefined,
): Readonly<Record<string, unknown>> | undefined {
  if (!claims) return undefined;
  if (Object.isFrozen(claims)) return claims;
  return Object.freeze({ ...claims });
}

/**
 * Builds a frozen {@link Principal}; its scopes and roles are read-only sets. What cannot change
 * (another principal's sets, frozen claims) is shared, not copied.
 */
export function createPrincipal(init: PrincipalInit): Principal {
  return Object.freeze({
    id: init.id,
    kind: init.kind,
    scopes: setOf(init.scopes),
    roles: setOf(init.roles),
    clientId: init.clientId,
    tenant: init.tenant,
    authMethod: init.authMethod,
    ip: init.ip,
    claims: frozenClaims(init.claims),
  });
}

/**
 * The same principal seen from the client address `ip`: its scopes, roles and claims are shared (they
 * cannot change), so this costs one frozen object, not a copy of each (authentication does this on
 * every request with a cached token).
 */
export function principalAt(principal: Principal, ip: string | undefined): Principal {
  return principal.ip === ip ? principal : createPrincipal({ ...principal, ip });
}

/** Anonymous principals by client address: frozen and equal for every request from that address. */
const anonymousByIp = new Map<string, Principal>();
const ANONYMOUS_CACHE_SIZE = 1024;
const ANONYMOUS_NO_IP = createPrincipal({ id: 'anonymous', kind: 'anonymous', authMethod: 'none' });

/**
 * The principal of a request that carried no credentials. Principals are frozen, so the same object
 * serves every request from one address (a small bounded cache: no allocation per request).
 */
export function anonymousPrincipal(ip?: string): Principal {
  if (ip === undefined) return ANONYMOUS_NO_IP;
  let p = anonymousByIp.get(ip);
  if (p === undefined) {
    if (anonymousByIp.size >= ANONYMOUS_CACHE_SIZE) anonymousByIp.clear();
    p = createPrincipal({ id: 'anonymous', kind: 'anonymous', authMethod: 'none', ip });
    anonymousByIp.set(ip, p);
  }
  return p;
}

/** True when the principal is nobody. */
export function isAnonymous(principal: Principal): boolean {
  return principal.kind === 'anonymous';
}
