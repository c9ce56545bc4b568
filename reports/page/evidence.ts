/**
 * Why a check failed or could not decide, as the checker reported it: the summary sentence,
 * then the evidence drawn (a timeline for linearizability, a cycle of transactions for
 * list-append) or tabulated (the other kinds).
 * Every verdict that carries evidence gets an anchor the banner and the chips link to.
 */
import type { ResultsFile, ScenarioResult } from '../../contracts/results.js';
import type { JsonValue } from '../../workloads/history.js';
import type { Evidence, LinearizabilityEvidence, ListAppendEvidence, Verdict } from '../../workloads/checkers/verdict.js';
import { describeAnomaly, describeEdge, describeMicroOp } from '../../workloads/checkers/list-append/index.js';
import { describeStarvation } from '../../workloads/checkers/starvation.js';
import { ROLE_COLORS, describeOp, showValue, timelineChart } from '../charts/timeline.js';
import { EDGE_COLORS, cycleChart } from '../charts/cycle.js';
import { fmtMs } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { algorithmLabel, evidenceAnchor, verdictStatus, verdictTitle } from '../scenarios.js';
import { figureHtml } from './figure.js';
import { algoName } from './summary.js';
import { dataTable } from './table.js';

/** The fields of a tagged record other than the ones a table already shows, as `name: value`. */
function rest(record: object, shown: readonly string[]): string {
  return Object.entries(record)
    .filter(([k]) => !shown.includes(k))
    .map(([k, v]) => `${k}: ${showValue(v as JsonValue)}`)
    .join(', ');
}

async function linearizabilityEvidence(e: LinearizabilityEvidence, id: string): Promise<SafeHtml> {
  const ms = (ns: number) => fmtMs((ns - e.origin) / 1e6);
  const rows = e.window.map((o) => [
    html`<span class="role" style="background: ${ROLE_COLORS[o.role]}"></span>${o.role}`,
    String(o.process), describeOp(o), ms(o.start), o.end === null ? 'never returned' : ms(o.end), String(o.index),
  ]);
  return html`<p class="small muted">Key ${e.key === null ? '(single register)' : showValue(e.key)}: ${e.linearized} of ${e.operations} operations could be ordered; the register then held ${showValue(e.stateBefore)}.</p>
${await figureHtml(timelineChart(e, id))}
${dataTable(['role', 'process', 'operation', 'invoked', 'completed', 'history index'], rows, [1, 3, 4, 5])}`;
}

/** Cycles drawn per list-append verdict; the rest are listed in the table below them. */
const CYCLES_DRAWN = 3;

async function listAppendEvidence(e: ListAppendEvidence, id: string): Promise<SafeHtml> {
  const ms = (ns: number) => fmtMs((ns - e.origin) / 1e6);
  // One of each class first (a G2 says more next to a G-single than a second G-single does).
  const all = e.anomalies.flatMap((a) => ('cycle' in a ? [a] : []));
  const firsts = all.filter((a, i) => all.findIndex((b) => b.type === a.type) === i);
  const cycles = [...firsts, ...all.filter((a) => !firsts.includes(a))].slice(0, CYCLES_DRAWN);
  const drawn = await Promise.all(
    cycles.map(async (a, k) => {
      const rows = a.cycle.map((s, i) => {
        const next = a.cycle[(i + 1) % a.cycle.length]!.txn;
        return [
          String(s.txn.index), String(s.txn.process), s.txn.node === undefined ? '—' : String(s.txn.node),
          html`<span class="mono">${s.txn.ops.map(describeMicroOp).join(', ')}</span>`,
          s.txn.outcome === 'ok' ? 'committed' : s.txn.outcome === 'info' ? 'no reply' : 'failed',
          `${ms(s.txn.start)} – ${s.txn.end === null ? 'never returned' : ms(s.txn.end)}`,
          html`<span class="role" style="background: ${EDGE_COLORS[s.edge.type]}"></span>${describeEdge(s.txn, s.edge, next)}`,
        ];
      });
      return html`${await figureHtml(cycleChart(a, `${id}-${k}`))}
${dataTable(['history index', 'process', 'node', 'operations', 'outcome', 'invoked – completed', 'edge to the next'], rows, [0])}`;
    }),
  );
  const listed = dataTable(['anomaly', 'key', 'what the history shows'], e.anomalies.map((a) => [a.type, 'key' in a ? showValue(a.key) : '—', describeAnomaly(a)]));
  return html`${drawn}${listed}`;
}

