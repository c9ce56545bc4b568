/**
 * The one seeded PRNG of parley (xoroshiro128+ from pure-rand). Every random choice that
 * can change a run's outcome (election timeouts, fault targets, workload keys, gossip
 * peers) draws from an instance of this, so a run is reproducible from its seed.
 */
import { xoroshiro128plus, unsafeUniformIntDistribution, type RandomGenerator } from 'pure-rand';

export class Random {
  private readonly rng: RandomGenerator;

  constructor(seed: number) {
    this.rng = xoroshiro128plus(seed | 0);
  }

  /** Derive an independent stream, e.g. one per node or per client, from a base seed and a label. */
  static derive(seed: number, label: string): Random {
    let h = (seed ^ 0x9e3779b9) | 0;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
    return new Random(h ^ (h >>> 16));
  }

  /** Uniform integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return unsafeUniformIntDistribution(lo, hi, this.rng);
  }

  /** Uniform float in [0, 1). */
  float(): number {
    const hi = unsafeUniformIntDistribution(0, (1 << 26) - 1, this.rng);
    const lo = unsafeUniformIntDistribution(0, (1 << 27) - 1, this.rng);
    return (hi * 134217728 + lo) / 9007199254740992;
  }

  chance(p: number): boolean {
    return p >= 1 ? true : p <= 0 ? false : this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(0, items.length - 1)]!;
  }

  /** Fisher-Yates on a copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** k distinct items chosen uniformly (all of them when k >= length). */
  sample<T>(items: readonly T[], k: number): T[] {
    return this.shuffle(items).slice(0, Math.max(0, k));
  }
}
