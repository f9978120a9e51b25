/** Flushing every live audit writer when the process exits (one `exit` listener for all of them). */

/** What the exit hook needs of a writer. */
export interface SyncFlushable {
  /** Writes buffered lines and a checkpoint synchronously. */
  flushSync(): void;
}

const live = new Set<SyncFlushable>();
let exitHookInstalled = false;

/** Flushes `writer` synchronously on process exit, until {@link forgetOnExit}. */
export function flushOnExit(writer: SyncFlushable): void {
  live.add(writer);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const w of live) w.flushSync();
  });
}

/** Stops flushing `writer` on exit (it was closed). */
export function forgetOnExit(writer: SyncFlushable): void {
  live.delete(writer);
}
