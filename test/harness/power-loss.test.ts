/**
 * The power-loss cut on a data directory (harness/faults/power-loss.ts): what a node synced
 * survives byte for byte; of what it did not, a torn prefix may, sometimes followed by zeros
 * to the end of its page, as the simulator's disk does; at least one unsynced byte is lost.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { losePower } from '../../harness/faults/power-loss.js';
import { Random } from '../../nodes/common/random.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A data directory with one log of `size` bytes (0x41 'A'), `durable` of them synced, and a file the ledger does not name. */
function dataDir(size: number, durable: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-power-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'wal.log'), Buffer.alloc(size, 0x41));
  fs.writeFileSync(path.join(dir, 'other.bin'), Buffer.alloc(100, 0x42));
  fs.writeFileSync(path.join(dir, 'durable.json'), JSON.stringify({ 'wal.log': durable }));
  return dir;
}

describe('losePower', () => {
  it('keeps the synced bytes, tears the unsynced ones at any length, sometimes zeroes the rest of the page, and always loses some', () => {
    const durable = 5000;
    const size = 9000;
    let torn = 0;
    let zeroed = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const dir = dataDir(size, durable);
      const [cut, ...more] = losePower(dir, new Random(seed))!;
      expect(more).toEqual([]); // only files the ledger names are cut
      const bytes = fs.readFileSync(path.join(dir, 'wal.log'));
      expect(bytes.length).toBe(cut!.after);
      expect(bytes.subarray(0, durable).every((b) => b === 0x41)).toBe(true);
      const kept = bytes.indexOf(0) === -1 ? bytes.length : bytes.indexOf(0);
      expect(kept).toBeGreaterThanOrEqual(durable);
      expect(kept).toBeLessThan(size);
      expect(cut!.lost).toBe(size - kept);
      expect(bytes.subarray(kept).every((b) => b === 0)).toBe(true);
      if (bytes.length > kept) {
        zeroed++;
        expect(bytes.length).toBe(Math.min(size, Math.ceil((kept + 1) / 4096) * 4096));
      }
      if (kept > durable) torn++;
      expect(fs.readFileSync(path.join(dir, 'other.bin')).length).toBe(100);
    }
    expect(torn).toBeGreaterThan(250);
    expect(zeroed).toBeGreaterThan(50);
  });

  it('cuts nothing when every byte was synced, and says when a directory keeps no ledger', () => {
    const dir = dataDir(3000, 3000);
    expect(losePower(dir, new Random(1))).toEqual([]);
    expect(fs.statSync(path.join(dir, 'wal.log')).size).toBe(3000);
    fs.rmSync(path.join(dir, 'durable.json'));
    expect(losePower(dir, new Random(1))).toBeNull();
  });
});
