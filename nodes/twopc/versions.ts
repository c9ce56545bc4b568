/**
 * Committed versions of a participant's keys, by commit sequence number, for snapshot
 * reads across shards (coordinator.ts). The coordinator numbers commit decisions 1, 2, ...
 * in the order it makes them; a snapshot at `s` shows every transaction numbered <= s and
 * nothing after, on every shard, so a read of all balances sees a transfer whole or not at
 * all, without taking a lock (writers never abort because of readers).
 *
 * History is kept only as far back as a snapshot may still ask: the coordinator sends, with
 * each commit, its `horizon` (the oldest snapshot it is still reading, or its latest
 * commit), and each key keeps the newest version at or below it plus everything newer.
 */
import type { Datum } from '../common/core.js';

interface History {
  /** Whether versions older than `list[0]` were dropped (so an older snapshot cannot be served). */
  pruned: boolean;
  /** [commit sequence number, value], ascending. */
  list: [number, Datum][];
}

export class Versions {
  private readonly byKey = new Map<string, History>();

  install(key: string, seq: number, value: Datum, horizon: number): void {
    let h = this.byKey.get(key);
    if (!h) this.byKey.set(key, (h = { pruned: false, list: [] }));
    h.list.push([seq, value]);
    let drop = 0;
    while (drop + 1 < h.list.length && h.list[drop + 1]![0] <= horizon) drop++;
    if (drop > 0) {
      h.list.splice(0, drop);
      h.pruned = true;
    }
  }

  /** Each key's newest commit number, for a snapshot image. */
  newest(): [string, number][] {
    const out: [string, number][] = [];
    for (const [key, h] of this.byKey) if (h.list.length > 0) out.push([key, h.list[h.list.length - 1]![0]]);
    return out;
  }

  /** The value `key` had in snapshot `at`; undefined when that version was already dropped. */
  at(key: string, at: number): Datum | undefined {
    const h = this.byKey.get(key);
    if (!h) return null;
    for (let i = h.list.length - 1; i >= 0; i--) if (h.list[i]![0] <= at) return h.list[i]![1];
    return h.pruned ? undefined : null;
  }
}
