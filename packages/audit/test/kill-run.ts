import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const root = new URL('../../../', import.meta.url).pathname;

/** Runs the kill-writer child, SIGKILLs it after `delayMs`, returns acknowledged and written counts. */
export async function killRun(
  log: string,
  durability: 'group' | 'sync',
  key: string,
  perTurn: number,
  delayMs: number,
): Promise<{ acked: number; written: number; lost: number }> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', new URL('./fixtures/kill-writer.ts', import.meta.url).pathname],
    {
      cwd: root,
      env: {
        ...process.env,
        AUDIT_LOG: log,
        AUDIT_DURABILITY: durability,
        AUDIT_PER_TURN: String(perTurn),
        AUDIT_KEY: key,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve) => {
    child.stdout?.on('data', (d: Buffer) => {
      const ready = out.length === 0;
      out += d.toString();
      if (ready && out.startsWith('READY')) resolve();
    });
  });
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  const acks = [...out.matchAll(/ACK (\d+)\n/g)];
  const acked = Number(acks.at(-1)?.[1] ?? 0);
  const written = readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
  return { acked, written, lost: Math.max(0, acked - written) };
}
