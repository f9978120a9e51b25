/** The anomaly engine alone: sliding counts in tenths of the window, one signal per window, a capped map. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPrincipal, SecurityState } from '@rampart/core';
import { AnomalyDetector, clientKeyOf, refusalClassOf } from '../src/anomaly/detector.js';
import { resolveAnomalyOptions } from '../src/anomaly/options.js';
import { RefusalWindows } from '../src/anomaly/refusal-windows.js';

describe('RefusalWindows', () => {
  it('signals at the threshold, once per window; refusals leave the window a tenth at a time', () => {
    const w = new RefusalWindows(3, 10, 100); // 3 refusals in 10 s, buckets of 1 s
    assert.equal(w.refuse('a', 0), undefined);
    assert.equal(w.refuse('a', 500), undefined);
    assert.equal(w.refuse('a', 9_000), 3);
    assert.equal(w.refuse('a', 9_500), undefined); // 4 in the window, signalled 0.5 s ago
    // at 10 s the bucket [0, 1 s) has left the window: 2 remain (9 s, 9.5 s), then 3 with this one
    assert.equal(w.refuse('a', 10_000), undefined); // 3 in the window, but signalled 1 s ago
    // at 19 s the window is the buckets from 10 s: 10 s and 19 s count, 9 s and 9.5 s left it
    assert.equal(w.refuse('a', 19_000), undefined);
    assert.equal(w.refuse('a', 19_500), 3); // 3 again, and a window after the last signal
    // a long silence forgets everything
    assert.equal(w.refuse('a', 100_000), undefined);
  });

  it('keeps at most maxClients, forgetting the least recently refused', () => {
    const w = new RefusalWindows(2, 60, 2);
    w.refuse('a', 0);
    w.refuse('b', 0);
    w.refuse('a', 1); // a is now the most recent
    w.refuse('c', 2); // b is forgotten
    assert.equal(w.size, 2);
    assert.equal(w.refuse('b', 3), undefined); // b starts again from 1
    assert.equal(w.refuse('c', 4), 2);
  });
});

describe('AnomalyDetector', () => {
  const user = createPrincipal({ id: 'u1', kind: 'user', authMethod: 'jwt', ip: '192.0.2.1' });
  const refusedState = (t: number) => {
    const state = new SecurityState({ principal: user, clock: { now: () => t } });
    state.record({ source: 'auth', outcome: 'allowed' });
    state.record({ source: 'limits', outcome: 'denied', code: 'MAX_DEPTH_LIMIT', rule: 'depth' });
    state.record({ source: 'rules', outcome: 'denied', code: 'FORBIDDEN' });
    return state;
  };

  it('counts a refused operation once and records one measured decision when it crosses', () => {
    const detector = new AnomalyDetector(resolveAnomalyOptions({ threshold: 2 })!);
    const first = refusedState(1000);
    detector.observe(first);
    assert.equal(first.events.length, 3);
    const second = refusedState(2000);
    detector.observe(second);
    assert.deepEqual(second.events.at(-1), {
      source: 'anomaly',
      outcome: 'measured',
      rule: 'refusal-rate',
      reason: '2 refused operations within 60 s from one client (threshold 2)',
      details: { refusalClass: 'limits', refusals: 2, threshold: 2, windowSeconds: 60 },
      at: 2000,
    });
    const allowed = new SecurityState({ principal: user });
    allowed.record({ source: 'auth', outcome: 'allowed' });
    detector.observe(allowed);
    assert.equal(detector.trackedClients, 1);
  });

  it('keys: principal id, else client id, else address (IPv6 by /64); classes by source', () => {
    assert.equal(clientKeyOf(user), 'u:u1');
    assert.equal(
      clientKeyOf(createPrincipal({ id: 'k', kind: 'service', clientId: 'partner', authMethod: 'api-key' })),
      'c:partner',
    );
    assert.equal(
      clientKeyOf(createPrincipal({ id: 'anonymous', kind: 'anonymous', authMethod: 'none', ip: '2001:db8::1' })),
      'ip:2001:db8::/64',
    );
    const at = 0;
    assert.equal(refusalClassOf({ source: 'auth', outcome: 'denied', at }), 'authentication');
    assert.equal(refusalClassOf({ source: 'scopes', outcome: 'denied', at }), 'authorization');
    assert.equal(refusalClassOf({ source: 'rate-limit', outcome: 'limited', at }), 'limits');
    assert.equal(refusalClassOf({ source: 'my-module', outcome: 'denied', at }), 'other');
  });

  it('options: false turns it off; bad values are refused at startup', () => {
    assert.equal(resolveAnomalyOptions(false), undefined);
    assert.deepEqual(resolveAnomalyOptions(undefined), { threshold: 50, windowSeconds: 60, maxClients: 10_000 });
    assert.throws(() => resolveAnomalyOptions({ threshold: 0 }), /rampart\.anomaly\.threshold/);
    assert.throws(() => resolveAnomalyOptions({ window: 60 } as never), /rampart\.anomaly/);
  });
});
