/**
 * Key choice for generated operations: uniform, or zipfian (rank r drawn with probability
 * proportional to 1 / r^s), the skew knob of Paxi (Ailijiang et al. 2019) and YCSB.
 */
import type { Random } from '../nodes/common/random.js';

export interface KeyChooser {
  next(random: Random): number;
}

export function uniformKeys(n: number): KeyChooser {
  return { next: (random) => random.int(0, n - 1) };
}

export function zipfianKeys(n: number, exponent: number): KeyChooser {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let r = 1; r <= n; r++) {
    sum += 1 / r ** exponent;
    cdf[r - 1] = sum;
  }
  for (let i = 0; i < n; i++) cdf[i]! /= sum;
  return {
    next: (random) => {
      const u = random.float();
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid]! < u) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    },
  };
}

export function keyChooser(distribution: 'uniform' | 'zipfian', n: number, exponent: number): KeyChooser {
  return distribution === 'zipfian' ? zipfianKeys(n, exponent) : uniformKeys(n);
}

/** A unique value per written operation, padded to `size` bytes so value size is a real knob. */
export function uniqueValue(id: number, size: number): string {
  const base = `v${id}`;
  return base.length >= size ? base : base + '.'.repeat(size - base.length);
}

/**
 * Independent keys (Jepsen's `independent`): `slots` keys in use at once, each retired after
 * `budget` operations and replaced by a fresh key numbered after every key used so far. A
 * key's history then ends while it is still short, so a lost write or a stale read is not
 * buried under later overwrites, and the checkers (per key) see many small histories
 * instead of one long one. Without a budget a slot keeps its key, numbered as the slot.
 */
export class KeySlots {
  private readonly current: number[];
  private readonly used: number[];
  private next: number;
  private readonly written = new Set<number>();

  constructor(
    slots: number,
    private readonly budget: number | undefined,
  ) {
    this.current = Array.from({ length: slots }, (_, i) => i);
    this.used = new Array<number>(slots).fill(0);
    this.next = slots;
  }

  /** The key (number) of `slot` for one more operation; the slot moves on once the key's budget is spent. */
  take(slot: number): number {
    const key = this.current[slot]!;
    if (this.budget !== undefined && ++this.used[slot]! >= this.budget) {
      this.current[slot] = this.next++;
      this.used[slot] = 0;
    }
    return key;
  }

  /** Remember that a write was sent to `key`: the final reads must cover it. */
  wrote(key: number): void {
    this.written.add(key);
  }

  /** Every key written so far, in the order first written. */
  writtenKeys(): number[] {
    return [...this.written];
  }
}
