/**
 * The charts of one run, as Vega-Lite specs built from results.json. Each returns null when
 * the run holds nothing to draw, so the page never shows an empty frame that looks like a
 * measurement of zero. Every mark carries a `tip` (its `description`), which the page's
 * hover layer shows and screen readers read.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ScenarioResult } from '../../contracts/results.js';
import { fmtBytes, fmtMs, fmtRate } from '../format.js';
import { algorithmLabel, firedFaults } from '../scenarios.js';
import { ALARM, FAULT_FILL, algorithmColor } from './render.js';

export interface ChartFigure {
  /** Stable, only from fixed names and indices (used as an element id). */
  id: string;
  title: string;
  /** How to read it, one or two sentences under the chart. */
  caption: string;
  spec: TopLevelSpec;
  /** Spans the full content width. */
  wide?: boolean;
}

const WIDTH = 460;
const label = (s: ScenarioResult) => `${s.name} (${algorithmLabel(s.algo)})`;

/** Where a percentile sits on the HdrHistogram x axis: 1/(1-p), so each extra nine is one decade. */
export function percentileAxisPosition(percentile: number): number {
  return 1 / (1 - percentile / 100);
}

const PERCENTILE_TICKS = [2, 10, 100, 1000, 10_000];

/**
 * Tick values for a log latency axis: 1-2-5 steps when the data spans two decades or less,
 * whole decades beyond that. Vega's default log ticks label every integer multiple, which
 * turns the axis into a comb.
 */
export function logTicks(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const steps = hi - lo <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) for (const m of steps) ticks.push(+(m * 10 ** e).toPrecision(3));
  return ticks.filter((t) => t >= 10 ** lo && t <= 10 ** hi);
}

/** Operations per second over the load, with the faults that fired shaded behind the line. */
export function throughputChart(s: ScenarioResult, index: number): ChartFigure | null {
  const { bucketMs, buckets } = s.throughputOverTime;
  if (buckets.length === 0) return null;
  const perSec = 1000 / bucketMs;
  const series = buckets.flatMap((b) => [
    { tSec: b.tMs / 1000, rate: b.ok * perSec, outcome: 'ok', tip: `${(b.tMs / 1000).toFixed(1)} s: ${fmtRate(b.ok * perSec, ' ok/s')}` },
    { tSec: b.tMs / 1000, rate: (b.fail + b.info) * perSec, outcome: 'fail or unknown', tip: `${(b.tMs / 1000).toFixed(1)} s: ${fmtRate(b.fail * perSec)} failed, ${fmtRate(b.info * perSec)} unknown` },
  ]);
  const faults = firedFaults(s).map((f) => ({
    start: f.startMs / 1000, end: (f.endMs ?? s.durationMs) / 1000, kind: f.kind,
    tip: `${f.kind} on ${f.targets.join(', ') || 'links'}: ${fmtMs(f.startMs)} to ${fmtMs(f.endMs ?? s.durationMs)}`,
  }));
  const color = algorithmColor([s.algo]);
  return {
    id: `throughput-${index}`,
    title: label(s),
    caption: faults.length ? `Shaded: ${[...new Set(faults.map((f) => f.kind))].join(', ')} while active.` : 'No faults in this scenario.',
    spec: {
      width: WIDTH, height: 120,
      layer: [
        {
          data: { values: faults },
          mark: { type: 'rect', fill: FAULT_FILL, opacity: 0.22 },
          encoding: { x: { field: 'start', type: 'quantitative' }, x2: { field: 'end' }, description: { field: 'tip' } },
        },
        {
          data: { values: series },
          mark: { type: 'line', interpolate: 'step-after' },
          encoding: {
            x: { field: 'tSec', type: 'quantitative', title: 'time since load start (s)', scale: { domain: [0, s.durationMs / 1000] } },
            y: { field: 'rate', type: 'quantitative', title: 'operations/s' },
            color: { field: 'outcome', type: 'nominal', title: null, scale: { domain: ['ok', 'fail or unknown'], range: [color.range[0]!, ALARM] }, legend: { orient: 'top', direction: 'horizontal' } },
            description: { field: 'tip' },
          },
        },
      ],
    },
  };
}

