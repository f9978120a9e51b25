/**
 * The audit writer's telemetry hook: every line handed to the destination is reported (records,
 * UTF-8 bytes, time) to core's observers, and a group-commit writer's queue depth is a gauge. With no
 * observer registered, a write costs one extra `undefined` check.
 */
import { addObservedGauge, OBSERVED_GAUGE, rampartObserver } from '@rampart/core';
import type { LineSink } from './chain.js';

/**
 * Wraps `sink`'s `write` and `writeBytes` in place (the object keeps its class: the writer tells group
 * commit by `instanceof`), and registers its queue depth when it has one. Returns the function that
 * removes the gauge.
 */
export function observeSink(sink: LineSink): () => void {
  const write = sink.write.bind(sink);
  (sink as { write: LineSink['write'] }).write = (line) => {
    const observer = rampartObserver();
    if (observer?.auditWrite === undefined) return write(line);
    const startedAt = performance.now();
    const ok = write(line);
    if (ok) {
      const timing = { startedAt, durationMs: performance.now() - startedAt };
      observer.auditWrite(1, Buffer.byteLength(line), timing);
    }
    return ok;
  };
  const writeBytes = sink.writeBytes?.bind(sink);
  if (writeBytes !== undefined) {
    (sink as { writeBytes: NonNullable<LineSink['writeBytes']> }).writeBytes = (bytes, offset, length) => {
      const observer = rampartObserver();
      if (observer?.auditWrite === undefined) return writeBytes(bytes, offset, length);
      const startedAt = performance.now();
      const ok = writeBytes(bytes, offset, length);
      if (ok) observer.auditWrite(1, length, { startedAt, durationMs: performance.now() - startedAt });
      return ok;
    };
  }
  const pending = (sink as { readonly pending?: unknown }).pending;
  if (typeof pending !== 'number') return () => {};
  return addObservedGauge(OBSERVED_GAUGE.auditQueue, () => (sink as unknown as { pending: number }).pending);
}
