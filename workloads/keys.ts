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
