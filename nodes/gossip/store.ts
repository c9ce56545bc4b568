/**
 * The gossip replica: a last-writer-wins register per key, plus what this replica has
 * "covered" of every origin's updates, which is what anti-entropy compares.
 *
 * A version is (key, value, HLC timestamp, origin, seq): `seq` numbers the writes each
 * origin accepted, 1, 2, 3, ... The winner of a key is the version with the largest
 * (timestamp, origin); every replica applies the same total order, so merging is
 * commutative, associative and idempotent and replicas converge whatever the delivery order
 * (a state-based CRDT: a map of LWW registers).
 *
 * Coverage: (origin, seq) is covered when this replica holds that version or one that beats
 * it for the same key. The digest is, per origin, the covered seqs as ranges (seq-set.ts):
 * one range [1, n] per origin when nothing is missing, so a digest grows with the number of
 * writers, not keys. Anti-entropy (Demers et al. 1987 §1.3) ships exactly the winners whose
 * (origin, seq) the peer's digest lacks.
 *
 * Why a replica may adopt a peer's digest after a complete exchange: if the peer covers
 * (o, s), the peer's winner W for that key beats or equals it; W is either in our digest
 * (we cover W, hence (o, s)) or was shipped to us. So once every shipped winner is merged,
 * we cover all the peer covers, including versions that were overwritten before they ever
 * reached us and so will never arrive on their own.
 */
import type { NodeId, Value } from '../common/core.js';
import { compareTimestamps, packTimestamp, type Timestamp } from './hlc.js';
import { SeqSet, type FlatRanges } from './seq-set.js';

/** Wire and disk form of a version. */
export type Versioned = [key: string, value: Value, l: number, c: number, origin: NodeId, seq: number];

/** Per origin, the seqs a replica covers. */
export type Digest = Record<NodeId, FlatRanges>;

export const timestampOf = (v: Versioned): Timestamp => [v[2], v[3]];

/** Last-writer-wins order: HLC timestamp, then origin id (distinct origins never share a timestamp's meaning). */
export function compareVersions(a: Versioned, b: Versioned): number {
  const t = compareTimestamps(timestampOf(a), timestampOf(b));
  if (t !== 0) return t;
  return a[4] < b[4] ? -1 : a[4] > b[4] ? 1 : 0;
}

/** The trace's `version` field: [packed HLC, origin], higher wins (the convergence checker's order). */
export function traceVersion(v: Versioned): [number, string] {
  return [packTimestamp(timestampOf(v)), v[4]];
}

export class VersionStore {
  private readonly winners = new Map<string, Versioned>();
  private readonly covered = new Map<NodeId, SeqSet>();
  /** Keys whose winner came from each origin, so a peer that covers an origin costs nothing to compare. */
  private readonly keysByOrigin = new Map<NodeId, Set<string>>();

  get size(): number {
    return this.winners.size;
  }

  get(key: string): Versioned | undefined {
    return this.winners.get(key);
  }

  value(key: string): Value {
    return this.winners.get(key)?.[1] ?? null;
  }

  winnersList(): Versioned[] {
    return [...this.winners.values()];
  }

  /** The largest seq of `origin` this replica covers (a restarted origin numbers on from its own). */
  maxSeq(origin: NodeId): number {
    return this.covered.get(origin)?.max ?? 0;
  }

  /** Whether this replica holds `v` or a version that beats it. */
  covers(v: Versioned): boolean {
    if (this.covered.get(v[4])?.has(v[5])) return true;
    const w = this.winners.get(v[0]);
    return w !== undefined && compareVersions(w, v) >= 0;
  }

  /** Merge one version; true when it became its key's winner (this replica now holds it). */
  merge(v: Versioned): boolean {
    this.seqsOf(v[4]).add(v[5]);
    const w = this.winners.get(v[0]);
    if (w !== undefined && compareVersions(w, v) >= 0) return false;
    if (w !== undefined) this.keysByOrigin.get(w[4])?.delete(v[0]);
    this.winners.set(v[0], v);
    let keys = this.keysByOrigin.get(v[4]);
    if (!keys) this.keysByOrigin.set(v[4], (keys = new Set()));
    keys.add(v[0]);
    return true;
  }

  digest(): Digest {
    const d: Digest = {};
    for (const [origin, seqs] of this.covered) d[origin] = seqs.flat();
    return d;
  }

  /** Number of ranges in the digest: origins when nothing is missing, more while holes remain. */
  digestRanges(): number {
    let n = 0;
    for (const seqs of this.covered.values()) n += seqs.rangeCount;
    return n;
  }

  /** The winners the holder of digest `d` lacks, at most `max`; `complete` when none was left out. */
  missing(d: Digest, max: number): { versions: Versioned[]; complete: boolean } {
    const versions: Versioned[] = [];
    for (const [origin, keys] of this.keysByOrigin) {
      if (keys.size === 0) continue;
      const theirs = SeqSet.from(d[origin] ?? []);
      const mine = this.covered.get(origin)!;
      if (theirs.rangeCount === 1 && theirs.flat()[0]! <= 1 && theirs.max >= mine.max) continue;
      for (const key of keys) {
        const w = this.winners.get(key)!;
        if (theirs.has(w[5])) continue;
        if (versions.length === max) return { versions, complete: false };
        versions.push(w);
      }
    }
    return { versions, complete: true };
  }

  /** Cover everything `d` covers: only after merging every winner its sender shipped against our digest (see the header). */
  adopt(d: Digest): void {
    for (const [origin, flat] of Object.entries(d)) this.seqsOf(origin).union(SeqSet.from(flat));
  }

  private seqsOf(origin: NodeId): SeqSet {
    let s = this.covered.get(origin);
    if (!s) this.covered.set(origin, (s = new SeqSet()));
    return s;
  }
}
