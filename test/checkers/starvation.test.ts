/**
 * Judging a window of the machine's load: starved when the system under test waited for a
 * CPU at least half the time it was ready to run, or timers ran late, or the hypervisor
 * took the CPUs; figures aggregate over the samples the window overlaps.
 */
import { describe, expect, it } from 'vitest';
import { describeStarvation, loadDuring, quietEnough, starvedDuring, type LoadSample } from '../../workloads/checkers/starvation.js';

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

describe('a quiet stretch on a starved machine', () => {
  // 20 one-second samples: the processes waited 75% of their ready time (ran a quarter of it).
  const quarter = Array.from({ length: 20 }, (_, i) => sample(i, i + 1, 300, 100));
  const starved = (samples: LoadSample[]) => starvedDuring(samples, 0, 20 * S);

  it('counts in wall time on a machine that was not starved', () => {
    expect(quietEnough(5000, 5000, null)).toEqual({ enough: true, grantedMs: 5000 });
    expect(quietEnough(4999, 5000, null).enough).toBe(false);
  });

  it('counts the CPU time the processes were granted on a starved one: a quarter of the time, four times as long', () => {
    const e = starved(quarter)!;
    expect(e.runQueueWaitShare).toBe(0.75);
    expect(quietEnough(19_000, 5000, e)).toEqual({ enough: false, grantedMs: 4750 });
    expect(quietEnough(20_000, 5000, e)).toEqual({ enough: true, grantedMs: 5000 });
  });

  it('stays unknown when the wait was not measured, or when one stall could have swallowed the window', () => {
    const blind = starved(quarter.map((s) => ({ ...s, waitNs: null, execNs: null, harnessLagP99Ms: 500 })))!;
    expect(quietEnough(600_000, 5000, blind).enough).toBe(false);
    const stalled = starved(quarter.map((s, i) => (i === 3 ? { ...s, harnessLagMaxMs: 6000 } : s)))!;
    expect(quietEnough(600_000, 5000, stalled).enough).toBe(false);
    const stolen = starved(quarter.map((s) => ({ ...s, stealShare: 0.9 })))!;
    expect(quietEnough(40_000, 5000, stolen)).toEqual({ enough: false, grantedMs: 4000 });
  });
});
