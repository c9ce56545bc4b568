/**
 * Durable state: one append-only write-ahead log per node in `--data`. Hard state (term,
 * vote, promise) is a record in the same log, as in etcd's WAL, so one fdatasync covers a
 * whole Ready batch (group commit).
 *
 * Record layout: u32 BE payload length, u32 BE CRC-32 of the payload, payload (UTF-8 JSON).
 *
 * Recovery is strict, as etcd's: only a torn *final* record may be dropped (a write that a
 * crash or power loss cut short was never fsynced, hence never acknowledged). A record that
 * is whole but fails its checksum or its JSON with more data after it is corruption, and the
 * node must not start on it: `WalCorruptError` names the file and the offset (exit 70).
 *
 * Compaction replaces the whole log at once with the records a core says must follow its
 * newest snapshot (`rewrite`; snapshots.ts holds the order that makes it safe).
 *
 * The log reads and writes through the data-directory seam of files.ts, so the same
 * encoding, recovery and compaction run over the real file system and over the simulator's
 * disk, where power loss drops what was written but not synced.
 */
import zlib from 'node:zlib';
import { FsFileStore, replaceFile, type FileStore, type LogFile } from './files.js';

export type { FileStore, LogFile } from './files.js';
export { DurabilityLedger } from './files.js';

const HEADER = 8;

export interface WalStats {
  records: number;
  bytes: number;
  fsyncs: number;
  /** Bytes cut from a torn tail when the log was opened. */
  tornBytes: number;
  /** Times the log was replaced by a compacted one. */
  rewrites: number;
}

export class WalCorruptError extends Error {
  override readonly name = 'WalCorruptError';
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${file}: corrupt record at byte ${offset} (${reason}) with intact data after it; refusing to start on a damaged log`);
  }
}

/**
 * Decode every record of a log image. A bad record is a torn tail only if nothing but its
 * own bytes (or a zero-filled page, as a file extended but never written leaves) follows
 * it; anything else throws WalCorruptError.
 */
export function decodeLog(buf: Buffer, file: string): { records: unknown[]; validBytes: number } {
  const records: unknown[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const problem = recordProblem(buf, offset);
    if (problem === null) {
      const len = buf.readUInt32BE(offset);
      records.push(JSON.parse(buf.toString('utf8', offset + HEADER, offset + HEADER + len)));
      offset += HEADER + len;
      continue;
    }
    if (!isTornTail(buf, offset)) throw new WalCorruptError(file, offset, problem);
    break;
  }
  return { records, validBytes: offset };
}

/** Why the record at `offset` is not whole and intact, or null if it is. */
function recordProblem(buf: Buffer, offset: number): string | null {
  if (buf.length - offset < HEADER) return 'incomplete header';
  const len = buf.readUInt32BE(offset);
  if (buf.length - offset - HEADER < len) return 'incomplete payload';
  const payload = buf.subarray(offset + HEADER, offset + HEADER + len);
  if (zlib.crc32(payload) !== buf.readUInt32BE(offset + 4)) return 'checksum mismatch';
  if (len === 0) return 'empty payload';
  try {
    JSON.parse(payload.toString('utf8'));
  } catch {
    return 'payload is not JSON';
  }
  return null;
}

/**
 * A crash tears only the last, unsynced write: the bad record runs to the end of the file,
 * or only zeros follow it (a file extended but never written), or its payload holds a NUL
 * byte (JSON text never does, so those bytes never reached the disk). Intact-looking bytes
 * after an intact-looking bad record mean the damage is elsewhere: corruption.
 */
function isTornTail(buf: Buffer, offset: number): boolean {
  if (buf.length - offset < HEADER) return true;
  const end = offset + HEADER + buf.readUInt32BE(offset);
  if (end >= buf.length) return true;
  if (zeroFrom(buf, end, buf.length)) return true;
  return buf.subarray(offset + HEADER, end).includes(0);
}

function zeroFrom(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}

export function encodeRecords(records: readonly unknown[]): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  for (const record of records) {
    const payload = Buffer.from(JSON.stringify(record), 'utf8');
    const header = Buffer.allocUnsafe(HEADER);
    header.writeUInt32BE(payload.length, 0);
    header.writeUInt32BE(zlib.crc32(payload), 4);
    parts.push(header, payload);
    total += HEADER + payload.length;
  }
  return Buffer.concat(parts, total);
}

export class WriteAheadLog {
  readonly stats: WalStats = { records: 0, bytes: 0, fsyncs: 0, tornBytes: 0, rewrites: 0 };

  private constructor(
    private readonly store: FileStore,
    private readonly fileName: string,
    private file: LogFile,
    private readonly fsyncEnabled: boolean,
    private readonly ownsStore: FsFileStore | null,
  ) {}

  /**
   * Open (creating if needed) the log `name` in a data directory, returning it and every
   * intact record in order. A torn tail is cut (and the cut synced); corruption throws
   * WalCorruptError. A new log's directory entry is synced, or a power loss could forget
   * the file even after its data was synced.
   */
  static in(store: FileStore, fsyncEnabled: boolean, name = 'wal', ownsStore: FsFileStore | null = null): { wal: WriteAheadLog; records: unknown[] } {
    const created = !store.list().includes(name);
    const file = store.open(name);
    if (created && fsyncEnabled) store.syncDir();
    const wal = new WriteAheadLog(store, name, file, fsyncEnabled, ownsStore);
    const buf = file.read();
    const { records, validBytes } = decodeLog(buf, file.name);
    if (validBytes < buf.length) {
      wal.stats.tornBytes = buf.length - validBytes;
      file.truncate(validBytes);
    }
    wal.stats.records = records.length;
    wal.stats.bytes = validBytes;
    return { wal, records };
  }

  /** Open (creating if needed) the log in `dir` on the real file system. */
  static open(dir: string, fsyncEnabled: boolean): { wal: WriteAheadLog; records: unknown[] } {
    const store = new FsFileStore(dir, fsyncEnabled);
    return WriteAheadLog.in(store, fsyncEnabled, 'wal', store);
  }

  /** Append records and make them durable (one write, one fdatasync) before returning. */
  append(records: readonly unknown[]): void {
    if (records.length === 0) return;
    const buf = encodeRecords(records);
    this.file.append(buf);
    if (this.fsyncEnabled) {
      this.file.sync();
      this.stats.fsyncs++;
    }
    this.stats.records += records.length;
    this.stats.bytes += buf.length;
  }

  /**
   * Replace the whole log with `records`, all or nothing across a crash (files.ts
   * `replaceFile`): the compacted log a core asks for once its snapshot is durable.
   */
  rewrite(records: readonly unknown[]): void {
    const buf = encodeRecords(records);
    this.file.close();
    replaceFile(this.store, this.fileName, buf, this.fsyncEnabled);
    this.file = this.store.open(this.fileName);
    if (this.fsyncEnabled) this.stats.fsyncs += 2;
    this.stats.rewrites++;
    this.stats.records = records.length;
    this.stats.bytes = buf.length;
  }

  close(): void {
    this.file.close();
    this.ownsStore?.close();
  }
}
