/**
 * Judging a window of the machine's load: starved when the system under test waited for a
 * CPU at least half the time it was ready to run, or timers ran late, or the hypervisor
 * took the CPUs; figures aggregate over the samples the window overlaps.
 */
import { describe, expect, it } from 'vitest';
import { describeStarvation, loadDuring, starvedDuring, type LoadSample } from '../../workloads/checkers/starvation.js';

const S = 1e9;
const sample = (fromS: number, toS: number, waitMs: number, execMs: number, extra: Partial<LoadSample> = {}): LoadSample => ({
  from: fromS * S, to: toS * S, waitNs: waitMs * 1e6, execNs: execMs * 1e6,
  harnessLagP99Ms: 2, harnessLagMaxMs: 4, nodeLagP99Ms: null, runnablePerCore: 1, stealShare: 0, loadPerCore: 1, ...extra,
});

describe('starvation over a window', () => {
  it('weighs run-queue wait by how much each interval wanted a CPU, not by intervals', () => {
    // 900 ms waited of 1000 wanted, then 10 of 1000: 910 / 2000.
    const samples = [sample(0, 1, 900, 100), sample(1, 2, 10, 990)];
    expect(loadDuring(samples, 0, 2 * S)).toMatchObject({ runQueueWaitShare: 0.455, reasons: [] });
    expect(starvedDuring(samples, 0, 1 * S)!.reasons).toEqual(['the nodes and the harness waited for a CPU 90% of the time they were ready to run (limit 50%)']);
    expect(starvedDuring(samples, 1.5 * S, 2 * S)).toBeNull();
  });

  it('late timers, a node reporting lag and CPU steal each make a window starved', () => {
    expect(starvedDuring([sample(0, 1, 1, 99, { harnessLagP99Ms: 350 })], 0, S)!.reasons[0]).toMatch(/harness's timers fired up to 350 ms late/);
    expect(starvedDuring([sample(0, 1, 1, 99, { nodeLagP99Ms: 250 })], 0, S)!.reasons[0]).toMatch(/a node's event loop lagged 250 ms/);
    expect(starvedDuring([sample(0, 1, 1, 99, { stealShare: 0.3 })], 0, S)!.reasons[0]).toMatch(/hypervisor took 30% of the CPUs/);
  });

  it('knows nothing outside its samples, and judges without /proc from the rest', () => {
    expect(loadDuring([sample(0, 1, 900, 100)], 5 * S, 6 * S)).toBeNull();
    expect(starvedDuring(undefined, 0, S)).toBeNull();
    const blind = loadDuring([sample(0, 1, 0, 0, { waitNs: null, execNs: null, harnessLagP99Ms: 500 })], 0, S)!;
    expect(blind.runQueueWaitShare).toBeNull();
    expect(describeStarvation(blind)).toMatch(/^the harness's timers fired up to 500 ms late .*\(1\.0 runnable processes per core, load average 1\.0 per core\)$/);
  });
});
