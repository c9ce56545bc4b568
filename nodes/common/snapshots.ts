/**
 * Snapshots and log compaction, for every core (Raft §7, and the same idea for the others):
 * a core hands the runtime an image of its state and the log records that must follow it
 * (core.ts `Ready.compact`); the runtime makes the image durable, then replaces the log with
 * those records, so a node's disk and its restart time are bounded by its state and the
 * records since its last snapshots, not by its age.
 *
 * The order, and what a crash at each point leaves:
 *   1. the image is written as `snap-<generation>`: a temporary file, fsync, rename, fsync
 *      the directory (files.ts `replaceFile`). A crash before the rename is durable leaves
 *      the older snapshots and the whole log: nothing is lost.
 *   2. the log is replaced by the core's records, the same way. A crash between 1 and 2
 *      leaves the new snapshot beside the old, longer log: every core reads log records the
 *      snapshot already covers and skips them.
 *   3. snapshots older than the previous one are removed.
 * The two newest snapshots are kept, and a core's compacted log keeps what follows its
 * *previous* snapshot. So a newest snapshot found torn or corrupt at start-up (its checksum
 * fails) is passed over for the previous one, and the log still covers everything after
 * that. A node that cannot find a snapshot its log needs refuses to start (the core says so).
 *
 * File layout: u32 BE image length, u32 BE CRC-32 of the image, the image (UTF-8 text).
 */
import zlib from 'node:zlib';
import { replaceFile, type FileStore } from './files.js';
import { WriteAheadLog } from './storage.js';

const PREFIX = 'snap-';
const HEADER = 8;

const fileName = (generation: number) => `${PREFIX}${String(generation).padStart(10, '0')}`;

function generationOf(name: string): number | null {
  if (!name.startsWith(PREFIX)) return null;
  const n = Number(name.slice(PREFIX.length));
  return Number.isSafeInteger(n) && n > 0 && fileName(n) === name ? n : null;
}

export function encodeSnapshot(image: string): Buffer {
  const payload = Buffer.from(image, 'utf8');
  const header = Buffer.allocUnsafe(HEADER);
  header.writeUInt32BE(payload.length, 0);
  header.writeUInt32BE(zlib.crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

/** The image a snapshot file holds, or why it cannot be trusted. */
export function decodeSnapshot(buf: Buffer): { image: string } | { problem: string } {
  if (buf.length < HEADER) return { problem: 'shorter than its header' };
  const len = buf.readUInt32BE(0);
  if (buf.length !== HEADER + len) return { problem: `holds ${buf.length - HEADER} bytes of an image of ${len}` };
  const payload = buf.subarray(HEADER);
  if (zlib.crc32(payload) !== buf.readUInt32BE(4)) return { problem: 'checksum mismatch' };
  return { image: payload.toString('utf8') };
}

export interface SnapshotStats {
  saved: number;
  /** Size of the newest snapshot file. */
  bytes: number;
  /** Generation of the newest snapshot (0: none). */
  generation: number;
}

export class SnapshotStore {
  readonly stats: SnapshotStats = { saved: 0, bytes: 0, generation: 0 };

  constructor(
    private readonly store: FileStore,
    private readonly fsyncEnabled: boolean,
  ) {}

  private generations(): number[] {
    return this.store
      .list()
      .map(generationOf)
      .filter((g): g is number => g !== null)
      .sort((a, b) => b - a);
  }

  /** The newest intact snapshot; `passedOver` names newer files that were torn or corrupt. */
  load(): { image: string | null; passedOver: string[] } {
    const passedOver: string[] = [];
    const all = this.generations();
    this.stats.generation = all[0] ?? 0;
    for (const g of all) {
      const buf = this.store.read(fileName(g));
      const decoded = buf === null ? { problem: 'vanished' } : decodeSnapshot(buf);
      if ('image' in decoded) {
        this.stats.bytes = buf!.length;
        return { image: decoded.image, passedOver };
      }
      passedOver.push(`${this.store.name}/${fileName(g)} (${decoded.problem})`);
    }
    return { image: null, passedOver };
  }

  /** Make `image` the newest snapshot, durably (the file appears whole or not at all); keep the previous one. */
  save(image: string): void {
    const generation = this.stats.generation + 1;
    const buf = encodeSnapshot(image);
    replaceFile(this.store, fileName(generation), buf, this.fsyncEnabled);
    this.stats.generation = generation;
    this.stats.saved++;
    this.stats.bytes = buf.length;
    for (const g of this.generations()) if (g < generation - 1) this.store.remove(fileName(g));
  }
}

/** What a node starts from: its newest intact snapshot and the log that follows it. */
export interface DurableState {
  wal: WriteAheadLog;
  snapshots: SnapshotStore;
  /** The snapshot image, or null when the node never took or installed one. */
  snapshot: string | null;
  records: unknown[];
  /** What recovery had to do, for the node's log (a torn tail cut, a snapshot passed over). */
  notes: string[];
}

/** Open a data directory: leftovers of an interrupted replace removed, the snapshot loaded, the log recovered. */
export function openDurableState(store: FileStore, fsyncEnabled: boolean, ownsStore: Parameters<typeof WriteAheadLog.in>[3] = null): DurableState {
  for (const name of store.list()) if (name.endsWith('.tmp')) store.remove(name);
  const snapshots = new SnapshotStore(store, fsyncEnabled);
  const { image, passedOver } = snapshots.load();
  const { wal, records } = WriteAheadLog.in(store, fsyncEnabled, 'wal', ownsStore);
  const notes = passedOver.map((p) => `passed over snapshot ${p}; started from the one before it`);
  if (wal.stats.tornBytes > 0) notes.push(`recovered ${records.length} records; cut a torn tail of ${wal.stats.tornBytes} bytes`);
  return { wal, snapshots, snapshot: image, records, notes };
}
