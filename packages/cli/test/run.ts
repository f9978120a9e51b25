import { type CliIO, processIO } from '../src/cli.js';
import { commands } from '../src/index.js';
import { main } from '../src/main.js';

/** Runs the `rampart` command line in-process, capturing what it prints. */
export async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { ...processIO, stdout: (t) => (out += t), stderr: (t) => (err += t) };
  const code = await main(argv, commands, io);
  return { code, out, err };
}
