/**
 * The choosing table's deciding figures as a picture: for each row, one line per algorithm
 * with every trial's figure as a dot, the mean as a tick and its 95% interval as a bar. Two
 * bars that overlap are a tie under the rule; a pick is a bar that clears the others.
 */
import type { ChoosingRow } from '../choosing/measure.js';
import { algorithmLabel } from '../scenarios.js';
import { INK, algorithmColor } from './render.js';
import type { ChartFigure } from './run-charts.js';

export function intervalChart(row: ChoosingRow, index: number): ChartFigure | null {
  const metric = row.useCase.rule.primary;
  const cells = row.cells.filter((c) => c.primary !== null);
  if (cells.length === 0) return null;
  const verdict = (algo: string) => row.decision.cells.find((d) => d.algo === algo)?.verdict ?? '';
  const trials = cells.flatMap((c) =>
    c.primary!.samples.map((x, i) => ({ algorithm: algorithmLabel(c.algo), algo: c.algo, x, tip: `${algorithmLabel(c.algo)}, trial ${i + 1}: ${metric.format(x)}` })),
  );
  const means = cells.map((c) => {
    const e = c.primary!;
    const range = e.low === null || e.high === null ? 'one trial: no interval' : `95% interval ${metric.format(e.low)} to ${metric.format(e.high)}`;
    return {
      algorithm: algorithmLabel(c.algo), algo: c.algo, mean: e.value,
      // A single trial has no interval: the bar collapses onto the mean.
      low: e.low ?? e.value, high: e.high ?? e.value,
      tip: `${algorithmLabel(c.algo)} (${verdict(c.algo)}): mean ${metric.format(e.value)} of ${e.n} trial${e.n === 1 ? '' : 's'}, ${range}`,
    };
  });
  const color = algorithmColor(cells.map((c) => c.algo));
  const y = { field: 'algorithm', type: 'nominal' as const, title: null, sort: cells.map((c) => algorithmLabel(c.algo)) };
  const x = { type: 'quantitative' as const, title: `${metric.name} (${metric.better} is better)`, scale: { zero: false } };
  return {
    id: `interval-${index}`,
    title: `${row.useCase.title}: ${metric.name} by trial`,
    caption: 'Dots: one trial each. Tick and bar: the mean and its 95% interval. Bars that overlap tie; the rule picks on this figure only when one bar clears the others by more than 10%.',
    spec: {
      width: 420, height: 26 * cells.length,
      layer: [
        {
          data: { values: means },
          mark: { type: 'rule', strokeWidth: 3, opacity: 0.45 },
          encoding: { y, x: { field: 'low', ...x }, x2: { field: 'high' }, color: { field: 'algorithm', type: 'nominal', scale: color, legend: null }, description: { field: 'tip' } },
        },
        {
          data: { values: trials },
          mark: { type: 'point', filled: false, size: 36 },
          encoding: { y, x: { field: 'x', ...x }, color: { field: 'algorithm', type: 'nominal', scale: color, legend: null }, description: { field: 'tip' } },
        },
        {
          data: { values: means },
          mark: { type: 'tick', thickness: 2, color: INK },
          encoding: { y, x: { field: 'mean', ...x }, description: { field: 'tip' } },
        },
      ],
    },
  };
}
