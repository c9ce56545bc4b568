/**
 * The data directory: the one seam between a node's durable files (its write-ahead log,
 * its snapshots) and a disk, real or simulated. The log and the snapshot store (storage.ts,
 * snapshots.ts) write through `FileStore` and `LogFile` only, so the same sequences of
 * writes, syncs, renames and directory syncs run over the real file system (`FsFileStore`)
 * and over the simulator's disk (harness/sim/engine/disk.ts), where a power loss drops what
 * was written but not synced, and creations, renames and removals whose directory was not
 * synced.
 *
 * What is durable, as POSIX promises it: a file's bytes once it was fsynced; its name (a
 * creation, a rename, a removal) once its directory was fsynced. `replaceFile` is the
 * classic sequence that makes a whole file appear at once: write a temporary, fsync it,
 * rename it into place, fsync the directory.
 *
 * For the harness's power-loss crashes of real processes, the real store also records
 * after every sync how far each file is durable in `durable.json` (`DurabilityLedger`):
 * after a kill -9 the harness cuts each file back to that length, as a power failure would.
 */
import fs from 'node:fs';
import path from 'node:path';
import { failpoint } from './failpoints.js';

/** An open file a node appends to (its log, or a snapshot being written). */
export interface LogFile {
  /** For error messages. */
  readonly name: string;
  /** The whole content as it is now. */
  read(): Buffer;
  append(data: Buffer): void;
  /** fdatasync: what was appended so far survives a power loss once this returns. */
  sync(): void;
  /** Cut to `length` bytes and make the cut durable. */
  truncate(length: number): void;
  close(): void;
}

export interface FileStore {
  /** The directory, for messages. */
  readonly name: string;
  /** Names of the files in it. */
  list(): string[];
  /** A file's whole content, or null if there is no such file. */
  read(name: string): Buffer | null;
  /** Open a file for appending, creating it empty if absent (the creation is durable after `syncDir`). */
  open(name: string): LogFile;
  /** Atomically give file `from` the name `to`, replacing any file there (durable after `syncDir`). */
  rename(from: string, to: string): void;
  /** Remove a file if it exists (durable after `syncDir`). */
  remove(name: string): void;
  /** fsync the directory: the creations, renames and removals so far survive a power loss. */
  syncDir(): void;
  /** Bytes held by the files, for metrics. */
  bytes(): number;
}

/**
 * Make `data` the whole content of `name`, all or nothing across a crash or a power loss:
 * a temporary file written and synced, renamed into place, the directory synced. Without
 * `fsync` the same steps run without the syncs (nothing is promised across a power loss).
 */
export function replaceFile(store: FileStore, name: string, data: Buffer, fsync: boolean): void {
  const tmp = `${name}.tmp`;
  store.remove(tmp);
  const file = store.open(tmp);
  try {
    file.append(data);
    if (fsync) file.sync();
  } finally {
    file.close();
  }
  store.rename(tmp, name);
  if (fsync) store.syncDir();
}

/**
 * How far each file of a data directory is durable, for the harness's power-loss crashes:
 * `durable.json` maps file names to byte lengths. It is rewritten in place after each sync
 * and never synced itself: it only has to survive a kill -9 (the page cache does), which is
 * how the harness reads it before it cuts the files back. A file that was never synced has
 * no entry: all of it is lost.
 */
export class DurabilityLedger {
  private static readonly SIZE = 4096;
  private readonly fd: number;
  private readonly lengths: Record<string, number>;

  constructor(dir: string) {
    const file = path.join(dir, 'durable.json');
    this.lengths = DurabilityLedger.read(dir);
    this.fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
  }

