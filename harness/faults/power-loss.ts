/**
 * Power loss for real node processes, after Jepsen's LazyFS idea: a kill -9 keeps the page
 * cache, so on its own it never loses a write the node made but did not sync. The node
 * runtime records after every sync how far each of its files is durable (durable.json, see
 * nodes/common/storage.ts `DurabilityLedger`); once the process is gone, this cuts each file
 * back to that length, keeping at times a torn prefix of what came after it (a partial
 * page reached the disk), before the node restarts on the same data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DurabilityLedger } from '../../nodes/common/storage.js';
import type { Random } from '../../nodes/common/random.js';

export interface PowerLossCut {
  file: string;
  /** Bytes the file held, and what it keeps. */
  before: number;
  after: number;
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
    // Half the time a prefix of the unsynced bytes made it to the disk (up to a page, any length).
    const torn = random.chance(0.5) ? random.int(0, Math.min(4096, size - durable - 1)) : 0;
    fs.truncateSync(file, durable + torn);
    cuts.push({ file: name, before: size, after: durable + torn });
  }
  return cuts;
}
