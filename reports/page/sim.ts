/**
 * The simulator's part of a nightly run: per algorithm, how many seeds ran and how much
 * simulated time they covered, what they found, and for each failing seed the command that
 * replays it (and its shrunk case). A violation here is a red banner like any other.
 */
import type { ResultsFile } from '../../contracts/results.js';
import { html, type SafeHtml } from '../html.js';
import { dataTable } from './table.js';
import { algoName } from './summary.js';

export function simSection(run: ResultsFile): SafeHtml {
  const sweeps = run.sim ?? [];
  if (sweeps.length === 0) return html``;
  const rows = sweeps.map((s) => [
    algoName(s.algo),
    s.workload + (Object.keys(s.options).length ? ` (${Object.entries(s.options).map(([k, v]) => `${k}=${v}`).join(', ')})` : ''),
    String(s.seeds),
    `${s.simSeconds.toLocaleString('en-US')} s`,
    `${(s.wallMs / 1000).toFixed(0)} s`,
    s.verdicts.invalid > 0 ? html`<span class="chip chip-violated">${s.verdicts.invalid} invalid</span>` : s.verdicts.unknown > 0 ? html`<span class="chip chip-undecided">${s.verdicts.unknown} undecided</span>` : html`<span class="chip chip-passed">all valid</span>`,
  ]);
  const failing = sweeps.flatMap((s) => s.failing.map((f) => [algoName(s.algo), String(f.seed), f.verdict, f.summaries.join(' | ').slice(0, 300), html`<code>${f.replay ?? `parley sim --algo ${s.algo} --seed ${f.seed}`}</code>${f.shrunkReplay ? html`<br><code>${f.shrunkReplay}</code>` : ''}`]));
  return html`<section id="simulation"><h2>Simulation</h2>
<p class="small muted">parley sim ran the same cores in a seeded simulated cluster with dense faults (docs/sim.md). Each seed is reproducible from the command beside it.</p>
${dataTable(['algorithm', 'workload', 'seeds', 'simulated', 'wall', 'verdict'], rows, [2, 3, 4])}
${failing.length ? dataTable(['algorithm', 'seed', 'verdict', 'what failed', 'replay'], failing) : ''}
</section>`;
}
