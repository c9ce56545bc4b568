/**
 * Durable state: one append-only write-ahead log per node in `--data`. Hard state (term,
 * vote, promise) is a record in the same log, as in etcd's WAL, so one fdatasync covers a
 * whole Ready batch (group commit).
 *
 * Record layout: u32 BE payload length, u32 BE CRC-32 of the payload, payload (UTF-8 JSON).
 * After kill -9 the tail may be torn anywhere; `open` keeps the longest prefix of whole,
 * checksummed records and truncates the rest, so a torn write is as if it never happened
 * (it was never fsynced, hence never acknowledged).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const HEADER = 8;

export interface WalStats {
  records: number;
  bytes: number;
  fsyncs: number;
  /** Bytes cut from a torn tail when the log was opened. */
  tornBytes: number;
}

export class WriteAheadLog {
  private fd: number;
  readonly stats: WalStats = { records: 0, bytes: 0, fsyncs: 0, tornBytes: 0 };

  private constructor(
    private readonly file: string,
    private readonly fsyncEnabled: boolean,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** Open (creating if needed) the log in `dir`, returning it and every intact record in order. */
  static open(dir: string, fsyncEnabled: boolean): { wal: WriteAheadLog; records: unknown[] } {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'wal');
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_APPEND, 0o644);
    const wal = new WriteAheadLog(file, fsyncEnabled, fd);
    const records = wal.recover();
    return { wal, records };
  }

  private recover(): unknown[] {
    const buf = fs.readFileSync(this.file);
    const records: unknown[] = [];
    let offset = 0;
    while (buf.length - offset >= HEADER) {
      const len = buf.readUInt32BE(offset);
      const crc = buf.readUInt32BE(offset + 4);
      if (buf.length - offset - HEADER < len) break;
      const payload = buf.subarray(offset + HEADER, offset + HEADER + len);
      if (zlib.crc32(payload) !== crc) break;
      let record: unknown;
      try {
        record = JSON.parse(payload.toString('utf8'));
      } catch {
        break;
      }
      records.push(record);
      offset += HEADER + len;
    }
    if (offset < buf.length) {
      this.stats.tornBytes = buf.length - offset;
      fs.ftruncateSync(this.fd, offset);
      fs.fsyncSync(this.fd);
    }
    this.stats.records = records.length;
    this.stats.bytes = offset;
    return records;
  }

  /** Append records and make them durable (one write, one fdatasync) before returning. */
  append(records: unknown[]): void {
    if (records.length === 0) return;
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
    const buf = Buffer.concat(parts, total);
    let written = 0;
    while (written < buf.length) written += fs.writeSync(this.fd, buf, written);
    if (this.fsyncEnabled) {
      fs.fdatasyncSync(this.fd);
      this.stats.fsyncs++;
    }
    this.stats.records += records.length;
    this.stats.bytes += total;
  }

  /**
   * Replace the whole log with `records` (a compacted snapshot), atomically: write a new
   * file, fsync it, rename it over the old one, fsync the directory.
   */
  rewrite(records: unknown[]): void {
    const tmp = `${this.file}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o644);
    fs.closeSync(this.fd);
    const next = new WriteAheadLog(tmp, this.fsyncEnabled, fd);
    next.append(records);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, this.file);
    const dirFd = fs.openSync(path.dirname(this.file), 'r');
    fs.fsyncSync(dirFd);
    fs.closeSync(dirFd);
    this.fd = fs.openSync(this.file, fs.constants.O_RDWR | fs.constants.O_APPEND);
    this.stats.records = records.length;
    this.stats.bytes = next.stats.bytes;
    this.stats.fsyncs += next.stats.fsyncs + 2;
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}
