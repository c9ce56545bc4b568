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
 * The log reads and writes through `LogFile`, so the same encoding and recovery code runs
 * over a real file (`FsLogFile`) and over the simulator's disk (harness/sim/disk.ts), where
 * power loss drops what was written but not synced.
 *
 * For the harness's power-loss crashes of real processes, every sync also records how far
 * each file is durable in `durable.json` beside it (`DurabilityLedger`): after a kill -9
 * the harness cuts each file back to that length, as a power failure would.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const HEADER = 8;

/** The file a log lives in: the one seam between the log's format and a disk, real or simulated. */
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

export interface WalStats {
  records: number;
  bytes: number;
  fsyncs: number;
  /** Bytes cut from a torn tail when the log was opened. */
  tornBytes: number;
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
  readonly stats: WalStats = { records: 0, bytes: 0, fsyncs: 0, tornBytes: 0 };

  private constructor(
    private readonly file: LogFile,
    private readonly fsyncEnabled: boolean,
  ) {}

  /**
   * Open a log over `file`, returning it and every intact record in order. A torn tail is
   * cut (and the cut synced); corruption throws WalCorruptError.
   */
  static over(file: LogFile, fsyncEnabled: boolean): { wal: WriteAheadLog; records: unknown[] } {
    const wal = new WriteAheadLog(file, fsyncEnabled);
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
    return WriteAheadLog.over(FsLogFile.open(dir, 'wal', fsyncEnabled), fsyncEnabled);
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

  close(): void {
    this.file.close();
  }
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

/** A log file on the real file system. */
export class FsLogFile implements LogFile {
  private length: number;

  private constructor(
    readonly name: string,
    private readonly fd: number,
    private readonly ledger: DurabilityLedger,
    private readonly base: string,
    private readonly fsyncEnabled: boolean,
  ) {
    this.length = fs.fstatSync(fd).size;
  }

  /**
   * Open `dir/base`, creating it (and `dir`) if needed. A new file's directory entry is
   * fsynced, or a power loss could forget the file even after its data was synced.
   */
  static open(dir: string, base: string, fsyncEnabled: boolean): FsLogFile {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, base);
    const existed = fs.existsSync(file);
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_APPEND, 0o644);
    if (!existed && fsyncEnabled) fsyncDir(dir);
    const ledger = new DurabilityLedger(dir);
    const f = new FsLogFile(file, fd, ledger, base, fsyncEnabled);
    // With fsync, what survived the last stop is made durable now; without, only what an
    // earlier run with fsync synced is (nothing, for a log that never had it).
    if (fsyncEnabled) f.sync();
    else ledger.record(base, Math.min(ledger.get(base) ?? 0, f.length));
    return f;
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
    fs.fdatasyncSync(this.fd);
    this.ledger.record(this.base, this.length);
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
    this.ledger.close();
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