  /** The recorded durable lengths of a data directory ({} when none was recorded). */
  static read(dir: string): Record<string, number> {
    try {
      const text = fs.readFileSync(path.join(dir, 'durable.json'), 'utf8').trim();
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        const out: Record<string, number> = {};
        for (const [k, v] of Object.entries(parsed)) if (typeof v === 'number' && v >= 0) out[k] = v;
        return out;
      }
    } catch {
      /* absent or torn: nothing is known to be durable */
    }
    return {};
  }

  get(name: string): number | undefined {
    return this.lengths[name];
  }

  record(name: string, length: number): void {
    this.lengths[name] = length;
    this.write();
  }

  /** A file renamed into place is durable under its new name (and the old one is gone). */
  rename(from: string, to: string): void {
    const length = this.lengths[from];
    delete this.lengths[from];
    if (length === undefined) delete this.lengths[to];
    else this.lengths[to] = length;
    this.write();
  }

  forget(name: string): void {
    if (!(name in this.lengths)) return;
    delete this.lengths[name];
    this.write();
  }

  private write(): void {
    const text = Buffer.from(JSON.stringify(this.lengths).padEnd(DurabilityLedger.SIZE, ' '));
    if (text.length > DurabilityLedger.SIZE) throw new Error('durability ledger overflow');
    fs.writeSync(this.fd, text, 0, text.length, 0);
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}

/** Files a node keeps in its data directory that are not its durable state (traces, the ledger). */
const NOT_STATE = new Set(['durable.json', 'applied.jsonl', 'events.jsonl']);

/** A data directory on the real file system, with its durability ledger. */
export class FsFileStore implements FileStore {
  private readonly ledger: DurabilityLedger;

  constructor(
    readonly name: string,
    private readonly fsyncEnabled: boolean,
  ) {
    fs.mkdirSync(name, { recursive: true });
    this.ledger = new DurabilityLedger(name);
  }

  list(): string[] {
    return fs.readdirSync(this.name).filter((f) => !NOT_STATE.has(f));
  }

  read(name: string): Buffer | null {
    try {
      return fs.readFileSync(path.join(this.name, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  open(name: string): LogFile {
    const file = new FsLogFile(path.join(this.name, name), name, this.ledger, this.fsyncEnabled);
    // With fsync, what survived the last stop is made durable now; without, only what an
    // earlier run with fsync synced is (nothing, for a file that never had it).
    if (this.fsyncEnabled && file.length > 0) file.sync();
    else this.ledger.record(name, Math.min(this.ledger.get(name) ?? 0, file.length));
    return file;
  }

  rename(from: string, to: string): void {
    fs.renameSync(path.join(this.name, from), path.join(this.name, to));
    this.ledger.rename(from, to);
  }

  remove(name: string): void {
    fs.rmSync(path.join(this.name, name), { force: true });
    this.ledger.forget(name);
  }

  syncDir(): void {
    fsyncDir(this.name);
  }

  bytes(): number {
    let total = 0;
    for (const f of this.list()) {
      try {
        total += fs.statSync(path.join(this.name, f)).size;
      } catch {
        /* removed meanwhile */
      }
    }
    return total;
  }

  close(): void {
    this.ledger.close();
  }
}

/** A file on the real file system, opened for appending. */
class FsLogFile implements LogFile {
  private readonly fd: number;
  length: number;

  constructor(
    readonly name: string,
    private readonly base: string,
    private readonly ledger: DurabilityLedger,
    private readonly fsyncEnabled: boolean,
  ) {
    this.fd = fs.openSync(name, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_APPEND, 0o644);
    this.length = fs.fstatSync(this.fd).size;
  }

  read(): Buffer {
    return fs.readFileSync(this.name);
  }

  append(data: Buffer): void {
    let written = 0;
    while (written < data.length) written += fs.writeSync(this.fd, data, written);
    this.length += data.length;
  }

  sync(): void {
    failpoint('before-sync');
    fs.fdatasyncSync(this.fd);
    this.ledger.record(this.base, this.length);
    failpoint('after-sync');
  }

  truncate(length: number): void {
    fs.ftruncateSync(this.fd, length);
    if (this.fsyncEnabled) fs.fsyncSync(this.fd);
    this.length = length;
    this.ledger.record(this.base, Math.min(this.ledger.get(this.base) ?? 0, length));
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}

export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
