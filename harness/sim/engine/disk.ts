/**
 * The simulated disk: a `LogFile` (nodes/common/storage.ts) held in memory, so the real
 * write-ahead log's encoding and recovery run over it. It knows what a real disk knows and
 * a kill -9 does not show: which bytes were synced. A sync is durable only once it
 * completes (the node is busy until then, see node.ts), and a power loss cuts each file
 * back to its durable length, optionally keeping a torn prefix of what was written after
 * it (a partial page, or a page of zeros from a file extended but never written).
 */
import type { LogFile } from '../../../nodes/common/storage.js';
import type { Random } from '../../../nodes/common/random.js';

export interface SimFileHooks {
  now(): number;
  /** A sync starts now; returns when it completes (simulated ms). */
  sync(): number;
}

export class SimFile implements LogFile {
  private chunks: Buffer[] = [];
  length = 0;
  /** Bytes that survive a power loss. */
  durable = 0;
  syncs = 0;
  private inProgress: { length: number; at: number } | null = null;

  constructor(
    readonly name: string,
    private readonly hooks: SimFileHooks,
  ) {}

  read(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks, this.length)];
    return Buffer.from(this.chunks[0]!);
  }

  append(data: Buffer): void {
    // The log hands over a buffer it never touches again (storage.ts encodeRecords).
    this.chunks.push(data);
    this.length += data.length;
  }

  sync(): void {
    this.settle();
    this.syncs++;
    this.inProgress = { length: this.length, at: this.hooks.sync() };
  }

  truncate(length: number): void {
    const all = this.read();
    this.chunks = [all.subarray(0, length)];
    this.length = Math.min(length, all.length);
    // The cut is synced, and what stays was read back from the disk: all of it is durable.
    this.inProgress = null;
    this.durable = this.length;
  }

  close(): void {
    /* nothing to release */
  }

  private settle(): void {
    if (this.inProgress && this.hooks.now() >= this.inProgress.at) {
      this.durable = Math.max(this.durable, this.inProgress.length);
      this.inProgress = null;
    }
  }

  /**
   * The machine lost power: keep what was durable. With `tear`, a prefix of the unsynced
   * bytes also reached the disk (any length, so possibly mid-record), and in one case out
   * of three the rest of that page reads back as zeros. Returns the bytes lost.
   */
  powerLoss(random: Random, tear: boolean): number {
    this.settle();
    this.inProgress = null;
    const before = this.length;
    let keep = this.durable;
    const all = this.read();
    let tail: Buffer | null = null;
    if (tear && before > keep) {
      const extra = random.int(0, before - keep);
      const kept = all.subarray(keep, keep + extra);
      if (extra > 0 && random.chance(1 / 3)) {
        const pageEnd = Math.min(before, Math.ceil((keep + extra + 1) / 4096) * 4096);
        tail = Buffer.concat([kept, Buffer.alloc(pageEnd - keep - extra)]);
      } else tail = kept;
    }
    this.chunks = tail ? [all.subarray(0, keep), tail] : [all.subarray(0, keep)];
    keep += tail?.length ?? 0;
    this.length = keep;
    this.durable = keep;
    return Math.max(0, before - keep);
  }
}
