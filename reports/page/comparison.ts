/**
 * Several runs of a suite side by side: per scenario, each metric's latest value and its
 * change against the previous run (and, on hover, the first), coloured only beyond the noise
 * threshold; the verdict in every run as a trail of marks; and a small trend chart per
 * metric. A scenario whose verdict got worse is marked at the left edge.
 */
import type { ResultsFile } from '../../contracts/results.js';
import { COMPARED_METRICS, RELATIVE_NOISE, compareRuns, type Delta, type MetricTrend, type RunVerdict } from '../compare.js';
import { runLabel, trendCharts } from '../charts/trends.js';
import { fmtChange, MISSING } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { figuresHtml } from './figure.js';
import { algoName } from './summary.js';
import { dataTable } from './table.js';

const TRAIL: Record<RunVerdict, string> = { passed: '✓', violated: '✗', undecided: '?', absent: '·' };
/** A nightly page compares thirty runs; the trail shows the latest few, the title all of them. */
const TRAIL_LENGTH = 10;

function trail(verdicts: readonly RunVerdict[], labels: readonly string[]): SafeHtml {
  const shown = verdicts.slice(-TRAIL_LENGTH);
  const title = verdicts.map((v, i) => `${labels[i]}: ${v}`).join('\n');
  return html`<td class="trail" title="${title}">${verdicts.length > shown.length ? html`<span class="absent">…</span>` : ''}${shown.map((v) => html`<span class="${v}">${TRAIL[v]}</span>`)}</td>`;
}

function change(d: Delta): SafeHtml {
  if (d.change === 'missing') return html`<span class="change-missing">${MISSING}</span>`;
  const arrow = d.change === 'better' ? '▲ ' : d.change === 'worse' ? '▼ ' : '';
  return html`<span class="change-${d.change}">${arrow}${d.relative === null ? 'new' : fmtChange(d.relative)}</span>`;
}

function deltaCell(t: MetricTrend): SafeHtml {
  const latest = [...t.values].reverse().find((v) => v !== null) ?? null;
  const cls = t.vsPrevious.change === 'better' || t.vsPrevious.change === 'worse' ? t.vsPrevious.change : '';
  const title = `vs the first run: ${t.vsFirst.change}${t.vsFirst.relative === null ? '' : ` (${fmtChange(t.vsFirst.relative)})`}; values: ${t.values.map((v) => (v === null ? MISSING : t.metric.format(v))).join(' → ')}`;
  return html`<td class="num delta ${cls}" title="${title}">${latest === null ? MISSING : t.metric.format(latest)}<br>${change(t.vsPrevious)}</td>`;
}

export async function comparisonSection(runs: readonly ResultsFile[]): Promise<SafeHtml> {
  const comparison = compareRuns(runs);
  const trends = await figuresHtml(trendCharts(comparison));
  const regressions = comparison.scenarios.filter((s) => s.regressed);
  const labels = comparison.runs.map((r, i) => runLabel(i, r.startedAt));
  return html`<section class="block" id="comparison">
  <h2>Comparison across ${runs.length} runs</h2>
  <p class="lede">Scenarios are matched by name and algorithm. Each cell: the latest value, and its change against the previous run in which the scenario ran (hover for the change against the first run and every value).
  A change is coloured only when it exceeds ${Math.round(RELATIVE_NOISE * 100)}% and an absolute floor per metric (${COMPARED_METRICS.map((m) => `${m.label} ${m.format(m.absoluteNoise)}`).join(', ')}); smaller changes are run-to-run noise on a shared machine. The verdict trail shows the last ${TRAIL_LENGTH} runs, oldest first: ✓ passed, ✗ violated, ? undecided, · absent (hover for all).</p>
  ${regressions.length ? html`<div class="banner banner-violation" role="alert"><strong class="kind">Verdict regressed</strong><p>${regressions.map((s, i) => html`${i ? ', ' : ''}<b>${s.name}</b> (${s.algo})`)} got worse in the latest run.</p></div>` : ''}
  <details><summary>${runs.length} runs, ${comparison.runs[0]!.startedAt} to ${comparison.runs.at(-1)!.startedAt}</summary>
    ${dataTable(['run', 'started', 'revision', 'seed'], comparison.runs.map((r, i) => [runLabel(i, r.startedAt), r.startedAt, r.revision ?? '—', String(r.seed)]), [3])}
  </details>
  <div class="table-wrap"><table class="compare">
    <thead><tr><th>Scenario</th><th>Verdicts</th>${COMPARED_METRICS.map((m) => html`<th class="num">${m.label}</th>`)}</tr></thead>
    <tbody>${comparison.scenarios.map(
      (s) => html`<tr class="${s.regressed ? 'regressed' : ''}"><td>${s.name}<br>${algoName(s.algo)}</td>
  ${trail(s.verdicts, labels)}
  ${s.metrics.map(deltaCell)}</tr>`,
    )}</tbody>
  </table></div>
  <div class="trends">${trends}</div>
</section>`;
}
