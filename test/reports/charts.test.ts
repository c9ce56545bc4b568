/** Chart specs: the axes they promise, what they leave out, and that each draws in Node. */
import { describe, expect, it } from 'vitest';
import { renderSvg } from '../../reports/charts/render.js';
import {
  availabilityChart, convergenceDistributionChart, latencyCurveChart, logTicks, percentileAxisPosition, resourcesChart, scalingChart, throughputChart,
} from '../../reports/charts/run-charts.js';
import { trendCharts } from '../../reports/charts/trends.js';
import { compareRuns } from '../../reports/compare.js';
import { describeOp, timelineChart } from '../../reports/charts/timeline.js';
import { okRatioDuringFaults } from '../../reports/scenarios.js';
import { intervalChart } from '../../reports/charts/intervals.js';
import { measureChoosingTable } from '../../reports/choosing/measure.js';
import { benchRun, trialsRun, violationEvidence } from './fixtures/results.js';

const run = benchRun();

describe('chart specs', () => {
  it('places percentiles on the HdrHistogram axis: one decade per nine', () => {
    expect(percentileAxisPosition(50)).toBe(2);
    expect(percentileAxisPosition(90)).toBeCloseTo(10);
    expect(percentileAxisPosition(99)).toBeCloseTo(100);
    expect(percentileAxisPosition(99.99)).toBeCloseTo(10_000);
  });

  it('ticks a log latency axis 1-2-5 over two decades, by decade beyond', () => {
    expect(logTicks(0.3, 8)).toEqual([0.1, 0.2, 0.5, 1, 2, 5, 10]);
    expect(logTicks(0.3, 40)).toEqual([0.1, 1, 10, 100]);
  });

  it('leaves out what was not measured instead of drawing zeros', () => {
    const quiet = { ...run.scenarios[0]!, throughputOverTime: { bucketMs: 1000, buckets: [] }, faults: [], failover: [], availability: { ...run.scenarios[0]!.availability, windows: [] } };
    expect(throughputChart(quiet, 0)).toBeNull();
    expect(availabilityChart([quiet])).toBeNull();
    expect(scalingChart(run.scenarios.filter((s) => s.workload === 'kv'))).toBeNull();
    expect(latencyCurveChart([{ ...quiet, latency: { ...quiet.latency, curve: [] } }], 'kv')).toBeNull();
  });

  it('draws a timeline with open-ended operations stopping past the last event', async () => {
    const evidence = violationEvidence();
    const figure = timelineChart(evidence, 'timeline-test');
    const svg = await renderSvg(figure.spec);
    // The write that never returned is labelled and described as such.
    expect(svg).toContain('write &quot;v2&quot; (no reply)');
    expect(svg).toContain('never returned');
    expect(svg).toContain('stuck: process 3 read → &quot;&lt;b&gt;v0&lt;/b&gt;&quot;');
    expect(describeOp(evidence.window[2]!)).toBe('cas ["v1","v3"] (fail)');
  });

  it('shades the faults that fired behind throughput', async () => {
    const figure = throughputChart(run.scenarios[0]!, 0)!;
    const svg = await renderSvg(figure.spec);
    expect(svg).toContain('partition on n1: 5.00 s to 8.01 s');
    expect(figure.caption).toBe('Shaded: partition while active.');
  });
});

describe('ok ratio while faults were active', () => {
  it('counts only the buckets that overlap a fault window', () => {
    const s = run.scenarios[0]!; // partitions at 5-8 s and 12-15 s
    const buckets = s.throughputOverTime.buckets.filter((b) => (b.tMs >= 5000 && b.tMs < 8010) || (b.tMs >= 12_000 && b.tMs < 15_010));
    const ok = buckets.reduce((n, b) => n + b.ok, 0);
    const all = buckets.reduce((n, b) => n + b.ok + b.fail + b.info, 0);
    expect(okRatioDuringFaults(s)).toBeCloseTo(ok / all, 10);
    expect(okRatioDuringFaults(s)!).toBeLessThan(s.availability.okRatio);
    expect(okRatioDuringFaults(run.scenarios.find((x) => x.name === 'gossip-failover')!)).toBeNull();
  });
});

describe('every chart of the fixture run', () => {
  it('draws each trial of a choosing row as a dot and its mean with the 95% interval as a bar', async () => {
    const rows = measureChoosingTable(trialsRun());
    const figure = intervalChart(rows.find((r) => r.useCase.id === 'leader-election')!, 1)!;
    const svg = await renderSvg(figure.spec);
    // Raft's five failovers, each a dot with its value, and the mean with its interval.
    for (const [i, ms] of ['310 ms', '290 ms', '330 ms'].entries()) expect(svg).toContain(`Raft, trial ${i + 1}: ${ms}`);
    expect(svg).toContain('Raft (pick): mean 310 ms of 5 trials, 95% interval 290 ms to 330 ms');
    // Gossip had no leader to crash: no figure, so no line for it.
    expect(svg).not.toContain('Gossip');
  });

  it('draws without a single Vega or Vega-Lite warning', async () => {
    const warnings: string[] = [];
    const figures = [
      ...['kv', 'bank', 'dissemination'].map((w) => latencyCurveChart(run.scenarios.filter((s) => s.workload === w), w)),
      ...run.scenarios.map((s, i) => throughputChart(s, i)),
      availabilityChart(run.scenarios), scalingChart(run.scenarios), convergenceDistributionChart(run.scenarios), resourcesChart(run.scenarios),
      timelineChart(violationEvidence(), 'timeline'),
      ...trendCharts(compareRuns([run, benchRun({ startedAt: '2025-11-21T02:00:00.000Z' })])),
      ...measureChoosingTable(trialsRun()).map(intervalChart),
      ...measureChoosingTable(run).map(intervalChart),
    ];
    expect(figures.every((f) => f !== null)).toBe(true);
    for (const f of figures) await renderSvg(f!.spec, { onWarning: (w) => warnings.push(`${f!.id}: ${w}`) });
    expect(warnings).toEqual([]);
  });
});
