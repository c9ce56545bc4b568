/** The 95% t-interval behind every figure of the choosing table (reports/choosing/interval.ts). */
import { describe, expect, it } from 'vitest';
import { estimate, separates, tQuantile975 } from '../../reports/choosing/interval.js';

describe('t quantiles and intervals', () => {
  it('t(0.975, df) matches the standard table, and the expansion past it the exact values', () => {
    // Exact values (to 4 places) from the Student t quantile function.
    const exact: [number, number][] = [[1, 12.7062], [2, 4.3027], [4, 2.7764], [9, 2.2622], [29, 2.0452], [30, 2.0423], [31, 2.0395], [40, 2.0211], [60, 2.0003], [120, 1.9799], [1000, 1.9623]];
    for (const [df, t] of exact) expect(tQuantile975(df), `df ${df}`).toBeCloseTo(t, 2);
    expect(tQuantile975(10_000_000)).toBeCloseTo(1.96, 3);
    expect(() => tQuantile975(0)).toThrow(RangeError);
    expect(() => tQuantile975(2.5)).toThrow(RangeError);
  });

  it('the mean and its interval from per-trial figures, worked by hand', () => {
    // mean 10, sample sd sqrt(2.5) = 1.5811, se = 0.7071, t(4) = 2.776: half-width 1.963.
    const e = estimate([8, 9, 10, 11, 12])!;
    expect(e.value).toBe(10);
    expect(e.n).toBe(5);
    expect(e.high! - e.value).toBeCloseTo(1.963, 3);
    expect(e.value - e.low!).toBeCloseTo(1.963, 3);
    expect(e.samples).toEqual([8, 9, 10, 11, 12]);
  });

  it('no trials give no figure; one trial a figure without an interval; identical trials a zero-width one', () => {
    expect(estimate([])).toBeNull();
    expect(estimate([Number.NaN])).toBeNull();
    expect(estimate([7])).toEqual({ value: 7, low: null, high: null, n: 1, samples: [7] });
    expect(estimate([3, 3, 3])).toMatchObject({ value: 3, low: 3, high: 3 });
  });

  it('separates only when the intervals do not overlap, on the side the metric prefers', () => {
    const low = estimate([8, 9, 10, 11, 12])!; // about 8.04 to 11.96
    const high = estimate([13, 14, 15, 16, 17])!; // about 13.04 to 16.96
    const near = estimate([11, 12, 13, 14, 15])!; // overlaps both
    expect(separates(high, low, 'higher')).toBe(true);
    expect(separates(low, high, 'higher')).toBe(false);
    expect(separates(low, high, 'lower')).toBe(true);
    expect(separates(near, low, 'higher')).toBe(false);
    expect(separates(high, near, 'higher')).toBe(false);
    expect(separates(estimate([100])!, low, 'higher')).toBe(false);
  });
});
