import { describe, expect, it } from 'vitest';
import { CONVERGENCE_BOUND_MS, convergenceBoundMs } from '../../workloads/workload.js';

describe('the convergence bound', () => {
  it('is 10 s, stretched to five anti-entropy intervals when the interval is configured longer', () => {
    expect(convergenceBoundMs({})).toBe(CONVERGENCE_BOUND_MS);
    expect(convergenceBoundMs({ antiEntropyIntervalMs: 1000 })).toBe(CONVERGENCE_BOUND_MS);
    expect(convergenceBoundMs({ antiEntropyIntervalMs: 20_000 })).toBe(100_000);
  });
});
