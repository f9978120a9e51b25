import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';

/** The Redis every test shares: `REDIS_URL`, else 127.0.0.1:6379. */
export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

const HOW_TO_START =
  'Rampart tests need Redis. Start one with:\n' +
  '  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no\n' +
  'or point REDIS_URL at a running server.';

/**
 * Connects to the shared Redis and checks it answers. Fails (never skips) with a message saying how
 * to start Redis when it is not reachable.
 */
export async function connectRedis(options: RedisOptions = {}): Promise<Redis> {
  const redis = new Redis(redisUrl(), {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: () => null,
    ...options,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new Error(`${HOW_TO_START}\n(cause: ${(error as Error).message})`);
  }
  return redis;
}

/** Deletes every key under `prefix` (a test file's own namespace). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A `redis-server` this test started on its own port; stop it by pid. */
export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** Stops the server (SIGKILL by default: an abrupt outage) and waits until it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (a new pid). */
  restart(): Promise<PrivateRedis>;
}

/** Starts a private `redis-server` (no persistence) on a free port and waits until it answers. */
export async function startPrivateRedis(port?: number): Promise<PrivateRedis> {
  const p = port ?? (await freePort());
  const child = spawn(
    'redis-server',
    ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const failed = new Promise<never>((_, reject) =>
    child.once('error', (e) => reject(new Error(`cannot start redis-server (is it installed?): ${e.message}`))),
  );
  const url = `redis://127.0.0.1:${p}`;
  const deadline = Date.now() + 5000;
  for (;;) {
    const probe = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    try {
      await Promise.race([probe.connect().then(() => probe.ping()), failed]);
      probe.disconnect();
      break;
    } catch (e) {
      probe.disconnect();
      if (Date.now() > deadline)
        throw new Error(`private redis-server on port ${p} did not answer: ${(e as Error).message}`);
      await sleep(50);
    }
  }
  const pid = child.pid as number;
  return {
    port: p,
    url,
    pid,
    async stop(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, signal);
      await exited;
    },
    async restart() {
      return startPrivateRedis(p);
    },
  };
}
