/**
 * The measured "choosing the right algorithm" table: a row per use case, a column per
 * algorithm, each cell the figures that decide it and the rule's verdict, and for each row
 * the measured pick beside the textbook pick, saying so plainly where they differ. The rule
 * is printed above the table from the same objects the code applies.
 */
import type { ResultsFile } from '../../contracts/results.js';
import { measureChoosingTable, referencesIn, type ChoosingRow, type MeasuredCell, type ReferenceCell } from '../choosing/measure.js';
import { describeMetrics, describeRuleInGeneral } from '../choosing/rule.js';
import { html, type SafeHtml } from '../html.js';
import { ALGORITHM_COLUMNS, algorithmLabel, referenceLabel, scenarioAnchor } from '../scenarios.js';
import { algoName } from './summary.js';
import { intervalChart } from '../charts/intervals.js';
import { figuresHtml } from './figure.js';
import { scaleFigure, scaleNote } from './scale.js';

/** What a reference cell says: its own safety, and that it is not a candidate. */
function referenceVerdict(cell: NonNullable<ReferenceCell['cell']>): { verdict: string; reason: string } {
  if (cell.scenarios === 0) return { verdict: 'not measured', reason: 'no scenario of this row ran' };
  const s = cell.safety;
  if (s.state === 'violated') return { verdict: 'unsuitable', reason: `${s.checker} violated` };
  if (s.state === 'undecided' || s.state === 'unchecked') return { verdict: 'unverified', reason: `${s.checker} ${s.state === 'undecided' ? 'undecided' : 'not checked'}` };
  return { verdict: 'reference', reason: 'checks passed; a production system for comparison, not a candidate' };
}

function referenceCellHtml(run: ResultsFile, ref: ReferenceCell): SafeHtml {
  if (!ref.cell) return html`<td class="cell cell-reference cell-not-applicable"><span class="verdict">not applicable</span><div class="reason">parley drives ${ref.id} with the kv workload only</div></td>`;
  const { verdict, reason } = referenceVerdict(ref.cell);
  return cellHtml(run, ref.cell, { verdict, reason }, verdict === 'reference' ? '' : 'cell-reference');
}

function cellHtml(run: ResultsFile, cell: Omit<MeasuredCell, 'algo'>, decision: { verdict: string; reason: string }, extraClass = ''): SafeHtml {
  const cls = `cell cell-${decision.verdict.replace(' ', '-')}${extraClass ? ` ${extraClass}` : ''}`;
  if (cell.scenarios === 0) {
    return html`<td class="${cls}"><span class="verdict">not measured</span><div class="reason">${decision.reason}</div></td>`;
  }
  const refs = cell.scenarioIndices.map((i, k) => html`${k > 0 ? ', ' : ''}<a href="#${scenarioAnchor(i)}">${run.scenarios[i]!.name}</a>`);
  return html`<td class="${cls}">
  <span class="verdict">${decision.verdict}</span>
  <ul class="figures">${cell.figures.map((f) => {
    const c = [f.role ?? '', f.alarm ? 'alarm' : ''].filter(Boolean).join(' ');
    return html`<li class="${c}"><b class="value">${f.value}</b>${f.interval ? html` <span class="ci">${f.interval}</span>` : ''} <span class="label">${f.label}</span></li>`;
  })}</ul>
  <div class="reason">${decision.reason}${cell.note ? html`; ${cell.note}` : ''}</div>
  <div class="refs muted">from ${refs}</div>
</td>`;
}

function decidedBy(row: ChoosingRow): string {
  const { primary, secondary } = row.useCase.rule;
  switch (row.decision.decidedBy) {
    case 'only candidate':
      return 'the only algorithm that qualified';
    case 'primary':
      return `decided on ${primary.name}`;
    case 'secondary':
      return `tied on ${primary.name}, decided on ${secondary.name}`;
    case 'textbook':
      return 'tied on both figures; went to the textbook pick';
    default:
      return 'tied on both figures; first in column order';
  }
}

