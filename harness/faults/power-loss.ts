/**
 * Power loss for real node processes, after Jepsen's LazyFS idea: a kill -9 keeps the page
 * cache, so on its own it never loses a write the node made but did not sync. The node
 * runtime records after every sync how far each of its files is durable (durable.json, see
 * nodes/common/files.ts `DurabilityLedger`); once the process is gone, this cuts each file
 * back to that length before the node restarts on the same data, as the simulator's disk
 * does (harness/sim/engine/disk.ts): a prefix of the unsynced bytes, of any length, may have
 * reached the disk (a write torn mid-record), and in one case out of three the rest of that
 * page reads back as zeros (the file's new length reached the disk, its data did not). At
 * least one unsynced byte is always lost: otherwise the crash was only a kill -9.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DurabilityLedger } from '../../nodes/common/storage.js';
import type { Random } from '../../nodes/common/random.js';

const PAGE = 4096;

export interface PowerLossCut {
  file: string;
  /** Bytes the file held, and its length after the cut (zeros included). */
  before: number;
  after: number;
  /** Unsynced bytes gone: cut off or read back as zeros. */
  lost: number;
}

/** Cut every file the node's ledger names; null when the node keeps no ledger (it cannot lose power here). */
export function losePower(dataDir: string, random: Random): PowerLossCut[] | null {
  if (!fs.existsSync(path.join(dataDir, 'durable.json'))) return null;
  const ledger = DurabilityLedger.read(dataDir);
  const cuts: PowerLossCut[] = [];
  for (const [name, durable] of Object.entries(ledger)) {
    const file = path.join(dataDir, name);
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch {
      continue;
    }
    if (size <= durable) continue;
    const kept = durable + random.int(0, size - durable - 1);
    fs.truncateSync(file, kept);
    let after = kept;
    if (kept > durable && random.chance(1 / 3)) {
      // Zeros to the end of the page the torn write ended in, never past what the file held.
      after = Math.min(size, Math.ceil((kept + 1) / PAGE) * PAGE);
      fs.truncateSync(file, after); // extending a file reads back as zeros
    }
    cuts.push({ file: name, before: size, after, lost: size - kept });
  }
  return cuts;
}
