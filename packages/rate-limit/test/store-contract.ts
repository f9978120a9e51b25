/**
 * The `Store` contract (src/store.ts), one suite for every store: the ops the engine sends — counters
 * (all-or-nothing, `cost` 0 reads, `upTo` partial admission, brute-force blocks), leaky buckets, and
 * the always-applied `adjust-bucket`, `adjust-counter` and `delete` — with exact results. Time is the
 * `now` each call passes. A counter's lifetime is the one figure a store may keep by its own clock
 * (Redis: PTTL), so a key's remaining lifetime after creation is checked within bounds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ApplyResult, BucketOp, CounterOp, Store, StoreOp } from '../src/store.js';

/** A store under test and the key of a name (keys of one test share one hash tag). */
export interface StoreUnderTest {
  readonly store: Store;
  readonly key: (name: string) => string;
}

const TTL = 60_000;

/** The results' figures, for one `deepEqual`. */
function figures(result: ApplyResult): Array<[boolean, number, number]> {
  return result.results.map((r) => [r.allowed, r.value, r.resetMs]);
}

/** A remaining lifetime: at most `ttlMs`, and not much less (the test runs in well under a second). */
function assertLifetime(resetMs: number, ttlMs: number): void {
  assert.ok(resetMs <= ttlMs && resetMs > ttlMs - 10_000, `lifetime ${resetMs} of ${ttlMs}`);
}

/**
 * Defines the contract's tests for one store. `open(name)` gives the store and a key namespace for the
 * test `name` (a fresh namespace per test, so tests never share counts).
 */