function pickHtml(row: ChoosingRow): SafeHtml {
  const { decision, useCase } = row;
  const textbook = useCase.textbook.map(algorithmLabel).join(' or ');
  if (decision.pick === null) {
    return html`<td class="pick-col"><strong>none</strong><div class="differs">No algorithm qualified on these measurements (textbook: ${textbook}).</div></td>`;
  }
  const verdict = decision.agreesWithTextbook
    ? html`<div class="agree">Agrees with the textbook (${textbook}).</div>`
    : html`<div class="differs">Differs from the textbook pick, ${textbook}.</div>`;
  return html`<td class="pick-col">${algoName(decision.pick)}<div class="small muted">${decidedBy(row)}</div>${verdict}</td>`;
}

export async function choosingSection(run: ResultsFile): Promise<SafeHtml> {
  const rows = measureChoosingTable(run);
  const charts = await figuresHtml(rows.map(intervalChart));
  const references = referencesIn(run);
  return html`<section class="block" id="choosing">
  <h2>Choosing the right algorithm, measured</h2>
  <p class="lede">Each row is a use case; each cell shows the figures from this algorithm's scenarios relevant to the row, each scenario one trial. The deciding figures are means over the trials with their 95% confidence interval (±). A cell with no relevant scenario says "not measured"; nothing is estimated.</p>
  <div class="rule-box"><b>The rule</b>, per row: ${describeRuleInGeneral(rows[0]!.useCase.rule.tolerance)}.
    <ul>${rows.map((r) => html`<li><b>${r.useCase.title}</b>: ${describeMetrics(r.useCase.rule)}; requires ${r.useCase.requires.join(', ')} to have run and passed in every scenario of the row.</li>`)}</ul>
    <div class="small muted">Verdicts: <b>pick</b> the rule's choice; <b>viable</b> safe but behind the pick; <b>unsuitable</b> a check failed or the algorithm does not promise the property; <b>unverified</b> a required check was undecided or did not run; <b>not measured</b> no relevant scenario or no figure${references.length > 0 ? html`; <b>reference</b> a reference system whose required checks passed` : ''}.</div>
    ${references.map((id) => html`<div class="reference-rule"><b>${referenceLabel(run, id)}</b> is a reference, not a candidate: it ran the same scenarios as Raft under the same harness (the same trials, with the same seeds) and its cells show the same figures and checks, means with their 95% interval when it ran several trials, in the rows where a replicated key-value store applies, but the rule never picks it. It answers how the measured algorithms compare with a Raft people run in production.</div>`)}
  </div>
  <div class="table-wrap"><table class="choosing">
    <thead><tr><th class="usecase">Use case</th>${ALGORITHM_COLUMNS.map((a) => html`<th>${algorithmLabel(a)}</th>`)}${references.map((id) => {
      const [name, ...rest] = referenceLabel(run, id).split(', ');
      return html`<th class="reference">${name}<span class="small muted">${rest.join(', ')}; reference</span></th>`;
    })}<th class="pick">Measured pick</th></tr></thead>
    <tbody>${rows.map(
      (row) => html`<tr data-use-case="${row.useCase.id}">
  <th scope="row" class="usecase-row">${row.useCase.title}<span class="asks">${row.useCase.asks}</span><span class="textbook">Textbook: ${row.useCase.textbook.map(algorithmLabel).join(', ')}</span>${row.comparable ? '' : html`<div class="caveat">Algorithms here did not all run the same scenarios; compare with care.</div>`}${row.useCase.id === 'decentralized' && run.scale ? scaleNote(run.scale) : ''}</th>
  ${row.cells.map((cell, i) => cellHtml(run, cell, row.decision.cells[i]!))}
  ${row.references.map((ref) => referenceCellHtml(run, ref))}
  ${pickHtml(row)}
</tr>`,
    )}</tbody>
  </table></div>
  ${run.scale ? await scaleFigure(run.scale) : ''}
  ${charts.length > 0 ? html`<h3 class="charts-heading">The deciding figures, trial by trial</h3><div class="charts">${charts}</div>` : ''}
</section>`;
}
