// `pnpm start` as a user runs it: the shop listens on loopback unless HOST says otherwise, and prints the
// address it really listens on. Runs src/main.ts in a child process.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { postGraphQL } from '@rampart/testing';

const shopDir = new URL('..', import.meta.url).pathname;

/** Starts the shop with `env`; resolves with the child and the first line it prints. */
async function startShop(
  dir: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; line: string; output: () => string }> {
  const { HOST: _host, REDIS_URL: _redis, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/main.ts'], {
    cwd: shopDir,
    env: { ...inherited, PORT: '0', SHOP_DEV_KEYS: join(dir, 'keys'), SHOP_AUDIT_DIR: join(dir, 'audit'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf('\n');
      if (end !== -1) resolve(out.slice(0, end));
    });
    child.once('exit', (code) => reject(new Error(`the shop exited (${code}) before it was ready: ${err}`)));
  });
  return { child, line, output: () => out };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

describe('shop example: where it listens', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rampart-shop-main-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('on 127.0.0.1 by default, and says so', async () => {
    const { child, line } = await startShop(dir, {});
    try {
      const match = /^Rampart shop ready at (http:\/\/127\.0\.0\.1:(\d+)\/graphql) \(stores: in-memory\)$/.exec(line);
      assert.ok(match, line);
      const res = await postGraphQL(match[1]!, { query: '{ __typename }' });
      assert.equal(res.status, 200);
      assert.equal(res.body.data.__typename, 'Query');
      // not on the other loopback family: only the address printed is served
      await assert.rejects(fetch(`http://[::1]:${match[2]}/graphql`));
    } finally {
      await stop(child);
    }
  });

  it('on the address HOST names, printed as it is', async () => {
    const { child, line } = await startShop(dir, { HOST: '::1' });
    try {
      const match = /^Rampart shop ready at (http:\/\/\[::1\]:\d+\/graphql) /.exec(line);
      assert.ok(match, line);
      const res = await postGraphQL(match[1]!, { query: '{ __typename }' });
      assert.equal(res.body.data.__typename, 'Query');
    } finally {
      await stop(child);
    }
  });

  it('OTEL=console: Rampart metrics and spans go to the console (flushed on SIGTERM)', async () => {
    const { child, line, output } = await startShop(dir, { OTEL: 'console', OTEL_METRIC_EXPORT_INTERVAL: '600000' });
    const url = /ready at (\S+)/.exec(line)![1]!;
    const refused = await postGraphQL(url, { query: '{ __typename }' }, { headers: { authorization: 'Bearer nope' } });
    assert.equal(refused.status, 401);
    assert.equal((await postGraphQL(url, { query: '{ __typename }' })).status, 200);
    await stop(child);
    const printed = output();
    assert.match(printed, /OpenTelemetry: metrics and spans to the console \(OTEL=console\)/);
    for (const name of [
      'rampart.decisions',
      'rampart.request.duration',
      'rampart.authentication',
      'rampart.audit.write',
    ]) {
      assert.ok(printed.includes(`name: '${name}'`), `${name} in the console output`);
    }
    assert.match(printed, /'rampart.code': 'UNAUTHENTICATED'/);
  });
});
