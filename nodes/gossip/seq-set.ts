/**
 * A set of per-origin sequence numbers as sorted, disjoint, non-adjacent ranges: a version
 * vector entry "with exceptions" (Bayou's anti-entropy, Petersen et al. SOSP 1997; the
 * dotted version vectors of Riak). When updates arrive in order it is one range [1, n],
 * so a digest costs O(origins), not O(keys); rumors that overtake each other leave holes
 * until anti-entropy fills them.
 *
 * Wire form: a flat array [a1, b1, a2, b2, ...] of inclusive ranges.
 */
export type FlatRanges = number[];

export class SeqSet {
  /** Inclusive [from, to] ranges, sorted, with gaps of at least one between them. */
  private ranges: [number, number][] = [];

  static from(flat: readonly number[]): SeqSet {
    const s = new SeqSet();
    for (let i = 0; i + 1 < flat.length; i += 2) s.addRange(flat[i]!, flat[i + 1]!);
    return s;
  }

  has(seq: number): boolean {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [a, b] = this.ranges[mid]!;
      if (seq < a) hi = mid - 1;
      else if (seq > b) lo = mid + 1;
      else return true;
    }
    return false;
  }

  add(seq: number): void {
    const last = this.ranges[this.ranges.length - 1];
    // The common case: the next update of an origin, in order.
    if (last && seq === last[1] + 1) last[1] = seq;
    else if (!last || seq > last[1] + 1) this.ranges.push([seq, seq]);
    else this.addRange(seq, seq);
  }

  addRange(from: number, to: number): void {
    if (!(from <= to)) return;
    const out: [number, number][] = [];
    let a = from;
    let b = to;
    let placed = false;
    for (const r of this.ranges) {
      if (r[1] + 1 < a) out.push(r);
      else if (b + 1 < r[0]) {
        if (!placed) {
          out.push([a, b]);
          placed = true;
        }
        out.push(r);
      } else {
        a = Math.min(a, r[0]);
        b = Math.max(b, r[1]);
      }
    }
    if (!placed) out.push([a, b]);
    this.ranges = out;
  }

  union(other: SeqSet): void {
    for (const [a, b] of other.ranges) this.addRange(a, b);
  }

  /** The largest member, 0 when empty. */
  get max(): number {
    return this.ranges.length === 0 ? 0 : this.ranges[this.ranges.length - 1]![1];
  }

  get rangeCount(): number {
    return this.ranges.length;
  }

  flat(): FlatRanges {
    const out: number[] = [];
    for (const [a, b] of this.ranges) out.push(a, b);
    return out;
  }

  equals(other: SeqSet): boolean {
    if (other.ranges.length !== this.ranges.length) return false;
    return this.ranges.every(([a, b], i) => other.ranges[i]![0] === a && other.ranges[i]![1] === b);
  }
}
