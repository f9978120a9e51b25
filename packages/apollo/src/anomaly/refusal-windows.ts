/**
 * Per-client sliding counts of refusals, in bounded memory: each client's window is ten buckets of a
 * tenth of the window; clients live in a map kept in least-recently-refused order, capped. No Apollo.
 */

/** Buckets per window. */
const BUCKETS = 10;

/** One client's counts. */
class ClientWindow {
  readonly counts = new Uint32Array(BUCKETS);
  /** The bucket number (time / bucket length) of the newest bucket. */
  newest: number;
  /** Sum of `counts`. */
  total = 0;
  /** When this client's last anomaly was signalled (ms). */
  signalledAt = Number.NEGATIVE_INFINITY;

  constructor(bucket: number) {
    this.newest = bucket;
  }

  /** Moves the window to `bucket`, forgetting the buckets it leaves behind. */
  advance(bucket: number): void {
    if (bucket <= this.newest) return; // a clock that went back counts in the newest bucket
    const steps = Math.min(bucket - this.newest, BUCKETS);
    for (let i = 1; i <= steps; i++) {
      const slot = (this.newest + i) % BUCKETS;
      this.total -= this.counts[slot] as number;
      this.counts[slot] = 0;
    }
    this.newest = bucket;
  }
}

/** The refusal counts of every tracked client. */
export class RefusalWindows {
  readonly #windowMs: number;
  readonly #bucketMs: number;
  readonly #threshold: number;
  readonly #maxClients: number;
  /** Least recently refused first. */
  readonly #clients = new Map<string, ClientWindow>();

  constructor(threshold: number, windowSeconds: number, maxClients: number) {
    this.#threshold = threshold;
    this.#windowMs = windowSeconds * 1000;
    this.#bucketMs = this.#windowMs / BUCKETS;
    this.#maxClients = maxClients;
  }

  /** Clients tracked now. */
  get size(): number {
    return this.#clients.size;
  }

  /**
   * Counts one refusal of `client` at `now` (ms). Returns the count within the window when it reaches
   * the threshold and no anomaly was signalled for the client within the last window (the caller
   * signals it), else `undefined`.
   */
  refuse(client: string, now: number): number | undefined {
    const bucket = Math.floor(now / this.#bucketMs);
    let w = this.#clients.get(client);
    if (w === undefined) {
      w = new ClientWindow(bucket);
      if (this.#clients.size >= this.#maxClients) {
        const oldest = this.#clients.keys().next().value as string;
        this.#clients.delete(oldest);
      }
    } else {
      this.#clients.delete(client); // re-inserted last: most recently refused
      w.advance(bucket);
    }
    this.#clients.set(client, w);
    w.counts[w.newest % BUCKETS] = (w.counts[w.newest % BUCKETS] as number) + 1;
    w.total++;
    if (w.total < this.#threshold || now - w.signalledAt < this.#windowMs) return undefined;
    w.signalledAt = now;
    return w.total;
  }
}
