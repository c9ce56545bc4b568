import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WriteAheadLog } from '../../nodes/common/storage.js';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-wal-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

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

  it('stops at a corrupted record (bad checksum) and drops everything after it', () => {
    const dir = tmp();
    const { wal } = WriteAheadLog.open(dir, false);
    wal.append([{ a: 1 }]);
    const firstEnd = wal.stats.bytes;
    wal.append([{ b: 2 }, { c: 3 }]);
    wal.close();
    const buf = fs.readFileSync(path.join(dir, 'wal'));
    buf[firstEnd + 9] ^= 0xff; // a payload byte of the second record
    fs.writeFileSync(path.join(dir, 'wal'), buf);
    const { wal: w, records } = WriteAheadLog.open(dir, false);
    expect(records).toEqual([{ a: 1 }]);
    expect(w.stats.tornBytes).toBe(buf.length - firstEnd);
    w.close();
  });

  it('rewrites itself atomically (compaction)', () => {
    const dir = tmp();
    const { wal } = WriteAheadLog.open(dir, true);
    wal.append([{ a: 1 }, { b: 2 }]);
    wal.rewrite([{ snapshot: true }]);
    wal.append([{ c: 3 }]);
    wal.close();
    expect(WriteAheadLog.open(dir, true).records).toEqual([{ snapshot: true }, { c: 3 }]);
  });
});
