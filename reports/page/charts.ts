/** The charts section: latency curves, throughput over time, availability, convergence, resources. */
import type { ResultsFile } from '../../contracts/results.js';
import {
  availabilityChart, convergenceDistributionChart, latencyCurveChart, resourcesChart, scalingChart, throughputChart, type ChartFigure,
} from '../charts/run-charts.js';
import { html, type SafeHtml } from '../html.js';
import { figuresHtml } from './figure.js';

interface ChartGroup {
  heading: string;
  figures: (ChartFigure | null)[];
}

export async function chartsSection(run: ResultsFile): Promise<SafeHtml> {
  const workloads = [...new Set(run.scenarios.map((s) => s.workload))];
  const groups: ChartGroup[] = [
    { heading: 'Latency percentiles', figures: workloads.map((w) => latencyCurveChart(run.scenarios.filter((s) => s.workload === w), w)) },
    { heading: 'Throughput over time', figures: run.scenarios.map((s, i) => throughputChart(s, i)) },
    { heading: 'Faults, unavailability and failover', figures: [availabilityChart(run.scenarios)] },
    { heading: 'Convergence', figures: [scalingChart(run.scenarios), convergenceDistributionChart(run.scenarios)] },
    { heading: 'Resources', figures: [resourcesChart(run.scenarios)] },
  ];
  const rendered = await Promise.all(groups.map(async (g) => ({ heading: g.heading, figures: await figuresHtml(g.figures) })));
  return html`<section class="block" id="charts">
  <h2>Charts</h2>
  <p class="lede">Hover a mark for its figures. Times are from the start of the measured load; latencies are from the intended send time of each operation, so a stall shows as latency rather than as missing samples.</p>
  ${rendered.filter((g) => g.figures.length > 0).map((g) => html`<h3 class="charts-heading">${g.heading}</h3><div class="charts">${g.figures}</div>`)}
</section>`;
}
