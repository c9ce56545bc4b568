/**
 * The soak's check, streamed: a 30-minute run at 1,000 writes/s is 1.8 million operations,
 * more than a history file and the full checkers should hold in memory, and the question a
 * soak asks is narrower: after half an hour of crashes, partitions, snapshots and
 * compaction, did the cluster lose an acknowledged write, or invent one?
 *
 * The rule is the durability checker's (workloads/checkers/durability.ts): after healing,
 * each key's final value must be the value of a write (none invented), and no write that
 * was acknowledged may be lost, i.e. followed by a final value that nothing could have
 * written after it: a final value whose write ended before the acknowledged one began.
 * That only ever concerns the writes near the end of each key's history, so each key keeps
 * the writes of its last `windowMs` (writes time out in seconds: any write that could still
 * overwrite another is that recent).
 */

export interface WriteOutcome {
  key: string;
  value: string;
  invokeNs: number;
  endNs: number;
  /** ok: acknowledged; fail: definitely not applied; info: unknown. */
  type: 'ok' | 'fail' | 'info';
}

export interface SoakVerdict {
  valid: boolean;
  keys: number;
  acknowledged: number;
  /** Acknowledged writes with a final value written before they began. */
  lost: { key: string; value: string; final: string | null }[];
  /** Final values no write ever carried. */
  phantom: { key: string; final: string }[];
  /** Keys whose nodes disagreed on the final value. */
  disagree: { key: string; values: Record<string, string | null> }[];
}

export class StreamingDurability {
  private readonly byKey = new Map<string, WriteOutcome[]>();
  private readonly everWritten = new Map<string, Set<string>>();
  acknowledged = 0;

  constructor(private readonly windowMs = 30_000) {}

  record(w: WriteOutcome): void {
    if (w.type === 'ok') this.acknowledged++;
    let list = this.byKey.get(w.key);
    if (!list) this.byKey.set(w.key, (list = []));
    list.push(w);
    // Only a value that might be a final one needs remembering beyond the window: values
    // are unique per write, so a bounded set per key would do; a count suffices to tell a
    // phantom from an old write, and old writes cannot be final (see below).
    const horizon = w.endNs - this.windowMs * 1e6;
    let drop = 0;
    while (drop < list.length && list[drop]!.endNs < horizon) drop++;
    if (drop > 0) list.splice(0, drop);
    let values = this.everWritten.get(w.key);
    if (!values) this.everWritten.set(w.key, (values = new Set()));
    if (w.type !== 'fail') values.add(w.value);
    if (values.size > 4096) values.delete(values.values().next().value!);
  }

  /** Judge the final values read from every node after healing: node -> key -> value. */
  verdict(finalByNode: Record<string, Record<string, string | null>>): SoakVerdict {
    const out: SoakVerdict = { valid: true, keys: this.byKey.size, acknowledged: this.acknowledged, lost: [], phantom: [], disagree: [] };
    for (const key of this.byKey.keys()) {
      const seen: Record<string, string | null> = {};
      for (const [node, values] of Object.entries(finalByNode)) if (key in values) seen[node] = values[key]!;
      const distinct = new Set(Object.values(seen));
      if (distinct.size > 1) out.disagree.push({ key, values: seen });
      if (distinct.size !== 1) continue;
      const final = [...distinct][0]!;
      const writes = this.byKey.get(key)!;
      const writer = final === null ? undefined : writes.find((w) => w.value === final && w.type !== 'fail');
      if (final !== null && !writer && !this.everWritten.get(key)?.has(final)) {
        out.phantom.push({ key, final });
        continue;
      }
      // A final value written before the window began ended before every write in it began.
      const writerEnd = writer ? writer.endNs : -Infinity;
      for (const w of writes) if (w.type === 'ok' && w.value !== final && writerEnd < w.invokeNs) out.lost.push({ key, value: w.value, final });
    }
    out.valid = out.lost.length === 0 && out.phantom.length === 0 && out.disagree.length === 0;
    return out;
  }
}
