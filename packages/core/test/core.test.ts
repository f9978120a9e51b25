import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  anonymousPrincipal,
  attachSecurityState,
  CostFigures,
  check,
  createPrincipal,
  ErrorCode,
  ensureSecurityState,
  getSecurityState,
  type HttpHeaders,
  type Principal,
  principalAt,
  RampartConfigError,
  RequestHeaders,
  rampartError,
  renameDeprecatedOptions,
  requestIdFrom,
  requestInfoFrom,
  resolveOptions,
  SECURITY_STATE,
  SecurityState,
  wellFormedRequestId,
} from '@rampart/core';

describe('rampartError', () => {
  it('sets code and the default HTTP status with lower-cased headers in a Map (what Apollo copies)', () => {
    const e = rampartError(ErrorCode.RATE_LIMITED, 'slow down', { headers: { 'Retry-After': '3' } });
    assert.equal(e.extensions.code, 'RATE_LIMITED');
    const http = e.extensions.http as { status: number; headers: HttpHeaders };
    assert.equal(http.status, 429);
    assert.ok(http.headers instanceof Map);
    assert.deepEqual([...http.headers.keys()], ['retry-after']);
    assert.equal(http.headers.get('RETRY-AFTER'), '3');
    assert.equal(http.headers.get('retry-after'), '3');
  });
  it('field scope carries no HTTP status', () => {
    const e = rampartError(ErrorCode.FORBIDDEN, 'no', { scope: 'field' });
    assert.equal(e.extensions.http, undefined);
    assert.equal(e.extensions.code, 'FORBIDDEN');
  });
  it('details cannot override code', () => {
    const e = rampartError(ErrorCode.COST_ESTIMATED_TOO_EXPENSIVE, 'x', {
      details: { code: 'HACK', cost: { estimated: 5, max: 1 } },
    });
    assert.equal(e.extensions.code, 'COST_ESTIMATED_TOO_EXPENSIVE');
    assert.deepEqual(e.extensions.cost, { estimated: 5, max: 1 });
    assert.equal((e.extensions.http as { status: number }).status, 400);
  });
});

describe('resolveOptions', () => {
  const defaults: Readonly<{ depth: number; enabled: boolean }> = Object.freeze({ depth: 10, enabled: true });
  const schema = { depth: check.integer(1, 1000), enabled: check.boolean() };
  it('returns defaults for undefined', () => {
    assert.equal(resolveOptions('limits', defaults, schema, undefined), defaults);
  });
  it('merges and freezes', () => {
    const r = resolveOptions('limits', defaults, schema, { depth: 3 });
    assert.deepEqual(r, { depth: 3, enabled: true });
    assert.ok(Object.isFrozen(r));
  });
  it('names the bad option', () => {
    assert.throws(
      () => resolveOptions('limits', defaults, schema, { depth: -1 }),
      (e: unknown) =>
        e instanceof RampartConfigError && e.option === 'limits.depth' && /integer from 1/.test(e.message),
    );
  });
  it('rejects unknown keys with a hint', () => {
    assert.throws(
      () => resolveOptions('limits', defaults, schema, { dept: 3 } as never),
      (e: unknown) => e instanceof RampartConfigError && /did you mean "depth"/.test(e.message),
    );
  });
});

describe('renameDeprecatedOptions', () => {
  const renames = [['depthLimit', 'depth']] as const;
  it('moves an old name to its new name without touching the user object', () => {
    const user = { depthLimit: 3, enabled: false };
    assert.deepEqual(renameDeprecatedOptions('limits', user, renames), { depth: 3, enabled: false });
    assert.deepEqual(user, { depthLimit: 3, enabled: false });
  });
  it('returns the same object when no old name is used, and accepts both names when they agree', () => {
    const user = { depth: 3 };
    assert.equal(renameDeprecatedOptions('limits', user, renames), user);
    assert.deepEqual(renameDeprecatedOptions('limits', { depth: 3, depthLimit: 3 }, renames), { depth: 3 });
    assert.equal(renameDeprecatedOptions('limits', undefined, renames), undefined);
  });
  it('refuses both names with different values, naming the old one', () => {
    assert.throws(
      () => renameDeprecatedOptions('limits', { depth: 3, depthLimit: 4 }, renames),
      (e: unknown) =>
        e instanceof RampartConfigError &&
        e.option === 'limits.depthLimit' &&
        e.message === 'limits.depthLimit: contradicts limits.depth (depthLimit is deprecated: use depth only)',
    );
  });
});

