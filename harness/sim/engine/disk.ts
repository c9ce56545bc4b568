/**
 * The simulated disk: a data directory (`FileStore`, nodes/common/files.ts) of files held in
 * memory, so the real write-ahead log and snapshot store, with their encoding, recovery and
 * compaction, run over it. It knows what a real disk knows and a kill -9 does not show:
 * which bytes were synced, and which names. A sync is durable only once it completes (the
 * node is busy until then, see node.ts). A power loss cuts each file back to its durable
 * length, optionally keeping a torn prefix of what was written after it (a partial page, or
 * a page of zeros from a file extended but never written), and puts the directory back as
 * its last completed directory sync left it: a file created, renamed or removed since is
 * not, or still, there (POSIX promises a name only once its directory is fsynced).
 */
import type { FileStore, LogFile } from '../../../nodes/common/files.js';
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
   * of three the rest of that page reads back as zeros. Returns the bytes lost (cut off or
   * read back as zeros), as the real cut counts them (harness/faults/power-loss.ts).
   */
  powerLoss(random: Random, tear: boolean): number {
    this.settle();
    this.inProgress = null;
    const before = this.length;
    let keep = this.durable;
    const all = this.read();
    let tail: Buffer | null = null;
    let survived = keep;
    if (tear && before > keep) {
      const extra = random.int(0, before - keep);
      survived += extra;
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
    return Math.max(0, before - survived);
  }
}

/** A node's data directory on the simulated disk. */
export class SimDisk implements FileStore {
  /** The directory as the running node sees it. */
  private names = new Map<string, SimFile>();
  /** The directory as its last completed sync left it: what a power loss goes back to. */
  private durableNames = new Map<string, SimFile>();
  private dirSync: { names: Map<string, SimFile>; at: number } | null = null;
  /** Syncs of files and of the directory so far. */
  syncs = 0;
  private readonly fileHooks: SimFileHooks;

  constructor(
    readonly name: string,
    private readonly hooks: SimFileHooks,
  ) {
    this.fileHooks = {
      now: hooks.now,
      sync: () => {
        this.syncs++;
        return hooks.sync();
      },
    };
  }

  private files(): Set<SimFile> {
    return new Set([...this.names.values(), ...this.durableNames.values()]);
  }

  list(): string[] {
    return [...this.names.keys()];
  }

  read(name: string): Buffer | null {
    return this.names.get(name)?.read() ?? null;
  }

  open(name: string): LogFile {
    let f = this.names.get(name);
    if (!f) {
      f = new SimFile(`${this.name}/${name}`, this.fileHooks);
      this.names.set(name, f);
    }
    return f;
  }

  rename(from: string, to: string): void {
    const f = this.names.get(from);
    if (!f) throw new Error(`${this.name}/${from}: no such file to rename`);
    this.names.delete(from);
    this.names.set(to, f);
  }

  remove(name: string): void {
    this.names.delete(name);
  }

  syncDir(): void {
    this.settle();
    this.syncs++;
    this.dirSync = { names: new Map(this.names), at: this.hooks.sync() };
  }

  bytes(): number {
    let total = 0;
    for (const f of this.names.values()) total += f.length;
    return total;
  }

  private settle(): void {
    if (this.dirSync && this.hooks.now() >= this.dirSync.at) {
      this.durableNames = this.dirSync.names;
      this.dirSync = null;
    }
  }

  /**
   * The machine lost power: every file keeps what was durable (SimFile.powerLoss), and the
   * directory what its last completed sync made durable. Returns the bytes lost, counting
   * files whose name was lost with them.
   */
  powerLoss(random: Random, tear: boolean): number {
    this.settle();
    this.dirSync = null;
    const before = this.bytes();
    for (const f of this.files()) f.powerLoss(random, tear);
    this.names = new Map(this.durableNames);
    return Math.max(0, before - this.bytes());
  }
}
