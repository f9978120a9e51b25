/** A small LRU map for the analysis cache. */

/** A small LRU map (insertion order of a `Map`, refreshed on hit). */
export class LruCache<K, V> {
  readonly #max: number;
  readonly #map = new Map<K, V>();
  constructor(max: number) {
    this.#max = max;
  }
  /** The value, marked most recently used. */
  get(key: K): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }
  /** Stores a value, evicting the least recently used entry when full. */
  set(key: K, value: V): void {
    if (this.#max <= 0) return;
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value as K);
  }
  /** Number of entries. */
  get size(): number {
    return this.#map.size;
  }
}
