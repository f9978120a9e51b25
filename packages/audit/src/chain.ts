import * as crypto from 'node:crypto';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { CheckpointSigner, CheckpointWriter } from './checkpoint-writer.js';

/** `prev` of a chain's first line. */
export const GENESIS = '0'.repeat(64);

/**
 * The tail every chained line ends with: `seq`, `chain`, `key_id` (the HMAC key's id; absent from
 * lines written before key ids), `prev`, `mac`. The MAC is HMAC-SHA-256 over every byte of the line
 * before `,"mac":"`, i.e. over the exact bytes written (the pino record plus `seq`, `chain`, `key_id`
 * and `prev`). Groups: seq, chain, key id (or undefined), prev, mac.
 */
export const CHAINED_TAIL =
  /,"seq":(\d{1,15}),"chain":"([\da-f]{1,64})"(?:,"key_id":"([\w.-]{1,64})")?,"prev":"([\da-f]{64})","mac":"([\da-f]{64})"\}$/;

/** Text signed by a checkpoint. */
export function checkpointPayload(chain: string, seq: number, head: string, timestamp: string): string {
  return `rampart-audit-checkpoint/v1\n${chain}\n${seq}\n${head}\n${timestamp}`;
}

/** HMAC-SHA-256 (hex) of a line prefix. */
export function macOf(key: Buffer, prefix: string): string {
  return createHmac('sha256', key).update(prefix).digest('hex');
}

/** `crypto.hash` (one-shot digest, Node ≥ 20.12 / 21.7), when this Node has it. */
const oneShot = (crypto as { hash?: (alg: string, data: Buffer, enc: string) => string | Buffer }).hash;

/** SHA-256 block size, and the room kept in front of a line for the inner pad. */
export const HMAC_PAD = 64;

/**
 * HMAC-SHA-256 (RFC 2104) with the key pads computed once. `createHmac` builds a stream object and
 * imports the key on every call (most of its cost per line); with the pads precomputed, a
 * line costs two one-shot digests (`crypto.hash`): H((K⊕opad) ‖ H((K⊕ipad) ‖ line)). Same MAC as
 * `createHmac('sha256', key)`, byte for byte (tested); falls back to `createHmac` without `crypto.hash`.
 */
export class LineMac {
  readonly #key: Buffer;
  readonly #ipad: Buffer;
  readonly #outer: Buffer;

  constructor(key: Buffer) {
    this.#key = key;
    const k0 = Buffer.alloc(HMAC_PAD);
    (key.length > HMAC_PAD ? createHash('sha256').update(key).digest() : key).copy(k0);
    this.#ipad = Buffer.alloc(HMAC_PAD);
    this.#outer = Buffer.alloc(HMAC_PAD + 32);
    for (let i = 0; i < HMAC_PAD; i++) {
      this.#ipad[i] = (k0[i] as number) ^ 0x36;
      this.#outer[i] = (k0[i] as number) ^ 0x5c;
    }
  }

  /** Writes the inner pad into `buf[0, 64)`, in front of a line that will start at `HMAC_PAD`. */
  prepare(buf: Buffer): void {
    this.#ipad.copy(buf, 0);
  }

