// MemoryStore under an address-rotating attacker: heap used by 1,000,000 distinct keys (one counter
// each, keys shaped like real operation-limit keys), and the bound: 2,000,000 distinct keys into a store
// with maxKeys 1,000,000 keep exactly 1,000,000. Run with --expose-gc.
// Usage: node --expose-gc --conditions=source --import tsx bench/rate-limit/memory.ts
import { MemoryStore } from '@rampart/rate-limit';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const now = Date.UTC(2026, 10, 28, 12, 0, 0);
const window = Math.floor(now / 60_000) * 60_000;
const key = (i: number) =>
  `rampart:rl:{ip:${10 + ((i >> 24) & 255)}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}}:op:60:${window}`;

function fill(store: MemoryStore, from: number, n: number) {
  for (let i = from; i < from + n; i++) {
    store.applySync([{ type: 'counter', key: key(i), limit: 100, cost: 1, ttlMs: 120_000 }], now);
  }
}

const before = heap();
const store = new MemoryStore({ maxKeys: 1_000_000, sweepIntervalMs: 0 });
let t = performance.now();
fill(store, 0, 1_000_000);
const fillMs = performance.now() - t;
const after = heap();
console.log(`| distinct keys | keys held | heap used by the store | per key | insert time |`);
console.log(`|---:|---:|---:|---:|---:|`);
console.log(
  `| 1,000,000 | ${store.size.toLocaleString('en')} | ${((after - before) / 1048576).toFixed(1)} MB | ${((after - before) / store.size).toFixed(0)} B | ${(fillMs / 1000).toFixed(2)} µs/key |`,
);
t = performance.now();
fill(store, 1_000_000, 1_000_000);
const fill2 = performance.now() - t;
const after2 = heap();
console.log(
  `| 2,000,000 (maxKeys 1,000,000: LRU eviction) | ${store.size.toLocaleString('en')} | ${((after2 - before) / 1048576).toFixed(1)} MB | ${((after2 - before) / store.size).toFixed(0)} B | ${(fill2 / 1000).toFixed(2)} µs/key |`,
);
console.log(`\nkey shape: ${key(123456789)} (${key(123456789).length} chars); Node ${process.version}`);
