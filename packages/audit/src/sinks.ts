/** The sink of each configured destination and durability. */
import { mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino } from 'pino';
import { BufferedFileSink } from './buffered-file-sink.js';
import type { LineSink } from './chain.js';
import { FdSink } from './fd-sink.js';
import { type GroupCommitHooks, GroupCommitSink } from './group-commit.js';
import type { AuditOptions, WritableLike } from './options.js';
import { StreamSink } from './stream-sink.js';

/** Opens `path` for appending (mode 0600), creating its folder. */
export function openAppend(path: string): number {
  mkdirSync(dirname(path), { recursive: true });
  return openSync(path, 'a', 0o600);
}

/** The sink of the configured destination and durability. */
export function createSink(options: Readonly<AuditOptions>, hooks: GroupCommitHooks): LineSink {
  const onError = hooks.onError;
  const d = options.destination;
  const group = options.durability === 'group';
  if (d === 'stdout') return group ? new GroupCommitSink({ fd: 1 }, hooks) : new FdSink({ fd: 1 }, onError);
  if (typeof d === 'string') return group ? groupFile(d, hooks) : new FdSink({ path: d }, onError);
  if ('stream' in d) return new StreamSink(d.stream, onError);
  if ('transport' in d) {
    const t = pino.transport(d.transport as unknown as Parameters<typeof pino.transport>[0]) as unknown as WritableLike;
    return new StreamSink(t, onError, true);
  }
  if (d.sync === false) return new BufferedFileSink(d.path, d.minLength ?? 4096, onError);
  return group ? groupFile(d.path, hooks) : new FdSink({ path: d.path }, onError);
}

function groupFile(path: string, hooks: GroupCommitHooks): GroupCommitSink {
  return new GroupCommitSink({ open: () => openAppend(path) }, hooks);
}
