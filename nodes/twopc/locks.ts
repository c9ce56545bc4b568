/**
 * A participant's per-key locks: shared for keys a transaction only reads, exclusive for
 * keys it writes, held from its prepare until the decision (strict two-phase locking), and
 * across a crash (the prepare record names them).
 *
 * Conflict policy: no-wait. A prepare that finds a conflicting lock votes no at once and
 * the client gets 409; no transaction ever waits for a lock, so none can deadlock, and no
 * wait-die timestamps are needed. (Wait-die would mostly kill the same transactions: the
 * requester of a held lock is usually the younger one.) Only a local read, which holds
 * nothing else, may wait up to `lockWaitMs` for a write lock to clear: every edge of the
 * waits-for graph goes from such a read to a writer that waits for nobody. Reads spanning
 * shards take no locks at all (versions.ts).
 *
 * A waiting reader takes its shared locks at once, alongside the writer it waits for, so
 * new writers find them and vote no: a stream of writers cannot starve it.
 */
export class LockTable {
  private readonly writers = new Map<string, string>();
  private readonly readers = new Map<string, Set<string>>();

  /** A lock that stops `holder` from sharing `reads` and owning `writes`, or null. */
  conflict(holder: string, reads: readonly string[], writes: readonly string[]): { key: string; holder: string } | null {
    for (const key of writes) {
      const w = this.writers.get(key);
      if (w !== undefined && w !== holder) return { key, holder: w };
      for (const r of this.readers.get(key) ?? []) if (r !== holder) return { key, holder: r };
    }
    for (const key of reads) {
      const w = this.writers.get(key);
      if (w !== undefined && w !== holder) return { key, holder: w };
    }
    return null;
  }

  /** Take shared locks on `reads` and exclusive ones on `writes` (once `conflict` found none, or on recovery). */
  lock(holder: string, reads: readonly string[], writes: readonly string[]): void {
    for (const key of writes) this.writers.set(key, holder);
    for (const key of reads) if (!writes.includes(key)) this.share(holder, [key]);
  }

  /** Share `keys`, even those another holder writes; returns the ones still write-locked by someone else. */
  share(holder: string, keys: readonly string[]): string[] {
    for (const key of keys) {
      let set = this.readers.get(key);
      if (!set) this.readers.set(key, (set = new Set()));
      set.add(holder);
    }
    return this.blocked(holder, keys);
  }

  /** Keys among `keys` that another holder writes. */
  blocked(holder: string, keys: readonly string[]): string[] {
    return keys.filter((key) => {
      const w = this.writers.get(key);
      return w !== undefined && w !== holder;
    });
  }

  release(holder: string, keys: readonly string[]): void {
    for (const key of keys) {
      if (this.writers.get(key) === holder) this.writers.delete(key);
      const set = this.readers.get(key);
      if (set?.delete(holder) && set.size === 0) this.readers.delete(key);
    }
  }

  writerOf(key: string): string | undefined {
    return this.writers.get(key);
  }

  /** Keys under any lock. */
  get lockedKeys(): number {
    let n = this.readers.size;
    for (const key of this.writers.keys()) if (!this.readers.has(key)) n++;
    return n;
  }
}
