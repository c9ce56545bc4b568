/**
 * The top of the page: the banners that say whether anything is wrong (a safety violation
 * is a red banner naming the scenario and checker, linking to its evidence), one card per
 * algorithm, and the table of every scenario with its figures and verdicts.
 */
import type { ResultsFile, ScenarioResult } from '../../contracts/results.js';
import type { Verdict } from '../../workloads/checkers/verdict.js';
import { fmtMs, fmtPerOp, fmtRate, fmtRatio, MISSING } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import {
  ALGORITHM_COLORS, ALGORITHM_COLUMNS, algorithmLabel, evidenceAnchor, faultsLabel, isAlgorithmId, okRatioDuringFaults, safetyViolations,
  scenarioAnchor, starvationNote, undecidedChecks, verdictStatus, verdictTitle, type VerdictStatus,
} from '../scenarios.js';

const MAX_BANNERS = 8;

export function algoStyle(algo: string): string {
  return `--algo: ${isAlgorithmId(algo) ? ALGORITHM_COLORS[algo] : '#8a93a3'}`;
}

export function algoName(algo: string): SafeHtml {
  return html`<span class="algo" style="${algoStyle(algo)}"><span class="algo-dot"></span>${algorithmLabel(algo)}</span>`;
}

export function banners(run: ResultsFile): SafeHtml {
  const violations = safetyViolations(run);
  const undecided = undecidedChecks(run);
  const incomplete = run.scenarios.filter((s) => s.status !== 'complete');
  const out: SafeHtml[] = violations.slice(0, MAX_BANNERS).map(
    (v) => html`<div class="banner banner-violation" role="alert">
  <strong class="kind">Safety violation</strong>
  <p><b>${verdictTitle(v.verdict)}</b> failed in <b>${v.scenario.name}</b> (${algorithmLabel(v.scenario.algo)}): ${v.verdict.summary}
  <a href="#${evidenceAnchor(v.scenarioIndex, v.verdictIndex)}">See the evidence</a></p>
</div>`,
  );
  if (violations.length > MAX_BANNERS) out.push(html`<div class="banner banner-violation" role="alert"><strong class="kind">And ${violations.length - MAX_BANNERS} more</strong><p>See the evidence section.</p></div>`);
  if (undecided.length > 0) {
    out.push(html`<div class="banner banner-undecided"><strong class="kind">Undecided</strong>
  <p>${undecided.length} check${undecided.length === 1 ? '' : 's'} could not decide, so these scenarios are not shown to be safe:
  ${undecided.map((v, i) => html`${i > 0 ? ', ' : ''}<a href="#${evidenceAnchor(v.scenarioIndex, v.verdictIndex)}">${verdictTitle(v.verdict)} in ${v.scenario.name}</a>`)}.</p></div>`);
  }
  if (run.partial || incomplete.length > 0) {
    out.push(html`<div class="banner banner-partial"><strong class="kind">Incomplete run</strong>
  <p>${run.partial ? 'The run was cut short; what was measured so far is shown. ' : ''}${incomplete.map((s) => html`<b>${s.name}</b> ${s.status}: ${s.error ?? 'no reason recorded'}. `)}</p></div>`);
  }
  if (violations.length === 0 && undecided.length === 0) {
    const checks = run.scenarios.reduce((n, s) => n + s.checks.filter((v) => verdictStatus(v, s) === 'passed').length, 0);
    out.push(html`<div class="banner banner-passed"><strong class="kind">All checks passed</strong><p>${checks} promised checks held across ${run.scenarios.length} scenarios.</p></div>`);
  }
  return html`${out}`;
}

const CHIP_MARK: Record<VerdictStatus, string> = { passed: '✓', violated: '✗', undecided: '?', informational: 'i' };

export function verdictChip(s: ScenarioResult, v: Verdict, scenarioIndex: number, verdictIndex: number): SafeHtml {
  const status = verdictStatus(v, s);
  const found = v.valid === true ? 'held' : v.valid === false ? 'violated' : 'undecided';
  // The chip stays short (the table must fit); the model and the whole sentence are in its title.
  const title = `${verdictTitle(v)}: ${status === 'informational' ? `${algorithmLabel(s.algo)} does not promise ${v.checker}; it ${found} in this run. ` : ''}${v.summary}`;
  const text = html`${CHIP_MARK[status]} ${v.checker}${status === 'informational' ? ' · not promised' : ''}`;
  return v.evidence || status !== 'passed'
    ? html`<a class="chip chip-${status}" title="${title}" href="#${evidenceAnchor(scenarioIndex, verdictIndex)}">${text}</a>`
    : html`<span class="chip chip-${status}" title="${title}">${text}</span>`;
}