/** HdrHistogram-style percentile curves, one line per scenario, coloured by algorithm. */
export function latencyCurveChart(scenarios: readonly ScenarioResult[], workload: string): ChartFigure | null {
  const points = scenarios.flatMap((s) =>
    s.latency.curve
      .filter((c) => c.percentile < 100 && c.ms > 0)
      .map((c) => ({
        scenario: s.name, algorithm: algorithmLabel(s.algo), x: percentileAxisPosition(c.percentile), ms: c.ms,
        tip: `${s.name} (${algorithmLabel(s.algo)}): p${c.percentile} = ${fmtMs(c.ms)}`,
      })),
  );
  if (points.length === 0) return null;
  return {
    id: `latency-${workload}`,
    title: `Latency by percentile: ${workload}`,
    caption: 'x: percentile on a 1/(1−p) scale (each step right is one more nine); y: latency, log scale. One line per scenario. Measured from the intended send time.',
    spec: {
      width: WIDTH, height: 220,
      data: { values: points },
      mark: { type: 'line', point: { size: 18 } },
      encoding: {
        x: {
          field: 'x', type: 'quantitative', title: 'percentile', scale: { type: 'log', domain: [1, 10_000] },
          axis: { values: PERCENTILE_TICKS, labelExpr: "datum.value >= 10000 ? '99.99%' : datum.value >= 1000 ? '99.9%' : datum.value >= 100 ? '99%' : datum.value >= 10 ? '90%' : '50%'" },
        },
        y: {
          field: 'ms', type: 'quantitative', title: 'latency (ms)', scale: { type: 'log' },
          axis: { values: logTicks(Math.min(...points.map((p) => p.ms)), Math.max(...points.map((p) => p.ms))), format: '~g' },
        },
        color: { field: 'algorithm', type: 'nominal', title: null, scale: algorithmColor(scenarios.map((s) => s.algo)) },
        detail: { field: 'scenario' },
        description: { field: 'tip' },
      },
    },
  };
}

/** Faults, unavailability and failover per scenario on one time axis. */
export function availabilityChart(scenarios: readonly ScenarioResult[]): ChartFigure | null {
  const faulted = scenarios.filter((s) => firedFaults(s).length > 0 || s.availability.windows.length > 0);
  if (faulted.length === 0) return null;
  const bars = faulted.flatMap((s) => [
    ...firedFaults(s).map((f) => ({ scenario: label(s), lane: 'fault', kind: f.kind, start: f.startMs / 1000, end: (f.endMs ?? s.durationMs) / 1000, tip: `${s.name}: ${f.kind} ${fmtMs(f.startMs)} to ${fmtMs(f.endMs ?? s.durationMs)}` })),
    ...s.availability.windows.map((w) => ({ scenario: label(s), lane: 'no successful write', kind: 'unavailable', start: w.startMs / 1000, end: w.endMs / 1000, tip: `${s.name}: no successful write for ${fmtMs(w.endMs - w.startMs)}` })),
  ]);
  const failovers = faulted.flatMap((s) =>
    s.failover.map((f) => ({
      scenario: label(s), start: f.crashMs / 1000, end: (f.nextWriteMs ?? s.durationMs) / 1000,
      tip: `${s.name}: ${f.kind} at ${fmtMs(f.crashMs)}, ${f.recoveryMs === null ? 'no write acknowledged after it' : `next write after ${fmtMs(f.recoveryMs)}`}`,
    })),
  );
  const duration = Math.max(...faulted.map((s) => s.durationMs)) / 1000;
  return {
    id: 'availability',
    title: 'Faults, unavailability and failover',
    caption: 'Per scenario: amber bars are faults while active, red bars stretches with no successful write (over 250 ms), and the black line runs from a crash to the next acknowledged write.',
    wide: true,
    spec: {
      width: 860,
      // A fixed height rather than a step: the lanes (yOffset) subdivide each row's band.
      height: 34 * faulted.length,
      layer: [
        {
          data: { values: bars },
          mark: { type: 'bar', height: { band: 0.8 }, cornerRadius: 2 },
          encoding: {
            y: { field: 'scenario', type: 'nominal', title: null, sort: faulted.map(label) },
            // Faults and outages in separate lanes of the row: they overlap in time by nature.
            yOffset: { field: 'lane', type: 'nominal', scale: { domain: ['fault', 'no successful write'] } },
            x: { field: 'start', type: 'quantitative', title: 'time since load start (s)', scale: { domain: [0, duration] } },
            x2: { field: 'end' },
            color: { field: 'lane', type: 'nominal', title: null, scale: { domain: ['fault', 'no successful write'], range: [FAULT_FILL, ALARM] } },
            opacity: { value: 0.75 },
            description: { field: 'tip' },
          },
        },
        {
          data: { values: failovers },
          mark: { type: 'rule', strokeWidth: 2, color: '#1d2330' },
          encoding: { y: { field: 'scenario', type: 'nominal', sort: faulted.map(label) }, x: { field: 'start', type: 'quantitative' }, x2: { field: 'end' }, description: { field: 'tip' } },
        },
      ],
    },
  };
}

/** Per-write convergence times: how long after the ack every live node had the write. */
export function convergenceDistributionChart(scenarios: readonly ScenarioResult[]): ChartFigure | null {
  const withSamples = scenarios.filter((s) => (s.convergence?.samples.length ?? 0) > 0);
  if (withSamples.length === 0) return null;
  const values = withSamples.flatMap((s) => s.convergence!.samples.map((ms) => ({ scenario: label(s), algorithm: algorithmLabel(s.algo), ms })));
  return {
    id: 'convergence-distribution',
    title: 'Convergence time per write',
    caption: 'Time from a write\'s acknowledgement until every live node applied it. Box: p25–p75 with the median; whiskers: min and max of the sample.',
    wide: true,
    spec: {
      width: 720, height: { step: 30 },
      data: { values },
      mark: { type: 'boxplot', extent: 'min-max', size: 14, median: { color: 'white' } },
      encoding: {
        y: { field: 'scenario', type: 'nominal', title: null, sort: withSamples.map(label) },
        x: { field: 'ms', type: 'quantitative', title: 'convergence (ms)' },
        color: { field: 'algorithm', type: 'nominal', title: null, scale: algorithmColor(withSamples.map((s) => s.algo)) },
      },
    },
  };
}

