/**
 * The choosing table's deciding figures as a picture: for each row, one line per algorithm
 * (and per reference system, shown for comparison)
 * with every trial's figure as a dot, the mean as a tick and its 95% interval as a bar. Two
 * bars that overlap are a tie under the rule; a pick is a bar that clears the others.
 */
import type { ChoosingRow } from '../choosing/measure.js';
import { algorithmLabel } from '../scenarios.js';
import { INK, algorithmColor } from './render.js';
import type { ChartFigure } from './run-charts.js';

/** Each algorithm in its own colour whichever others are shown; a reference system (not an algorithm) in the neutral one. */
function labelColor(cells: readonly { algo: string; label: string }[]): { domain: string[]; range: string[] } {
  return { domain: cells.map((c) => c.label), range: cells.map((c) => algorithmColor([c.algo]).range[0]!) };
}

export function intervalChart(row: ChoosingRow, index: number): ChartFigure | null {
  const metric = row.useCase.rule.primary;
  const verdict = (algo: string) => row.decision.cells.find((d) => d.algo === algo)?.verdict ?? 'never picked';
  // Reference systems (etcd) come last, under their own label, beside the candidates.
  const cells = [
    ...row.cells.filter((c) => c.primary !== null).map((c) => ({ algo: c.algo, label: algorithmLabel(c.algo), primary: c.primary! })),
    ...row.references.flatMap((r) => (r.cell?.primary ? [{ algo: r.id, label: `${r.id} (reference)`, primary: r.cell.primary }] : [])),
  ];
  if (cells.length === 0) return null;
  const trials = cells.flatMap((c) => c.primary.samples.map((x, i) => ({ algorithm: c.label, algo: c.algo, x, tip: `${c.label}, trial ${i + 1}: ${metric.format(x)}` })));
  const means = cells.map((c) => {
    const e = c.primary;
    const range = e.low === null || e.high === null ? 'one trial: no interval' : `95% interval ${metric.format(e.low)} to ${metric.format(e.high)}`;
    return {
      algorithm: c.label, algo: c.algo, mean: e.value,
      // A single trial has no interval: the bar collapses onto the mean.
      low: e.low ?? e.value, high: e.high ?? e.value,
      tip: `${c.label} (${verdict(c.algo)}): mean ${metric.format(e.value)} of ${e.n} trial${e.n === 1 ? '' : 's'}, ${range}`,
    };
  });
  const color = labelColor(cells);
  const y = { field: 'algorithm', type: 'nominal' as const, title: null, sort: cells.map((c) => c.label) };
  const x = { type: 'quantitative' as const, title: `${metric.name} (${metric.better} is better)`, scale: { zero: false } };
  return {
    id: `interval-${index}`,
    title: `${row.useCase.title}: ${metric.name} by trial`,
    caption: `Dots: one trial each. Tick and bar: the mean and its 95% interval. Bars that overlap tie; the rule picks on this figure only when one bar clears the others by more than 10%.${row.references.some((r) => r.cell?.primary) ? ' A reference system is shown for comparison and never picked.' : ''}`,
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