describe('security state', () => {
  it('records frozen events with the injected clock', () => {
    const state = new SecurityState({ clock: { now: () => 42 } });
    state.record({ source: 'limits', outcome: 'denied', code: 'MAX_DEPTH_LIMIT' });
    assert.equal(state.events.length, 1);
    assert.equal(state.events[0]?.at, 42);
    assert.ok(Object.isFrozen(state.events[0]));
  });
  it('attaches under a symbol that survives Object.assign cloning and not JSON', () => {
    const ctx = { user: 'mine' };
    const state = ensureSecurityState(ctx);
    assert.equal(getSecurityState(ctx), state);
    const clone = Object.assign(Object.create(Object.getPrototypeOf(ctx)), ctx);
    assert.equal(getSecurityState(clone), state);
    assert.equal(JSON.stringify(ctx), '{"user":"mine"}');
    assert.ok(SECURITY_STATE in ctx);
    const other = new SecurityState();
    attachSecurityState(clone, other);
    assert.equal(getSecurityState(clone), other);
    assert.equal(getSecurityState(ctx), state);
  });
  it('forks keep the principal and get their own events', () => {
    const parent = new SecurityState({ principal: createPrincipal({ id: 'u1', kind: 'user', authMethod: 'jwt' }) });
    const child = parent.fork(2);
    child.record({ source: 'x', outcome: 'allowed' });
    assert.equal(child.principal.id, 'u1');
    assert.equal(parent.events.length, 0);
    assert.equal(child.requestId, `${parent.requestId}#2`);
  });
  it('request ids from headers only when well formed', () => {
    assert.equal(requestIdFrom('abc-123'), 'abc-123');
    assert.notEqual(requestIdFrom('bad\nid'), 'bad\nid');
    assert.match(requestIdFrom(undefined), /^[0-9a-f-]{36}$/);
  });
  it('new request ids are random UUIDs (version 4), not a sequence', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const ids = Array.from({ length: 2000 }, () => requestIdFrom(undefined));
    for (const id of ids) assert.match(id, uuid);
    assert.equal(new Set(ids).size, ids.length);
    // consecutive ids share no prefix beyond chance (a counter-based id would share 29 characters)
    const shared = ids.slice(1).filter((id, i) => id.slice(0, 8) === ids[i]!.slice(0, 8)).length;
    assert.ok(shared < 3, `${shared} consecutive ids share their first 8 characters`);
    // made on first read, then stable; a given id is kept
    const lazy = new SecurityState();
    assert.match(lazy.requestId, uuid);
    assert.equal(lazy.requestId, lazy.requestId);
    assert.equal(new SecurityState({ requestId: 'r-1' }).requestId, 'r-1');
    assert.equal(wellFormedRequestId('r-1'), 'r-1');
    assert.equal(wellFormedRequestId('a b'), undefined);
    assert.equal(wellFormedRequestId('x'.repeat(129)), undefined);
  });
  it('anonymous principal', () => {
    const p = anonymousPrincipal('127.0.0.1');
    assert.equal(p.kind, 'anonymous');
    assert.equal(p.scopes.size, 0);
    assert.equal(p.ip, '127.0.0.1');
  });
});

describe('RequestHeaders (requestInfoFrom)', () => {
  it('reads Node-style headers without copying: any case, arrays joined, absent is undefined', () => {
    const info = requestInfoFrom({
      headers: { 'x-request-id': 'abc', 'x-forwarded-for': ['1.1.1.1', '2.2.2.2'], host: 'h', empty: undefined },
      socket: { remoteAddress: '127.0.0.1' },
    });
    assert.equal(info.remoteAddress, '127.0.0.1');
    assert.equal(info.headers.get('x-request-id'), 'abc');
    assert.equal(info.headers.get('X-Request-Id'), 'abc');
    assert.equal(info.headers.get('x-forwarded-for'), '1.1.1.1, 2.2.2.2');
    assert.equal(info.headers.get('authorization'), undefined);
    assert.equal(info.headers.get('constructor'), undefined); // nothing from Object.prototype
    assert.equal(info.headers.has('host'), true);
    assert.equal(info.headers.has('empty'), false);
    assert.equal(info.headers.size, 3);
    assert.deepEqual(
      [...info.headers],
      [
        ['x-request-id', 'abc'],
        ['x-forwarded-for', '1.1.1.1, 2.2.2.2'],
        ['host', 'h'],
      ],
    );
  });

  it('finds headers whose names were not lower-cased by the integration', () => {
    const headers = new RequestHeaders({ Authorization: 'Bearer x', 'X-Api-Key': 'k' });
    assert.equal(headers.get('authorization'), 'Bearer x');
    assert.equal(headers.get('x-api-key'), 'k');
    assert.equal(headers.get('x-missing'), undefined);
    assert.deepEqual([...headers.keys()], ['authorization', 'x-api-key']);
  });
});

