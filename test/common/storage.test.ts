import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../helpers/tmp.js';
import { DurabilityLedger, WalCorruptError, WriteAheadLog } from '../../nodes/common/storage.js';

const tmp = tempDirs('parley-wal-');

describe('write-ahead log', () => {
  it('returns every appended record, in order, after reopening', () => {
    const dir = tmp();
    const { wal } = WriteAheadLog.open(dir, true);
    wal.append([{ hs: [1, 'n1'] }, { a: 1, e: [[1, null]] }]);
    wal.append([{ a: 2, e: [[1, { f: 'write', key: 'k', value: 'ü' }]] }]);
    expect(wal.stats.fsyncs).toBe(2);
    wal.close();
    const again = WriteAheadLog.open(dir, true);
    expect(again.records).toEqual([{ hs: [1, 'n1'] }, { a: 1, e: [[1, null]] }, { a: 2, e: [[1, { f: 'write', key: 'k', value: 'ü' }]] }]);
    again.wal.close();
  });

  it('cuts a torn tail at any byte, keeping exactly the whole records before it (kill -9 mid-write)', () => {
    const dir = tmp();
    const { wal } = WriteAheadLog.open(dir, false);
    const records = Array.from({ length: 5 }, (_, i) => ({ record: i, pad: 'x'.repeat(i * 7) }));
    const ends: number[] = [];
    for (const r of records) {
      wal.append([r]);
      ends.push(wal.stats.bytes);
    }
    wal.close();
    const full = fs.readFileSync(path.join(dir, 'wal'));
    for (let cut = 0; cut <= full.length; cut++) {
      fs.writeFileSync(path.join(dir, 'wal'), full.subarray(0, cut));
      const { wal: w, records: got } = WriteAheadLog.open(dir, false);
      const whole = ends.filter((e) => e <= cut).length;
      expect(got).toEqual(records.slice(0, whole));
      expect(fs.statSync(path.join(dir, 'wal')).size).toBe(whole === 0 ? 0 : ends[whole - 1]);
      // The log is appendable again after the cut.
      w.append([{ after: cut }]);
      w.close();
    }
  });

  it('refuses to start on a corrupted record with intact data after it, naming the file and the offset', () => {
    const dir = tmp();
    const { wal } = WriteAheadLog.open(dir, false);
    wal.append([{ a: 1 }]);
    const firstEnd = wal.stats.bytes;
    wal.append([{ b: 2 }, { c: 3 }]);
    wal.close();
    const buf = fs.readFileSync(path.join(dir, 'wal'));
    buf[firstEnd + 9] ^= 0x01; // a payload byte of the second record: still text, wrong checksum
    fs.writeFileSync(path.join(dir, 'wal'), buf);
    let error: unknown;
    try {
      WriteAheadLog.open(dir, false);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(WalCorruptError);
    expect((error as WalCorruptError).offset).toBe(firstEnd);
    expect((error as Error).message).toContain(path.join(dir, 'wal'));
    // Nothing was cut: the evidence stays on disk for whoever repairs it.
    expect(fs.readFileSync(path.join(dir, 'wal'))).toEqual(buf);
  });

  it('drops a damaged final record, and one whose unwritten bytes are zeros (a torn page)', () => {
    const dir = tmp();
    const { wal } = WriteAheadLog.open(dir, false);
    wal.append([{ a: 1 }]);
    const firstEnd = wal.stats.bytes;
    wal.append([{ b: 'x'.repeat(600) }, { c: 3 }]);
    wal.close();
    const full = fs.readFileSync(path.join(dir, 'wal'));
    // The last record's checksum is wrong and nothing follows it.
    const lastBad = Buffer.from(full);
    lastBad[full.length - 2] ^= 0x01;
    fs.writeFileSync(path.join(dir, 'wal'), lastBad);
    expect(WriteAheadLog.open(dir, false).records).toEqual([{ a: 1 }, { b: 'x'.repeat(600) }]);
    // The second record's middle never reached the disk (zeros), the third did.
    const torn = Buffer.from(full);
    torn.fill(0, firstEnd + 100, firstEnd + 400);
    fs.writeFileSync(path.join(dir, 'wal'), torn);
    const { wal: w, records } = WriteAheadLog.open(dir, false);
    expect(records).toEqual([{ a: 1 }]);
    expect(w.stats.tornBytes).toBe(full.length - firstEnd);
    w.close();
    // A file extended with zeros past its last record.
    fs.writeFileSync(path.join(dir, 'wal'), Buffer.concat([full, Buffer.alloc(4096)]));
    expect(WriteAheadLog.open(dir, false).records).toHaveLength(3);
  });

  it('records after every sync how far the log is durable, for power-loss crashes (durable.json)', () => {
    const dir = tmp();
    const { wal } = WriteAheadLog.open(dir, true);
    wal.append([{ a: 1 }]);
    const synced = wal.stats.bytes;
    expect(DurabilityLedger.read(dir)).toEqual({ wal: synced });
    wal.append([{ b: 2 }]);
    expect(DurabilityLedger.read(dir)).toEqual({ wal: wal.stats.bytes });
    wal.close();
    // Without fsync nothing is ever known to be durable.
    const other = tmp();
    const unsynced = WriteAheadLog.open(other, false);
    unsynced.wal.append([{ a: 1 }]);
    unsynced.wal.close();
    expect(DurabilityLedger.read(other)).toEqual({ wal: 0 });
  });
});