  /**
   * Hex MAC of `buf[HMAC_PAD, HMAC_PAD + length)`, where `buf[0, HMAC_PAD)` holds the inner pad
   * ({@link prepare}).
   */
  ofPrepared(buf: Buffer, length: number): string {
    if (!oneShot)
      return createHmac('sha256', this.#key)
        .update(buf.subarray(HMAC_PAD, HMAC_PAD + length))
        .digest('hex');
    // The inner digest as a latin1 string: one byte per char, and no Buffer object to create.
    const inner = oneShot('sha256', buf.subarray(0, HMAC_PAD + length), 'latin1') as string;
    this.#outer.write(inner, HMAC_PAD, 'latin1');
    return oneShot('sha256', this.#outer, 'hex') as string;
  }
}

/** A new chain id (16 hex digits): one per process/boot. */
export function newChainId(): string {
  return randomBytes(8).toString('hex');
}

/** Where finished lines go; `write` returns false when the line is known not to have been written. */
export interface LineSink {
  /** True when lines may sit in a buffer after `write` returns (asynchronous destinations). */
  readonly buffered: boolean;
  write(line: string): boolean;
  /**
   * Optional: writes `length` bytes of `bytes` (UTF-8, a whole line). The chain stage then encodes each
   * line once, MACs those very bytes and hands them over; `bytes` is reused after the call returns, so
   * only synchronous sinks may offer this.
   */
  writeBytes?(bytes: Buffer, offset: number, length: number): boolean;
  /** Writes out anything buffered, synchronously. */
  flushSync(): void;
  /** Writes out anything buffered. */
  flush(): Promise<void>;
  /** Releases the destination. */
  close(): Promise<void>;
}

/** Options of {@link ChainStage}. */
export interface ChainStageOptions {
  readonly key: Buffer | undefined;
  /** Id of `key`, written as `key_id` in every line. */
  readonly keyId: string;
  readonly chainId: string;
  readonly checkpoints?: { writer: CheckpointWriter; every: number; signer: CheckpointSigner } | undefined;
  readonly now: () => number;
  readonly onError: (error: Error) => void;
}

/** Where one chain ended: what the first line of the next chain links to (a key rotation). */
export interface ChainLink {
  readonly chain: string;
  readonly seq: number;
  readonly head: string;
  /** Id of the HMAC key of that chain. */
  readonly keyId: string;
  /** Checkpoint signer of that chain (undefined without checkpoints). */
  readonly signer: CheckpointSigner | undefined;
  /** Whether a checkpoint already covers `seq`. */
  readonly sealed: boolean;
}

/** What a key rotation switches to. */
export interface NextChain {
  readonly key: Buffer;
  readonly keyId: string;
  readonly chainId: string;
  /** New checkpoint signer; the current one is kept when undefined. */
  readonly signer?: CheckpointSigner | undefined;
}

/**
 * The pino destination of the audit logger: takes each serialised record, appends `seq`, `chain`,
 * `key_id`, `prev` and the HMAC of the exact bytes, and passes the line to the sink. The chain advances
 * only when the sink accepted the line, so a known-failed write leaves no hole.
 */
export class ChainStage {
  chainId: string;
  #seq = 0;
  #head = GENESIS;
  #checkpointedSeq = -1;
  #lastOk = true;
  readonly #sink: LineSink;
  readonly #options: ChainStageOptions;
  #mac: LineMac | undefined;
  #keyId: string;
  /** `,"chain":"<id>","key_id":"<key id>","prev":"`: constant per chain, spliced into each line. */
  #tag = '';
  #signer: CheckpointSigner | undefined;

  constructor(sink: LineSink, options: ChainStageOptions) {
    this.#sink = sink;
    this.#options = options;
    this.chainId = options.chainId;
    this.#keyId = options.keyId;
    this.#signer = options.checkpoints?.signer;
    this.#setKey(options.key, options.keyId);
  }

  #setKey(key: Buffer | undefined, keyId: string): void {
    this.#mac = key ? new LineMac(key) : undefined;
    this.#keyId = keyId;
    this.#tag = `,"chain":"${this.chainId}","key_id":"${keyId}","prev":"`;
    // The scratch buffer holds the previous key's inner pad.
    this.#scratch = Buffer.allocUnsafe(0);
  }

  /** Last line's sequence number in the chain. */
  get seq(): number {
    return this.#seq;
  }

  /** MAC of the last line (the chain head). */
  get head(): string {
    return this.#head;
  }

  /** Id of the HMAC key lines are MACed with now. */
  get keyId(): string {
    return this.#keyId;
  }

  /** Whether the last write was accepted by the destination. */
  get lastWriteOk(): boolean {
    return this.#lastOk;
  }

  /** pino's destination interface: a serialised record (`{…}` with or without the newline). */
  write(line: string): void {
    const end = line.endsWith('}\n') ? line.length - 2 : line.endsWith('}') ? line.length - 1 : -1;
    if (end < 0) {
      this.#lastOk = false;
      this.#options.onError(new Error('audit: unexpected record framing from the serializer'));
      return;
    }
    this.writeOpen(line.slice(0, end));
  }

  /**
   * Chains and writes one record given without its closing brace (`{"a":1,"b":2`): appends `seq`,
   * `chain`, `key_id`, `prev` and the MAC, and passes the line to the sink. Sets {@link lastWriteOk}.
   */
  writeOpen(open: string): void {
    const seq = this.#seq + 1;
    const mac = this.#mac;
    const sink = this.#sink;
    let head = this.#head;
    let ok: boolean;
    try {
      if (!mac) {
        ok = sink.write(`${open},"seq":${seq},"chain":"${this.chainId}"}\n`);
      } else {
        // Encode once, after the inner pad: the MAC is computed over the very bytes written.
        // (≤ 3 UTF-8 bytes per UTF-16 unit; the ASCII tail is under 256 bytes.)
        const links = `,"seq":${seq}${this.#tag}${this.#head}"`;
        const buf = this.#buffer(open.length * 3 + 256, mac);
        let n = buf.write(open, HMAC_PAD, 'utf8');
        n += buf.write(links, HMAC_PAD + n, 'latin1');
        head = mac.ofPrepared(buf, n);
        const tail = `,"mac":"${head}"}\n`;
        if (sink.writeBytes) {
          const m = buf.write(tail, HMAC_PAD + n, 'latin1');
          ok = sink.writeBytes(buf, HMAC_PAD, n + m);
        } else ok = sink.write(open + links + tail);
      }
    } catch (error) {
      ok = false;
      this.#options.onError(error as Error);
    }
    this.#lastOk = ok;
    if (!ok) return;
    this.#seq = seq;
    this.#head = head;
    const cp = this.#options.checkpoints;
    if (cp && seq % cp.every === 0) void this.checkpointAsync();
  }

  #scratch: Buffer = Buffer.allocUnsafe(0);
  /**
   * A reusable encoding buffer of at least `size` bytes after the inner pad (each line is MACed and
   * written before the buffer is reused).
   */
  #buffer(size: number, mac: LineMac): Buffer {
    if (this.#scratch.length < HMAC_PAD + size) {
      this.#scratch = Buffer.allocUnsafe(Math.max(HMAC_PAD + size, 16 * 1024));
      mac.prepare(this.#scratch);
    }
    return this.#scratch;
  }

  /** The current chain's end. */
  #link(): ChainLink {
    const sealed = this.#checkpointedSeq >= this.#seq;
    return { chain: this.chainId, seq: this.#seq, head: this.#head, keyId: this.#keyId, signer: this.#signer, sealed };
  }

  /**
   * Key rotation: ends the current chain and starts `next`, whose first line links (`prev`) to the
   * current chain's last MAC; returns where the current chain ended. The caller writes out lines the
   * sink holds for a rewind first (group commit), then seals the ended chain ({@link sealChain}).
   */
  rotate(next: NextChain): ChainLink {
    const ended = this.#link();
    this.chainId = next.chainId;
    this.#setKey(next.key, next.keyId);
    this.#seq = 0;
    this.#checkpointedSeq = -1;
    if (next.signer) this.#signer = next.signer;
    return ended;
  }

  /** Writes the final checkpoint of a chain ended by {@link rotate}, once its lines are out of the sink. */
  async sealChain(link: ChainLink): Promise<boolean> {
    if (this.#sink.buffered) {
      try {
        await this.#sink.flush();
      } catch (error) {
        this.#options.onError(error as Error);
        return false;
      }
    }
    return this.#writeCheckpoint(link);
  }

  /**
   * Writes a signed checkpoint of the current head, synchronously: for unbuffered sinks, or at
   * process exit after `flushSync` (no-op without checkpoints or when nothing changed).
   */
  checkpoint(): boolean {
    return this.#writeCheckpoint(this.#link());
  }

  /**
   * Writes a checkpoint of the current head once the lines it covers are out of a buffered sink
   * (a synchronous flush in the middle of an asynchronous write would reorder lines).
   */
  async checkpointAsync(): Promise<boolean> {
    const link = this.#link();
    const rewinds = this.#rewinds;
    if (this.#sink.buffered) {
      try {
        await this.#sink.flush();
      } catch (error) {
        this.#options.onError(error as Error);
        return false;
      }
      // The lines it would cover were lost (a failed group write): nothing to sign.
      if (rewinds !== this.#rewinds) return false;
    }
    return this.#writeCheckpoint(link);
  }

  #writeCheckpoint(link: ChainLink): boolean {
    const cp = this.#options.checkpoints;
    const current = link.chain === this.chainId;
    if (!cp || !link.signer || (current ? link.seq <= this.#checkpointedSeq : link.sealed)) return true;
    try {
      cp.writer.write(link.signer, link.chain, link.seq, link.head, new Date(this.#options.now()).toISOString());
      if (current) this.#checkpointedSeq = link.seq;
      return true;
    } catch (error) {
      this.#options.onError(error as Error);
      return false;
    }
  }

  #rewinds = 0;
  /**
   * Moves the head back to the last line that is on disk (a group write failed after the chain had
   * advanced over its lines), so the next line links to a line that exists.
   */
  rewind(seq: number, head: string): void {
    this.#rewinds++;
    this.#seq = seq;
    this.#head = head;
    if (this.#checkpointedSeq > seq) this.#checkpointedSeq = seq;
  }

  /** Whether records were written since the last checkpoint. */
  get dirty(): boolean {
    return this.#checkpointedSeq !== this.#seq;
  }

  flushSync(): void {
    this.#sink.flushSync();
  }
}