/** Convergence and messages per update against cluster size, from dissemination runs at several N. */
export function scalingChart(scenarios: readonly ScenarioResult[]): ChartFigure | null {
  const runs = scenarios.filter((s) => s.workload === 'dissemination' && s.convergence);
  if (runs.length === 0) return null;
  const values = runs.flatMap((s) => [
    { nodes: s.nodes, algorithm: algorithmLabel(s.algo), measure: 'p50', ms: s.convergence!.p50Ms, tip: `${s.name}: N=${s.nodes}, convergence p50 ${fmtMs(s.convergence!.p50Ms)}` },
    { nodes: s.nodes, algorithm: algorithmLabel(s.algo), measure: 'max', ms: s.convergence!.maxMs, tip: `${s.name}: N=${s.nodes}, convergence max ${fmtMs(s.convergence!.maxMs)}` },
  ]);
  const messages = runs.map((s) => ({ nodes: s.nodes, algorithm: algorithmLabel(s.algo), perUpdate: s.messages.perOk, tip: `${s.name}: N=${s.nodes}, ${s.messages.perOk.toFixed(1)} messages per update` }));
  const color = { field: 'algorithm', type: 'nominal', title: null, scale: algorithmColor(runs.map((s) => s.algo)) } as const;
  const nodesAxis = { field: 'nodes', type: 'quantitative', title: 'nodes (N)', axis: { values: [...new Set(runs.map((s) => s.nodes))].sort((a, b) => a - b), format: 'd' } } as const;
  return {
    id: 'scaling',
    title: 'Dissemination as the cluster grows',
    caption: 'Left: convergence p50 (solid) and max (dashed) by cluster size. Right: messages sent per acknowledged update. Gossip should grow about logarithmically (Demers et al.).',
    wide: true,
    spec: {
      hconcat: [
        {
          width: 380, height: 200,
          data: { values },
          mark: { type: 'line', point: true },
          encoding: {
            x: nodesAxis, y: { field: 'ms', type: 'quantitative', title: 'convergence (ms)' }, color,
            strokeDash: { field: 'measure', type: 'nominal', title: null, scale: { domain: ['p50', 'max'], range: [[1, 0], [5, 3]] } },
            description: { field: 'tip' },
          },
        },
        {
          width: 380, height: 200,
          data: { values: messages },
          mark: { type: 'line', point: true },
          encoding: { x: nodesAxis, y: { field: 'perUpdate', type: 'quantitative', title: 'messages per update' }, color, description: { field: 'tip' } },
        },
      ],
    },
  };
}

/** CPU seconds and peak memory of every node, a dot per node: a hot leader stands out. */
export function resourcesChart(scenarios: readonly ScenarioResult[]): ChartFigure | null {
  const nodes = scenarios.flatMap((s) =>
    s.nodesDetail.map((n) => ({
      scenario: label(s), algorithm: algorithmLabel(s.algo), node: n.id, cpu: n.cpuSeconds, rssMiB: n.peakRssBytes === null ? null : n.peakRssBytes / 2 ** 20,
      tip: `${s.name} ${n.id}: ${n.cpuSeconds === null ? 'CPU not measured' : `${n.cpuSeconds.toFixed(2)} CPU s`}, peak ${fmtBytes(n.peakRssBytes)}`,
    })),
  );
  if (!nodes.some((n) => n.cpu !== null || n.rssMiB !== null)) return null;
  const y = { field: 'scenario', type: 'nominal', title: null, sort: scenarios.map(label) } as const;
  const color = { field: 'algorithm', type: 'nominal', title: null, scale: algorithmColor(scenarios.map((s) => s.algo)) } as const;
  const panel = (field: 'cpu' | 'rssMiB', title: string, showLabels: boolean) => ({
    width: 330, height: { step: 20 },
    transform: [{ filter: `datum.${field} !== null` }],
    mark: { type: 'point' as const, opacity: 0.8, size: 45 },
    encoding: { y: showLabels ? y : { ...y, axis: null }, x: { field, type: 'quantitative' as const, title }, color, description: { field: 'tip' } },
  });
  return {
    id: 'resources',
    title: 'CPU and memory per node',
    caption: 'One dot per node: CPU seconds (user + system) over the run, and peak resident memory.',
    wide: true,
    spec: { data: { values: nodes }, hconcat: [panel('cpu', 'CPU seconds', true), panel('rssMiB', 'peak RSS (MiB)', false)], resolve: { scale: { y: 'shared' } } },
  };
}
