/**
 * Raft's log after compaction (§7): the entries after the last compacted index, which is
 * "the last included index" of a snapshot, with its term kept so AppendEntries' consistency
 * check still works at the boundary. Indices stay the paper's (1-based, never renumbered).
 *
 * What the log holds on disk (RaftRecord) and how a node comes back from its newest
 * snapshot and the log that follows it are here too (`recoverRaft`).
 */
import type { ClientOp, Datum, NodeId } from '../common/core.js';
import type { HeldSnapshot } from '../common/snapshot-transfer.js';

/** A log entry: its term and the client operation (null for the leader's no-op). */
export type Entry = [term: number, op: ClientOp | null];

/**
 * Persisted records: hard state; entries starting at index `a` (replacing any suffix from
 * there); or `b`, the log's base after a compaction: every entry up to index b[0] is in a
 * snapshot, and the entry there had term b[1].
 */
export type RaftRecord = { hs: [term: number, votedFor: NodeId | null] } | { a: number; e: Entry[] } | { b: [index: number, term: number] };

export class RaftLog {
  /** The last compacted index (0: nothing compacted); entries[0] holds its term. */
  private base = 0;
  private entries: Entry[] = [[0, null]];

  /** The last index a snapshot covers and this log no longer holds (entries start after it). */
  get offset(): number {
    return this.base;
  }
  get lastIndex(): number {
    return this.base + this.entries.length - 1;
  }
  get lastTerm(): number {
    return this.entries[this.entries.length - 1]![0];
  }
  /** Entries held, not counting the base. */
  get length(): number {
    return this.entries.length - 1;
  }

  /** The term of entry `index`, for offset <= index <= lastIndex. */
  term(index: number): number {
    const e = this.entries[index - this.base];
    if (index < this.base || !e) throw new Error(`raft invariant: term of ${index} asked, log holds ${this.base}..${this.lastIndex}`);
    return e[0];
  }

  /** Entry `index` if this log holds it (after the offset), else undefined. */
  entry(index: number): Entry | undefined {
    return index > this.base ? this.entries[index - this.base] : undefined;
  }

  /** Entries from..to inclusive, all held (from > offset). */
  slice(from: number, to: number): Entry[] {
    return this.entries.slice(from - this.base, to - this.base + 1);
  }

  append(entry: Entry): number {
    this.entries.push(entry);
    return this.lastIndex;
  }

  /** Replace everything from `start` on with `fresh` (Log Matching's "delete the conflicting entry and all that follow"). */
  replaceFrom(start: number, fresh: readonly Entry[]): void {
    let from = start;
    let skip = 0;
    if (from <= this.base) {
      skip = this.base + 1 - from; // already in the snapshot
      from = this.base + 1;
    }
    if (from > this.lastIndex + 1) throw new Error(`raft invariant: entries from ${from} would leave a gap after ${this.lastIndex}`);
    this.entries.length = from - this.base;
    for (let i = skip; i < fresh.length; i++) this.entries.push(fresh[i]!);
  }

  /** Forget the entries up to `index` (held, and not past the last): a snapshot covers them. */
  compactTo(index: number): void {
    if (index <= this.base) return;
    const term = this.term(index);
    this.entries = [[term, null], ...this.entries.slice(index - this.base + 1)];
    this.base = index;
  }

  /** Start over after a snapshot that ends at (index, term): nothing held after it. */
  reset(index: number, term: number): void {
    this.base = index;
    this.entries = [[term, null]];
  }

  /** The records that rebuild this log: its base, then its entries. */
  records(): RaftRecord[] {
    const out: RaftRecord[] = [{ b: [this.base, this.entries[0]![0]] }];
    if (this.entries.length > 1) out.push({ a: this.base + 1, e: this.entries.slice(1) });
    return out;
  }
}

/** What a Raft snapshot image holds: the state machine after entry `index` (of `term`). */
export interface RaftImage {
  index: number;
  term: number;
  kv: [string, Datum][];
}

export function encodeImage(image: RaftImage): string {
  return JSON.stringify({ raft: 1, index: image.index, term: image.term, kv: image.kv });
}

export function decodeImage(text: string): RaftImage {
  const v = JSON.parse(text) as { raft?: unknown; index?: unknown; term?: unknown; kv?: unknown };
  if (v.raft !== 1 || !Number.isSafeInteger(v.index) || !Number.isSafeInteger(v.term) || !Array.isArray(v.kv)) {
    throw new Error('raft: not a raft snapshot image');
  }
  return { index: v.index as number, term: v.term as number, kv: v.kv as [string, Datum][] };
}

export interface RecoveredRaft {
  log: RaftLog;
  hs: [term: number, votedFor: NodeId | null];
  snapshot: (HeldSnapshot & { kv: [string, Datum][] }) | null;
}

/**
 * A node's durable state back from its newest snapshot and the log after it. The log may
 * begin before the snapshot (a crash between writing the snapshot and compacting the
 * log, or the newest snapshot was torn and this is the one before it): what the snapshot
 * covers is skipped. An installed snapshot may have arrived while the old log held entries
 * that conflict with it: §7, "if existing log entry has same index and term as snapshot's
 * last included entry, retain log entries following it"; otherwise the log is discarded.
 * A log that begins after the snapshot ends has a gap nothing can fill: refuse to start.
 */
export function recoverRaft(records: readonly unknown[], image: string | null): RecoveredRaft {
  const log = new RaftLog();
  let hs: RecoveredRaft['hs'] = [0, null];
  for (const record of records as RaftRecord[]) {
    if ('hs' in record) hs = record.hs;
    else if ('b' in record) log.reset(record.b[0], record.b[1]);
    else log.replaceFrom(record.a, record.e);
  }
  if (image === null) {
    if (log.offset > 0) throw new Error(`raft: the log starts after index ${log.offset} but no intact snapshot covers it; refusing to start on a damaged data directory`);
    return { log, hs, snapshot: null };
  }
  const snap = decodeImage(image);
  if (snap.index < log.offset) {
    throw new Error(`raft: the log starts after index ${log.offset} but the newest intact snapshot ends at ${snap.index}; refusing to start on a damaged data directory`);
  }
  if (!(log.lastIndex >= snap.index && log.term(snap.index) === snap.term)) log.reset(snap.index, snap.term);
  return { log, hs, snapshot: { index: snap.index, term: snap.term, image, kv: snap.kv } };
}
