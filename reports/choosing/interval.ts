/**
 * Confidence intervals for a figure measured once per trial: the mean of the per-trial
 * figures and Student's t-interval around it. Trials are few (5 in the default suite), so
 * the t quantile matters: with 4 degrees of freedom the 95% interval is 2.78 standard errors
 * wide on each side, not the normal 1.96. A bootstrap was the alternative; with five samples
 * its percentile interval is known to be too narrow, and it needs a seed to be repeatable.
 *
 * Why not a statistics package: the one thing needed is the t quantile at 97.5%, and the
 * packages that have it bring either hundreds of modules (@stdlib) or an unmaintained
 * bundle (jstat). The table below is the standard one (e.g. NIST/SEMATECH e-Handbook,
 * table 1.3.6.7.2), checked in test/reports/interval.test.ts.
 */

/** Two-sided 95% quantiles of Student's t, t(0.975, df), for df = 1..30. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086,
  2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

const Z975 = 1.959964;

/**
 * t(0.975, df). Past the table, the Cornish-Fisher expansion of t around the normal quantile
 * (Abramowitz and Stegun 26.7.5), which is within 0.001 of the exact value from df = 30 on.
 */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`degrees of freedom must be a whole number >= 1, got ${df}`);
  if (df <= T975.length) return T975[df - 1]!;
  const z = Z975;
  const g1 = (z ** 3 + z) / 4;
  const g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96;
  const g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384;
  return z + g1 / df + g2 / df ** 2 + g3 / df ** 3;
}

/** A figure over trials: its mean, and the 95% interval of that mean. */
export interface Estimate {
  /** The mean of the per-trial figures: the figure the table shows and ranks. */
  value: number;
  /** 95% t-interval of the mean; null with a single trial (no spread to estimate). */
  low: number | null;
  high: number | null;
  /** How many trials it comes from, and their figures in trial order. */
  n: number;
  samples: number[];
}

/** The mean and 95% t-interval of per-trial figures; null when there are none. */
export function estimate(samples: readonly number[]): Estimate | null {
  const xs = samples.filter((x) => Number.isFinite(x));
  const n = xs.length;
  if (n === 0) return null;
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  if (n === 1) return { value: mean, low: null, high: null, n, samples: xs };
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  const half = tQuantile975(n - 1) * Math.sqrt(variance / n);
  return { value: mean, low: mean - half, high: mean + half, n, samples: xs };
}

/**
 * Whether `a` is better than `b` beyond doubt: their intervals do not overlap, on the side
 * the metric prefers. A figure from one trial has no interval and separates from nothing.
 */
export function separates(a: Estimate, b: Estimate, better: 'higher' | 'lower'): boolean {
  if (a.low === null || a.high === null || b.low === null || b.high === null) return false;
  return better === 'higher' ? a.low > b.high : a.high < b.low;
}
