/**
 * Headless Chromium for the HTML report tests (Debian's `chromium` at /usr/bin/chromium), and a PNG
 * reader on node:zlib (size from IHDR, pixels un-filtered to count colours).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';

/** Where the tests expect Chromium. */
export const CHROMIUM = '/usr/bin/chromium';

/** Fails (never skips) when Chromium is missing, saying how to install it. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the HTML report is tested in headless Chromium. Install it with ` +
        '`sudo apt-get install -y chromium` (Debian/Ubuntu), as .ci/run does.',
    );
  }
}

/** Runs headless Chromium with a fresh profile and no network services; returns standard output. */
export function chromium(args: readonly string[]): string {
  requireChromium();
  const profile = mkdtempSync(join(tmpdir(), 'rampart-chromium-'));
  try {
    const r = spawnSync(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        ...args,
      ],
      { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
    );
    if (r.status !== 0) throw new Error(`chromium exited ${r.status}: ${r.error?.message ?? r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** What the tests check of a PNG. */
export interface PngInfo {
  readonly width: number;
  readonly height: number;
  /** Distinct colours (capped at 1000). */
  readonly colours: number;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Reverses the PNG row filters in place (8-bit samples, `bpp` bytes per pixel). */
function unfilter(data: Buffer, width: number, height: number, bpp: number): Buffer {
  const stride = width * bpp;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = data[y * (stride + 1)] as number;
    const src = y * (stride + 1) + 1;
    for (let x = 0; x < stride; x++) {
      const raw = data[src + x] as number;
      const a = x >= bpp ? (out[y * stride + x - bpp] as number) : 0;
      const b = y > 0 ? (out[(y - 1) * stride + x] as number) : 0;
      const c = x >= bpp && y > 0 ? (out[(y - 1) * stride + x - bpp] as number) : 0;
      const add = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter] ?? 0;
      out[y * stride + x] = (raw + add) & 0xff;
    }
  }
  return out;
}

/** Reads a PNG file (8-bit RGB or RGBA, as Chromium writes them). */
export function readPng(path: string): PngInfo {
  const png = readFileSync(path);
  if (png.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error(`${path} is not a PNG`);
  let offset = 8;
  let width = 0;
  let height = 0;
  let bpp = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.subarray(offset + 4, offset + 8).toString('latin1');
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      if (body[8] !== 8 || body[12] !== 0) throw new Error('only 8-bit, non-interlaced PNGs are read');
      bpp = body[9] === 6 ? 4 : body[9] === 2 ? 3 : 0;
      if (bpp === 0) throw new Error(`PNG colour type ${body[9]} is not read`);
    } else if (type === 'IDAT') idat.push(body);
    offset += 12 + length;
  }
  const pixels = unfilter(inflateSync(Buffer.concat(idat)), width, height, bpp);
  const colours = new Set<string>();
  for (let i = 0; i < pixels.length && colours.size < 1000; i += bpp) {
    colours.add(pixels.subarray(i, i + bpp).toString('hex'));
  }
  return { width, height, colours: colours.size };
}
