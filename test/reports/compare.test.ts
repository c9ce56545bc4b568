/** Run comparison: deltas against the previous and first run, and the noise threshold. */
import { describe, expect, it } from 'vitest';
import { COMPARED_METRICS, classifyChange, compareRuns } from '../../reports/compare.js';
import { benchRun } from './fixtures/results.js';

const metric = (id: string) => COMPARED_METRICS.find((m) => m.id === id)!;

describe('classifyChange', () => {
  it('calls changes within 10% noise, beyond it better or worse by the metric\'s direction', () => {
    expect(classifyChange(1000, 1090, metric('throughput')).change).toBe('noise');
    expect(classifyChange(1000, 1200, metric('throughput')).change).toBe('better');
    expect(classifyChange(1000, 800, metric('throughput')).change).toBe('worse');
    expect(classifyChange(10, 12, metric('p99')).change).toBe('worse');
    expect(classifyChange(10, 8, metric('p99')).change).toBe('better');
    expect(classifyChange(1000, 800, metric('throughput')).relative).toBeCloseTo(-0.2);
  });

  it('ignores large relative changes of tiny absolute size (the per-metric floor)', () => {
    // +25% of a 0.2 ms p50 is 0.05 ms: below the 0.1 ms floor.
    expect(classifyChange(0.2, 0.25, metric('p50')).change).toBe('noise');
    expect(classifyChange(0.2, 0.4, metric('p50')).change).toBe('worse');
    // okRatio compares in absolute points only.
    expect(classifyChange(0.999, 0.99, metric('okRatio')).change).toBe('worse');
    expect(classifyChange(0.999, 0.997, metric('okRatio')).change).toBe('noise');
  });

  it('a figure missing on either side is missing, not zero', () => {
    expect(classifyChange(null, 5, metric('p50'))).toEqual({ absolute: null, relative: null, change: 'missing' });
  });
});

describe('compareRuns', () => {
  const runs = [
    benchRun({ startedAt: '2025-11-18T02:00:00.000Z' }),
    benchRun({ startedAt: '2025-11-19T02:00:00.000Z', scale: { paxos: 1.3 } }),
    benchRun({ startedAt: '2025-11-20T02:00:00.000Z', scale: { raft: 0.7 } }),
  ];
  const comparison = compareRuns(runs);
  const trend = (name: string, id: string) => comparison.scenarios.find((s) => s.name === name)!.metrics.find((m) => m.metric.id === id)!;

  it('matches scenarios by name and algorithm across runs', () => {
    expect(comparison.runs).toHaveLength(3);
    expect(comparison.scenarios).toHaveLength(runs[0]!.scenarios.length);
    expect(trend('raft-kv-partition', 'throughput').values).toEqual([9100, 9100, 9100 * 0.7]);
  });

  it('flags a 30% throughput drop against the previous and the first run', () => {
    const t = trend('raft-kv-partition', 'throughput');
    expect(t.vsPrevious.change).toBe('worse');
    expect(t.vsPrevious.relative).toBeCloseTo(-0.3);
    expect(t.vsFirst.change).toBe('worse');
  });

  it('compares with the previous run and the first separately', () => {
    // Paxos: 8700, then 11310 (+30%), then 8700: worse than the previous, same as the first.
    const t = trend('paxos-kv-partition', 'throughput');
    expect(t.vsPrevious.change).toBe('worse');
    expect(t.vsFirst.change).toBe('noise');
    expect(trend('gossip-kv-partition', 'throughput').vsPrevious.change).toBe('noise');
  });

  it('keeps a scenario that ran only in some runs, with nulls where it did not', () => {
    const extra = benchRun({ startedAt: '2025-11-21T02:00:00.000Z' });
    extra.scenarios = extra.scenarios.filter((s) => s.name !== 'raft-bank');
    const c = compareRuns([...runs, extra]);
    const bank = c.scenarios.find((s) => s.name === 'raft-bank')!;
    expect(bank.verdicts).toEqual(['passed', 'passed', 'passed', 'absent']);
    expect(bank.metrics[0]!.values[3]).toBeNull();
    // Its latest run is the third; that is what it is compared on.
    expect(bank.metrics[0]!.vsPrevious.change).toBe('worse');
  });

  it('marks a scenario whose verdict got worse as regressed', () => {
    const later = benchRun({ startedAt: '2025-11-21T02:00:00.000Z' });
    const raft = later.scenarios.find((s) => s.name === 'raft-kv-partition')!;
    raft.checks = [{ ...raft.checks[0]!, valid: false }];
    const c = compareRuns([runs[2]!, later]);
    expect(c.scenarios.find((s) => s.name === 'raft-kv-partition')!.regressed).toBe(true);
    expect(c.scenarios.find((s) => s.name === 'paxos-kv-partition')!.regressed).toBe(false);
  });
});
