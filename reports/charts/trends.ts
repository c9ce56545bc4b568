/** Small line charts of one metric across runs, a line per scenario: the trend behind a delta. */
import type { RunComparison } from '../compare.js';
import { algorithmLabel } from '../scenarios.js';
import { algorithmColor } from './render.js';
import type { ChartFigure } from './run-charts.js';

/** "#3 11-22": run number and date, short enough for an axis label. */
export function runLabel(index: number, startedAt: string): string {
  return `#${index + 1} ${startedAt.slice(5, 10)}`;
}

export function trendCharts(comparison: RunComparison): ChartFigure[] {
  const labels = comparison.runs.map((r, i) => runLabel(i, r.startedAt));
  const metrics = comparison.scenarios[0]?.metrics.map((m) => m.metric) ?? [];
  return metrics.flatMap((metric, k) => {
    const points = comparison.scenarios.flatMap((s) =>
      s.metrics[k]!.values.flatMap((value, i) =>
        value === null ? [] : [{ run: labels[i]!, scenario: `${s.name} (${algorithmLabel(s.algo)})`, algo: s.algo, algorithm: algorithmLabel(s.algo), value, tip: `${s.name} (${algorithmLabel(s.algo)}), run ${labels[i]}: ${metric.format(value)}` }],
      ),
    );
    if (points.length === 0) return [];
    return [{
      id: `trend-${metric.id}`,
      title: metric.label,
      caption: `${metric.better === 'higher' ? 'Higher' : 'Lower'} is better. One line per scenario.`,
      spec: {
        width: 300, height: 130,
        data: { values: points },
        mark: { type: 'line', point: { size: 22 } },
        encoding: {
          x: { field: 'run', type: 'ordinal', title: null, sort: labels, axis: { labelAngle: 0, labelOverlap: 'greedy' } },
          y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
          color: { field: 'algorithm', type: 'nominal', title: null, scale: algorithmColor(points.map((p) => p.algo)) },
          detail: { field: 'scenario' },
          description: { field: 'tip' },
        },
      },
    } satisfies ChartFigure];
  });
}