describe('CostFigures', () => {
  it('a deferred actual cost is computed on first read only, once, and never when nobody reads it', () => {
    const cost = new CostFigures();
    let calls = 0;
    cost.deferActual(() => ++calls * 10);
    assert.equal(calls, 0);
    assert.equal(cost.actual, 10);
    assert.equal(cost.actual, 10);
    assert.equal(calls, 1);
    const unread = new CostFigures();
    unread.deferActual(() => {
      throw new Error('must not run');
    });
    unread.actual = 3; // an explicit value replaces the deferred one
    assert.equal(unread.actual, 3);
    cost.estimated = 12;
    assert.deepEqual(JSON.parse(JSON.stringify(cost)), { estimated: 12, actual: 10 });
  });

  it('every security state has its own figures', () => {
    const a = new SecurityState();
    const b = new SecurityState();
    a.cost.estimated = 5;
    assert.equal(b.cost.estimated, undefined);
  });
});

describe("a principal's scopes and roles", () => {
  it('cannot be changed: add, delete and clear throw', () => {
    const p = createPrincipal({ id: 'u', kind: 'user', authMethod: 'jwt', scopes: ['a', 'b'], roles: ['r'] });
    assert.throws(() => (p.scopes as Set<string>).add('admin'), TypeError);
    assert.throws(() => (p.roles as Set<string>).delete('r'), TypeError);
    assert.throws(() => (p.scopes as Set<string>).clear(), TypeError);
    assert.deepEqual([...p.scopes], ['a', 'b']);
    assert.deepEqual([...p.roles], ['r']);
  });

  it('principalAt: the same principal from another address shares its sets and claims', () => {
    const p = createPrincipal({
      id: 'u',
      kind: 'user',
      authMethod: 'jwt',
      scopes: ['a'],
      roles: ['r'],
      clientId: 'c',
      tenant: 't',
      claims: { sub: 'u' },
    });
    assert.equal(principalAt(p, undefined), p);
    const q = principalAt(p, '10.0.0.7');
    assert.equal(q.ip, '10.0.0.7');
    assert.equal(p.ip, undefined);
    assert.ok(Object.isFrozen(q));
    assert.equal(q.scopes, p.scopes);
    assert.equal(q.roles, p.roles);
    assert.equal(q.claims, p.claims);
    assert.deepEqual({ ...q, ip: undefined }, { ...p });
    assert.equal(principalAt(q, '10.0.0.7'), q);
  });

  it('principalAt copies what could still change (a principal not built by createPrincipal)', () => {
    const scopes = new Set(['a']);
    const claims = { sub: 'u' };
    const own: Principal = { id: 'u', kind: 'user', authMethod: 'custom', scopes, roles: new Set(), claims };
    const q = principalAt(own, '10.0.0.8');
    scopes.add('admin');
    claims.sub = 'someone else';
    assert.deepEqual([...q.scopes], ['a']);
    assert.equal(q.claims?.sub, 'u');
    assert.throws(() => (q.scopes as Set<string>).add('admin'), TypeError);
  });
});

describe('principals without scopes or roles', () => {
  it('share one empty set that cannot be changed', () => {
    const p = anonymousPrincipal('10.0.0.1');
    const q = createPrincipal({ id: 'svc', kind: 'service', authMethod: 'api-key', scopes: [] });
    assert.equal(p.scopes.size, 0);
    assert.equal(p.scopes, q.scopes);
    assert.throws(() => (p.scopes as Set<string>).add('admin'), TypeError);
    assert.equal(p.roles.has('admin'), false);
    assert.deepEqual([...createPrincipal({ id: 'u', kind: 'user', authMethod: 'jwt', scopes: ['a'] }).scopes], ['a']);
  });
});