export function storeContract(label: string, open: (name: string) => Promise<StoreUnderTest>): void {
  describe(`Store contract: ${label}`, () => {
    const counter = (key: string, limit: number, cost = 1, extra: Partial<CounterOp> = {}): CounterOp => ({
      type: 'counter',
      key,
      limit,
      cost,
      ttlMs: TTL,
      ...extra,
    });
    const bucket = (key: string, cost: number): BucketOp => ({
      type: 'bucket',
      key,
      capacity: 100,
      restorePerSecond: 10,
      cost,
    });
    const refill = (key: string, amount: number): StoreOp => ({
      type: 'adjust-bucket',
      key,
      capacity: 100,
      restorePerSecond: 10,
      amount,
    });

    test('counter: all-or-nothing; a refused call charges nothing; a new key lives ttlMs', async () => {
      const { store, key } = await open('counter');
      const a = counter(key('a'), 2);
      const b = counter(key('b'), 1);
      const first = await store.apply([a, b], 0);
      assert.equal(first.allowed, true);
      assert.deepEqual(figures(first), [
        [true, 1, TTL],
        [true, 1, TTL],
      ]);
      const refused = await store.apply([a, b], 10);
      assert.equal(refused.allowed, false);
      assert.deepEqual(
        refused.results.map((r) => [r.allowed, r.value]),
        [
          [true, 1],
          [false, 1],
        ],
      );
      for (const r of refused.results) assertLifetime(r.resetMs, TTL);
      const second = await store.apply([a], 20);
      assert.deepEqual([second.allowed, second.results[0]!.value], [true, 2]);
      const third = await store.apply([a], 30);
      assert.deepEqual([third.allowed, third.results[0]!.value], [false, 2]);
      assert.equal(third.units, undefined);
    });

    test('counter: cost 0 only reads; a cost above the limit is refused on a new key', async () => {
      const { store, key } = await open('read');
      await store.apply([counter(key('c'), 5, 3)], 0);
      const read = await store.apply([counter(key('c'), 5, 0)], 1);
      assert.deepEqual([read.allowed, read.results[0]!.value], [true, 3]);
      const tooBig = await store.apply([counter(key('big'), 5, 6)], 1);
      assert.deepEqual(figures(tooBig), [[false, 0, TTL]]);
      assert.equal(tooBig.allowed, false);
    });

    test('counter with upTo: charges as many units as fit every counter, then none', async () => {
      const { store, key } = await open('upto');
      const narrow = counter(key('narrow'), 5);
      const wide = counter(key('wide'), 10);
      for (let i = 0; i < 3; i++) await store.apply([narrow], 0);
      const part = await store.apply([narrow, wide], 0, 4);
      assert.deepEqual([part.allowed, part.units], [true, 2]);
      assert.deepEqual(
        part.results.map((r) => [r.allowed, r.value]),
        [
          [true, 5],
          [true, 2],
        ],
      );
      const none = await store.apply([narrow, wide], 0, 4);
      assert.deepEqual([none.allowed, none.units], [false, 0]);
      assert.deepEqual(
        none.results.map((r) => r.value),
        [5, 2],
      );
      const all = await store.apply([counter(key('roomy'), 100)], 0, 7);
      assert.deepEqual([all.allowed, all.units, all.results[0]!.value], [true, 7, 7]);
    });

    test('counter with blockMs: the refusal marks the key over the limit for blockMs, once', async () => {
      const { store, key } = await open('block');
      const guarded = counter(key('attempts'), 1, 1, { blockMs: 120_000 });
      assert.deepEqual(figures(await store.apply([guarded], 0)), [[true, 1, TTL]]);
      const blocked = await store.apply([guarded], 0);
      assert.equal(blocked.allowed, false);
      assert.deepEqual(figures(blocked), [[false, 2, 120_000]]);
      // already over its limit: not extended
      const again = await store.apply([guarded], 0);
      assert.deepEqual(
        again.results.map((r) => [r.allowed, r.value]),
        [[false, 2]],
      );
      assertLifetime(again.results[0]!.resetMs, 120_000);
    });

    test('bucket: takes its cost, restores over the passed time, refuses with the time until it fits', async () => {
      const { store, key } = await open('bucket');
      const k = key('budget');
      assert.deepEqual(figures(await store.apply([bucket(k, 80)], 0)), [[true, 20, 8000]]);
      const refused = await store.apply([bucket(k, 50)], 1000); // 30 available, 20 more at 10/s
      assert.equal(refused.allowed, false);
      assert.deepEqual(figures(refused), [[false, 30, 2000]]);
      assert.deepEqual(figures(await store.apply([bucket(k, 50)], 3000)), [[true, 0, 10_000]]);
      const never = await store.apply([bucket(k, 101)], 3000);
      assert.deepEqual(figures(never), [[false, 0, -1]]);
    });

    test('counter and bucket in one call: all-or-nothing both ways', async () => {
      const { store, key } = await open('mixed');
      const calls = counter(key('calls'), 10);
      const budget = key('budget');
      const refused = await store.apply([calls, bucket(budget, 150)], 0);
      assert.equal(refused.allowed, false);
      assert.deepEqual(figures(refused)[1], [false, 100, -1]);
      assert.equal(refused.results[0]!.allowed, true);
      assert.equal(refused.results[0]!.value, 0); // the counter was not charged
      await store.apply([counter(key('full'), 1)], 0);
      const byCounter = await store.apply([counter(key('full'), 1), bucket(budget, 40)], 0);
      assert.equal(byCounter.allowed, false);
      assert.deepEqual(figures(byCounter)[1], [true, 100, 0]); // the bucket allows but is not charged
      const admitted = await store.apply([calls, bucket(budget, 40)], 0);
      assert.equal(admitted.allowed, true);
      assert.deepEqual(figures(admitted)[1], [true, 60, 4000]);
      assert.deepEqual(figures(admitted)[0], [true, 1, TTL]);
    });

    test('adjust-bucket: always applied, kept within [-capacity, capacity], fractions kept', async () => {
      const { store, key } = await open('adjust-bucket');
      const k = key('budget');
      await store.apply([bucket(k, 90)], 0);
      assert.deepEqual(figures(await store.apply([refill(k, 12.5)], 0)), [[true, 22.5, 7750]]);
      assert.deepEqual(figures(await store.apply([refill(k, 500)], 0)), [[true, 100, 0]]);
      assert.deepEqual(figures(await store.apply([refill(k, -150)], 0)), [[true, -50, 15_000]]);
      assert.deepEqual(figures(await store.apply([refill(k, -500)], 0)), [[true, -100, 20_000]]);
      const owing = await store.apply([bucket(k, 1)], 1000); // -90 after 1 s
      assert.deepEqual(figures(owing), [[false, -90, 9100]]);
    });

    test('adjust-counter: changes a live counter; a missing key stays missing', async () => {
      const { store, key } = await open('adjust-counter');
      await store.apply([counter(key('a'), 5, 3)], 0);
      const adjusted = await store.apply(
        [
          { type: 'adjust-counter', key: key('a'), delta: -1 },
          { type: 'adjust-counter', key: key('missing'), delta: 5 },
        ],
        0,
      );
      assert.equal(adjusted.allowed, true);
      assert.deepEqual(
        adjusted.results.map((r) => [r.allowed, r.value]),
        [
          [true, 2],
          [true, 0],
        ],
      );
      assertLifetime(adjusted.results[0]!.resetMs, TTL);
      assert.equal(adjusted.results[1]!.resetMs, 0);
      assert.deepEqual(figures(await store.apply([counter(key('missing'), 5)], 0)), [[true, 1, TTL]]);
    });

    test('delete: the key counts from zero again', async () => {
      const { store, key } = await open('delete');
      await store.apply([counter(key('a'), 5, 4)], 0);
      assert.deepEqual(figures(await store.apply([{ type: 'delete', key: key('a') }], 0)), [[true, 0, 0]]);
      assert.deepEqual(figures(await store.apply([counter(key('a'), 5)], 0)), [[true, 1, TTL]]);
    });

    test('adjust and delete ops apply even when the call is refused', async () => {
      const { store, key } = await open('always');
      await store.apply([counter(key('full'), 1), counter(key('gone'), 9, 4), counter(key('refund'), 9, 4)], 0);
      await store.apply([bucket(key('budget'), 100)], 0);
      const refused = await store.apply(
        [
          counter(key('full'), 1),
          { type: 'delete', key: key('gone') },
          { type: 'adjust-counter', key: key('refund'), delta: -3 },
          refill(key('budget'), 30),
        ],
        0,
      );
      assert.equal(refused.allowed, false);
      assert.deepEqual(
        refused.results.map((r) => [r.allowed, r.value]),
        [
          [false, 1],
          [true, 0],
          [true, 1],
          [true, 30],
        ],
      );
      assert.equal((await store.apply([counter(key('gone'), 9)], 0)).results[0]!.value, 1);
    });
  });
}
