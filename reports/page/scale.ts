/**
 * The gossip scale study (results.json `scale`, from `parley bench --scale`) beside the
 * decentralized row: one line in the row saying how far the simulated curve goes and
 * whether it agrees with the real processes, and the chart of both under the table.
 */
import type { ScaleStudy } from '../../contracts/scale-study.js';
import { describeTolerance } from '../../contracts/scale-study.js';
import { scaleChart } from '../charts/scale.js';
import { html, type SafeHtml } from '../html.js';
import { figureHtml } from './figure.js';

const ms = (x: number | null) => (x === null ? 'not reached' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);

/** One line for the decentralized row: the largest simulated N, and the agreement. */
export function scaleNote(study: ScaleStudy): SafeHtml {
  const largest = [...study.sim].sort((a, b) => b.nodes - a.nodes)[0];
  const covered = [...new Set(study.agreement.map((a) => a.nodes))];
  const agreement =
    covered.length === 0
      ? 'no N measured both simulated and real'
      : study.agrees
        ? `agrees with real processes at N = ${covered.join(', ')}`
        : `does not agree with real processes everywhere at N = ${covered.join(', ')}`;
  return html`<span class="scale-note small">${largest ? `Gossip simulated to N = ${largest.nodes.toLocaleString('en-US')}: convergence p50 ${ms(largest.convergenceMs.p50)}, ${largest.messagesPerNode.toFixed(1)} rumor messages per node per update; ` : ''}${agreement} (<a href="#chart-scale">scale figure</a>).</span>`;
}

export async function scaleFigure(study: ScaleStudy): Promise<SafeHtml> {
  const chart = scaleChart(study);
  if (!chart) return html``;
  return html`<h3 class="charts-heading">Decentralized at scale: the simulated curve and the real processes</h3>
<p class="small muted">From ${study.meta.command} on ${study.meta.machine}. Every node, simulated and real: ${Object.entries(study.settings).map(([k, v]) => `${k}=${v}`).join(' ')}. Simulated network ${study.net.model}. Tolerance: ${describeTolerance(study.tolerance)}.</p>
<div class="charts">${await figureHtml(chart)}</div>`;
}
