import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeaderMap } from '@apollo/server';
import {
  anonymousPrincipal,
  attachSecurityState,
  check,
  createPrincipal,
  ErrorCode,
  ensureSecurityState,
  getSecurityState,
  RampartConfigError,
  rampartError,
  requestIdFrom,
  resolveOptions,
  SECURITY_STATE,
  SecurityState,
} from '@rampart/core';

describe('rampartError', () => {
  it('sets code and the default HTTP status with a HeaderMap', () => {
    const e = rampartError(ErrorCode.RATE_LIMITED, 'slow down', { headers: { 'Retry-After': '3' } });
    assert.equal(e.extensions.code, 'RATE_LIMITED');
    const http = e.extensions.http as { status: number; headers: HeaderMap };
    assert.equal(http.status, 429);
    assert.ok(http.headers instanceof HeaderMap);
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
  it('anonymous principal', () => {
    const p = anonymousPrincipal('127.0.0.1');
    assert.equal(p.kind, 'anonymous');
    assert.equal(p.scopes.size, 0);
    assert.equal(p.ip, '127.0.0.1');
  });
});