function algorithmCards(run: ResultsFile): SafeHtml {
  const algos = [...ALGORITHM_COLUMNS.filter((a) => run.scenarios.some((s) => s.algo === a)), ...new Set(run.scenarios.map((s) => s.algo).filter((a) => !isAlgorithmId(a)))];
  return html`<div class="cards">${algos.map((algo) => {
    const scenarios = run.scenarios.filter((s) => s.algo === algo);
    const tally: Record<VerdictStatus, number> = { passed: 0, violated: 0, undecided: 0, informational: 0 };
    for (const s of scenarios) for (const v of s.checks) tally[verdictStatus(v, s)]++;
    const status = tally.violated > 0 ? 'violated' : tally.undecided > 0 ? 'undecided' : 'passed';
    const label = { violated: `${tally.violated} violated`, undecided: `${tally.undecided} undecided`, passed: 'all passed' }[status];
    const kv = scenarios.filter((s) => s.workload === 'kv');
    return html`<div class="card card-${status}" style="${algoStyle(algo)}">
  <h3>${algorithmLabel(algo)} <span class="pill pill-${status}">${label}</span></h3>
  <div class="tally">${scenarios.length} scenario${scenarios.length === 1 ? '' : 's'} · checks: <b>${tally.passed}</b> passed, <b>${tally.violated}</b> violated, <b>${tally.undecided}</b> undecided, <b>${tally.informational}</b> informational</div>
  ${kv.length > 0 ? html`<div class="tally">kv: up to <b>${fmtRate(Math.max(...kv.map((s) => s.throughput)), ' ops/s')}</b>, p99 from <b>${fmtMs(Math.min(...kv.map((s) => s.latency.overall.p99)))}</b></div>` : ''}
</div>`;
  })}</div>`;
}

function duringFaults(s: ScenarioResult): SafeHtml | null {
  const ratio = okRatioDuringFaults(s);
  return ratio === null ? null : html`<div class="small muted" title="share ok in the throughput buckets that overlap a fault">${fmtRatio(ratio)} in faults</div>`;
}

function scenarioRow(s: ScenarioResult, i: number): SafeHtml {
  const lat = s.latency.overall;
  const faults = faultsLabel(s);
  const starved = starvationNote(s);
  return html`<tr>
  <td class="name"><a href="#${scenarioAnchor(i)}">${s.name}</a>${s.status === 'complete' ? '' : html` <span class="chip chip-undecided">${s.status}</span>`}${starved ? html` <span class="chip chip-undecided" title="${starved}">starved</span>` : ''}</td>
  <td class="checks">${s.checks.length ? s.checks.map((v, j) => verdictChip(s, v, i, j)) : html`<span class="muted">no checks</span>`}</td>
  <td class="load">${s.workload} <span class="muted">· ${s.nodes} nodes</span></td>
  <td class="faults">${faults === 'none' ? html`<span class="muted">none</span>` : faults}</td>
  <td class="num">${fmtRate(s.throughput)}</td>
  <td class="num">${fmtMs(lat.count > 0 ? lat.p50 : null)}</td>
  <td class="num">${fmtMs(lat.count > 0 ? lat.p99 : null)}</td>
  <td class="num">${fmtRatio(s.availability.total > 0 ? s.availability.okRatio : null)}${duringFaults(s)}</td>
  <td class="num">${fmtMs(s.availability.longestUnavailableMs)}</td>
  <td class="num">${s.convergence ? fmtMs(s.convergence.p50Ms) : MISSING}</td>
  <td class="num">${s.ops.ok > 0 ? fmtPerOp(s.messages.perOk) : MISSING}</td>
</tr>`;
}

export function summarySection(run: ResultsFile): SafeHtml {
  const order = (algo: string) => (isAlgorithmId(algo) ? ALGORITHM_COLUMNS.indexOf(algo) : ALGORITHM_COLUMNS.length);
  const indexed = run.scenarios.map((s, i) => ({ s, i })).sort((a, b) => order(a.s.algo) - order(b.s.algo) || a.s.algo.localeCompare(b.s.algo) || a.i - b.i);
  const groups = [...new Set(indexed.map((x) => x.s.algo))];
  return html`<section class="block" id="summary">
  <h2>Summary</h2>
  <p class="lede">Per algorithm and scenario: successful operations per second over the measured load, latency from the intended send time, the share of operations that succeeded and the longest stretch without a successful write, convergence time, messages sent per successful operation, and every checker verdict. Informational verdicts are checks of a property the algorithm does not promise; they never count as failures.</p>
  ${algorithmCards(run)}
  <div class="table-wrap"><table class="scenarios">
    <thead><tr><th>Scenario</th><th>Checks</th><th>Load</th><th>Faults</th><th class="num">Throughput</th><th class="num">p50</th><th class="num">p99</th><th class="num">OK</th><th class="num">Longest unavailable</th><th class="num">Convergence p50</th><th class="num">Msgs/op</th></tr></thead>
    <tbody>${groups.map((algo) => html`<tr class="group"><th colspan="11">${algoName(algo)}</th></tr>${indexed.filter((x) => x.s.algo === algo).map((x) => scenarioRow(x.s, x.i))}`)}</tbody>
  </table></div>
</section>`;
}