function otherEvidence(e: Exclude<Evidence, LinearizabilityEvidence | ListAppendEvidence>): SafeHtml {
  switch (e.kind) {
    case 'unknown':
      return dataTable(['gave up because', 'on key', 'keys decided'], [[e.reason, e.key === undefined || e.key === null ? '—' : showValue(e.key), e.keysTotal ? `${e.keysChecked ?? 0} of ${e.keysTotal}` : '—']]);
    case 'bank':
      return html`${dataTable(['anomaly', 'read (history index)', 'details'], e.anomalies.map((a) => [a.type, String(a.read), rest(a, ['type', 'read'])]))}
${e.undecided.length ? html`<p class="small">Reads the search could not decide (history indices): ${e.undecided.join(', ')}</p>` : ''}`;
    case 'atomicity':
      return html`${dataTable(['violation', 'transaction', 'details'], e.violations.map((v) => [v.type, v.txid, rest(v, ['type', 'txid'])]))}
${dataTable(['still in doubt', 'participant', 'prepared at (ns)'], e.inDoubt.map((d) => [d.txid, d.node, String(d.since)]))}`;
    case 'convergence':
      return html`${dataTable(['divergent key', 'value per node'], e.divergent.map((d) => [showValue(d.key), Object.entries(d.values).map(([n, v]) => `${n}: ${showValue(v)}`).join(', ')]))}
${dataTable(['lost write (index)', 'key', 'value', 'final'], e.lost.map((l) => [String(l.index), showValue(l.key), showValue(l.value), showValue(l.final)]))}
${dataTable(['late write (index)', 'key', 'converged after', 'bound', 'machine'], e.late.map((l) => [String(l.index), showValue(l.key), l.convergedMs === null ? 'never' : fmtMs(l.convergedMs), fmtMs(l.deadlineMs), l.starved ? 'starved' : '']))}
${e.settle ? html`<p class="small">Settling before the final reads: ${e.settle.outcome} after ${fmtMs(e.settle.waitedMs)} (bound ${fmtMs(e.settle.boundMs)}).</p>` : ''}
${e.unread?.length ? html`<p class="small">Never read back: ${e.unread.map((u) => `${showValue(u.key)} on ${u.node}`).join(', ')}</p>` : ''}`;
    case 'durability':
      return html`${dataTable(['lost write (index)', 'process', 'key', 'value', 'final'], e.lost.map((l) => [String(l.index), String(l.process), showValue(l.key), showValue(l.value), showValue(l.final)]))}
${dataTable(['phantom key', 'final value nobody wrote'], e.phantom.map((p) => [showValue(p.key), showValue(p.final)]))}`;
  }
}

async function evidenceArticle(s: ScenarioResult, v: Verdict, i: number, j: number): Promise<SafeHtml> {
  const status = verdictStatus(v, s);
  const id = evidenceAnchor(i, j);
  const e = v.evidence;
  const body = !e
    ? html``
    : e.kind === 'linearizability'
      ? await linearizabilityEvidence(e, `timeline-${i}-${j}`)
      : e.kind === 'list-append'
        ? await listAppendEvidence(e, `cycle-${i}-${j}`)
        : otherEvidence(e);
  const chip = status === 'informational' ? `informational: ${algorithmLabel(s.algo)} does not promise ${v.checker}` : status;
  const stats = Object.entries(v.stats).map(([k, n]) => html`<span class="mono small muted">${k}=${n}</span> `);
  return html`<article class="evidence evidence-${status}" id="${id}">
  <h3>${verdictTitle(v)} · ${s.name} · ${algoName(s.algo)} <span class="chip chip-${status}">${chip}</span></h3>
  <p class="summary">${v.summary}</p>
  ${v.starved ? html`<p class="small">Measured on a starved machine: ${describeStarvation(v.starved)}.</p>` : ''}
  ${body}
  <p>${stats}</p>
</article>`;
}

/** Verdicts worth a look: every one that is not a plain pass, and any with evidence. */
export async function evidenceSection(run: ResultsFile): Promise<SafeHtml> {
  const items = run.scenarios.flatMap((s, i) => s.checks.map((v, j) => ({ s, v, i, j }))).filter(({ s, v }) => v.evidence || verdictStatus(v, s) !== 'passed');
  const rank = { violated: 0, undecided: 1, informational: 2, passed: 3 };
  items.sort((a, b) => rank[verdictStatus(a.v, a.s)] - rank[verdictStatus(b.v, b.s)] || a.i - b.i || a.j - b.j);
  const articles = await Promise.all(items.map(({ s, v, i, j }) => evidenceArticle(s, v, i, j)));
  return html`<section class="block" id="evidence">
  <h2>Evidence</h2>
  <p class="lede">What each checker found wrong or could not decide, violations first. A linearizability violation is drawn as the operations around the one no order could place, one row per client process; a list-append cycle as its transactions around a circle, each arrow a dependency.</p>
  ${articles.length ? articles : html`<p class="muted">No check failed or was undecided, and no checker reported evidence.</p>`}
</section>`;
}
