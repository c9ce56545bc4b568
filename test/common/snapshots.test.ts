/**
 * The snapshot store and log compaction over the data-directory seam: on the real file
 * system (durable files, the durability ledger, a torn newest snapshot passed over), and on
 * the simulator's disk, where a power loss also takes unsynced files and renames.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../helpers/tmp.js';
import { DurabilityLedger, FsFileStore, replaceFile } from '../../nodes/common/files.js';
import { SnapshotStore, decodeSnapshot, encodeSnapshot, openDurableState } from '../../nodes/common/snapshots.js';
import { WriteAheadLog } from '../../nodes/common/storage.js';
import { SimDisk } from '../../harness/sim/engine/disk.js';
import { Random } from '../../nodes/common/random.js';

const tmp = tempDirs('parley-snap-');

const snapFiles = (dir: string) => fs.readdirSync(dir).filter((f) => f.startsWith('snap-')).sort();

describe('snapshot store (real file system)', () => {
  it('saves images durably under increasing generations, keeps the two newest, and loads the newest', () => {
    const dir = tmp();
    const store = new FsFileStore(dir, true);
    const snaps = new SnapshotStore(store, true);
    for (let i = 1; i <= 4; i++) snaps.save(`image ${i} ${'x'.repeat(i * 100)}`);
    expect(snapFiles(dir)).toEqual(['snap-0000000003', 'snap-0000000004']);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // Renamed into place, each is in the ledger under its final name, whole.
    const ledger = DurabilityLedger.read(dir);
    for (const f of snapFiles(dir)) expect(ledger[f]).toBe(fs.statSync(path.join(dir, f)).size);
    store.close();
    const again = new FsFileStore(dir, true);
    expect(new SnapshotStore(again, true).load()).toEqual({ image: `image 4 ${'x'.repeat(400)}`, passedOver: [] });
    again.close();
  });

  it('passes over a torn or corrupt newest snapshot for the previous one, and says so', () => {
    for (const damage of ['truncate', 'flip', 'zeros'] as const) {
      const dir = tmp();
      const store = new FsFileStore(dir, true);
      const snaps = new SnapshotStore(store, true);
      snaps.save('the previous image');
      snaps.save('the newest image, which will not survive');
      store.close();
      const newest = path.join(dir, 'snap-0000000002');
      const buf = fs.readFileSync(newest);
      if (damage === 'truncate') fs.writeFileSync(newest, buf.subarray(0, buf.length - 5));
      if (damage === 'flip') buf[12] ^= 0x20;
      if (damage === 'zeros') buf.fill(0, 10, 20);
      if (damage !== 'truncate') fs.writeFileSync(newest, buf);
      const state = openDurableState(new FsFileStore(dir, true), true);
      expect(state.snapshot, damage).toBe('the previous image');
      expect(state.notes.join('\n'), damage).toMatch(/passed over snapshot .*snap-0000000002/);
      // The next snapshot does not reuse the damaged one's name.
      state.snapshots.save('next');
      expect(snapFiles(dir), damage).toEqual(['snap-0000000002', 'snap-0000000003']);
      state.wal.close();
    }
  });

  it('decodes only whole images with their checksum', () => {
    const buf = encodeSnapshot('ünïcode image');
    expect(decodeSnapshot(buf)).toEqual({ image: 'ünïcode image' });
    expect(decodeSnapshot(buf.subarray(0, 6))).toHaveProperty('problem');
    expect(decodeSnapshot(Buffer.concat([buf, Buffer.from('x')]))).toHaveProperty('problem');
  });

  it('replaces the log whole (compaction), appends after it, and recovers the tail plus what followed', () => {
    const dir = tmp();
    const store = new FsFileStore(dir, true);
    const { wal } = WriteAheadLog.in(store, true);
    wal.append(Array.from({ length: 50 }, (_, i) => ({ a: i })));
    const before = fs.statSync(path.join(dir, 'wal')).size;
    wal.rewrite([{ b: 49 }, { a: 50 }]);
    wal.append([{ a: 51 }]);
    expect(fs.statSync(path.join(dir, 'wal')).size).toBeLessThan(before);
    expect(DurabilityLedger.read(dir).wal).toBe(fs.statSync(path.join(dir, 'wal')).size);
    wal.close();
    store.close();
    const state = openDurableState(new FsFileStore(dir, true), true);
    expect(state.records).toEqual([{ b: 49 }, { a: 50 }, { a: 51 }]);
    state.wal.close();
  });

  it('removes what an interrupted replace left behind', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'snap-0000000001.tmp'), 'half an ima');
    fs.writeFileSync(path.join(dir, 'wal.tmp'), 'half a log');
    const state = openDurableState(new FsFileStore(dir, true), true);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(state.snapshot).toBeNull();
    state.wal.close();
  });
});

describe('the simulated disk', () => {
  /** A disk whose syncs each take 1 ms, one after another, on a clock the test moves. */
  function disk() {
    let now = 0;
    let busy = 0;
    const d = new SimDisk('n1', {
      now: () => now,
      sync: () => (busy = Math.max(now, busy) + 1),
    });
    return { d, at: (t: number) => (now = t) };
  }

  it('keeps a replaced file only once its data and its directory entry are synced', () => {
    // Power lost at each point of replaceFile's sequence: data sync done at 1, directory sync at 2.
    for (const [lossAt, expected] of [
      [0.5, 'old'],
      [1.5, 'old'],
      [2.5, 'new'],
    ] as const) {
      const { d, at } = disk();
      at(0);
      replaceFile(d, 'f', Buffer.from('old'), true);
      at(10); // both syncs of the first replace are long done
      replaceFile(d, 'f', Buffer.from('new'), true);
      const start = 10;
      at(start + lossAt);
      d.powerLoss(new Random(1), false);
      expect(d.read('f')?.toString(), `power lost at +${lossAt} ms`).toBe(expected);
    }
  });

  it('forgets a file created, and a rename made, after the last directory sync', () => {
    const { d, at } = disk();
    at(0);
    const f = d.open('a');
    f.append(Buffer.from('synced bytes'));
    f.sync(); // data durable at 1, but the name never synced
    at(5);
    d.powerLoss(new Random(1), false);
    expect(d.list()).toEqual([]);
    const g = d.open('b');
    g.append(Buffer.from('x'));
    g.sync();
    d.syncDir();
    at(20);
    d.rename('b', 'c');
    d.powerLoss(new Random(1), false);
    expect(d.list()).toEqual(['b']);
  });

  it('runs the snapshot store: an image whose save did not complete is lost with the power, the previous one stays', () => {
    const { d, at } = disk();
    at(0);
    const snaps = new SnapshotStore(d, true);
    snaps.save('first');
    at(100);
    snaps.save('second');
    at(101.5); // the second image's data synced, its rename not yet
    d.powerLoss(new Random(1), true);
    const state = openDurableState(d, true);
    expect(state.snapshot).toBe('first');
  });
});
