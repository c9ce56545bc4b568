/**
 * When cores compact their logs, and what the cores whose log is a bag of records rather
 * than a sequence (2PC, gossip) keep so that compaction stays safe.
 *
 * Raft and Multi-Paxos compact a sequence: the log after a snapshot is the entries (slots)
 * after it, and they keep those after the *previous* snapshot (raft/log.ts,
 * paxos/acceptor.ts). 2PC and gossip have no indices: their state after a snapshot is
 * whatever records are still "open" (a transaction in doubt, a commit not yet acknowledged
 * by everyone). `RecordTail` gives them the same two promises as the sequence logs:
 *   - the compacted log, read on top of the newest image, rebuilds the state; so does the
 *     old, longer log (a crash between the two steps of a compaction): replaying records
 *     the image already holds must land on the same state, which both cores' records do
 *     (2PC installs a transaction's writes again in log order; gossip merges are
 *     idempotent);
 *   - read on top of the *previous* image, it rebuilds the state too: it holds the records
 *     that were open at the previous compaction and every record written since. So a torn
 *     newest snapshot can be passed over, as with the sequence logs.
 */
import type { z } from 'zod';
import { int } from './options.js';

/** Compaction knobs of the leader-based cores (`--set`); 0 turns a trigger off. */
export const compactionOptions = {
  /** Take a snapshot once this many log entries (Raft) or slots (Paxos) were applied since the last one. */
  snapshotEntries: int(0, 1_000_000_000).default(10_000),
  /** ...or once the operations applied since the last one add up to this many bytes (as JSON). */
  snapshotBytes: int(0, 1024 * 1024 * 1024).default(8 * 1024 * 1024),
  /** Characters of a snapshot image per message when a peer catches up by snapshot. */
  snapshotChunkBytes: int(1, 8 * 1024 * 1024).default(256 * 1024),
} satisfies z.ZodRawShape;

/** The knob of the cores with a bag of records (2PC, gossip): compact after this many records; 0: never. */
export const recordCompactionOptions = {
  snapshotEntries: int(0, 1_000_000_000).default(10_000),
} satisfies z.ZodRawShape;

export interface CompactionOptions {
  snapshotEntries: number;
  snapshotBytes: number;
  snapshotChunkBytes: number;
}

/** Whether the entries applied since the last snapshot call for a new one. */
export function snapshotDue(opts: Pick<CompactionOptions, 'snapshotEntries' | 'snapshotBytes'>, entries: number, bytes: number): boolean {
  return (opts.snapshotEntries > 0 && entries >= opts.snapshotEntries) || (opts.snapshotBytes > 0 && bytes >= opts.snapshotBytes);
}

/** The records of a bag-of-records log since the previous compaction (see above). */
export class RecordTail<R> {
  /** What was open at the previous compaction: the records the previous image needs. */
  private open: R[];
  private recent: R[] = [];

  /**
   * `recovered`: the log the node started from. All of it is needed on top of the newest
   * image (what was open at its compaction, and what followed), so it stands for what was
   * open until the next compaction: a restart must not drop a transaction still in doubt.
   */
  constructor(
    private readonly every: number,
    recovered: readonly unknown[] = [],
  ) {
    this.open = every > 0 ? [...(recovered as R[])] : [];
  }

  /** Records just written to the log. */
  note(records: readonly unknown[]): void {
    if (this.every > 0) for (const r of records) this.recent.push(r as R);
  }

  get due(): boolean {
    return this.every > 0 && this.recent.length >= this.every;
  }

  get size(): number {
    return this.open.length + this.recent.length;
  }

  /** Compact now: `open` is what the new image leaves open. Returns the log to write. */
  compact(open: R[]): R[] {
    const tail = [...this.open, ...this.recent];
    this.open = open;
    this.recent = [];
    return tail;
  }
}
