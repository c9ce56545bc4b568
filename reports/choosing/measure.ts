/**
 * From a run's scenarios to the measured choosing table: for each use case and each of the
 * four algorithms, the relevant scenarios, whether the row's safety requirements held in
 * all of them, the figures, and the rule's decision. Reference systems (etcd) present in the
 * run get the same cells in the rows they apply to, outside the decision.
 */
import type { ResultsFile, ScenarioResult } from '../../contracts/results.js';
import { ALGORITHM_COLUMNS, REFERENCE_COLUMNS, algorithmLabel, scenarioShape, verdictStatus, type ReferenceId } from '../scenarios.js';
import { chooseAlgorithm, type CellMeasure, type CellSafety, type RowDecision } from './rule.js';
import { USE_CASES, type CellFigures, type UseCase } from './use-cases.js';
import type { Estimate } from './interval.js';

export interface MeasuredCell extends CellMeasure, Omit<CellFigures, 'primary' | 'secondary'> {
  /** Indices into the run's scenarios, for links to their details. */
  scenarioIndices: number[];
  shapes: string[];
}

/** A reference system's cell: measured like an algorithm's, never decided on. Null where the row does not apply to it. */
export interface ReferenceCell {
  id: ReferenceId;
  cell: (Omit<MeasuredCell, 'algo'> & { algo: ReferenceId }) | null;
}

export interface ChoosingRow {
  useCase: UseCase;
  cells: MeasuredCell[];
  decision: RowDecision;
  /** False when the measured algorithms did not run the same scenario shapes. */
  comparable: boolean;
  /** One per reference system that ran in this run, in column order. */
  references: ReferenceCell[];
}

const SAFETY_ORDER: CellSafety['state'][] = ['violated', 'not-promised', 'undecided', 'unchecked', 'passed'];

/** The worst safety state over the row's scenarios (see CellSafety for the order). */
export function rowSafety(scenarios: readonly ScenarioResult[], requires: UseCase['requires']): CellSafety {
  const found: CellSafety[] = [];
  for (const s of scenarios) {
    for (const v of s.checks) {
      const status = verdictStatus(v, s);
      const required = requires.includes(v.checker);
      if (status === 'violated') found.push({ state: 'violated', checker: v.checker });
      // An informational check decides a row only when the row requires that property.
      else if (status === 'informational' && required) found.push({ state: 'not-promised', checker: v.checker });
      else if (status === 'undecided') found.push({ state: 'undecided', checker: v.checker });
    }
    for (const checker of requires) {
      if (!s.checks.some((v) => v.checker === checker)) found.push({ state: 'unchecked', checker });
    }
  }
  found.sort((a, b) => SAFETY_ORDER.indexOf(a.state) - SAFETY_ORDER.indexOf(b.state));
  return found[0] ?? { state: 'passed' };
}

function measureCell<Id extends string>(useCase: UseCase, algo: Id, run: ResultsFile): Omit<MeasuredCell, 'algo'> & { algo: Id } {
  const indices = run.scenarios.flatMap((s, i) => (s.algo === algo && useCase.relevant(s) ? [i] : []));
  const scenarios = indices.map((i) => run.scenarios[i]!);
  if (scenarios.length === 0) {
    return { algo, scenarios: 0, safety: { state: 'passed' }, primary: null, secondary: null, figures: [], scenarioIndices: [], shapes: [] };
  }
  const { primary, secondary, figures, note } = useCase.measure(scenarios);
  return {
    algo,
    scenarios: scenarios.length,
    safety: rowSafety(scenarios, useCase.requires),
    primary,
    secondary,
    figures,
    ...(note ? { note } : {}),
    scenarioIndices: indices,
    shapes: [...new Set(scenarios.map(scenarioShape))].sort(),
  };
}

/** The reference systems that ran in this run. */
export function referencesIn(run: ResultsFile): ReferenceId[] {
  return REFERENCE_COLUMNS.filter((id) => run.scenarios.some((s) => s.algo === id));
}

export function measureChoosingTable(run: ResultsFile): ChoosingRow[] {
  const present = referencesIn(run);
  return USE_CASES.map((useCase) => {
    const cells = ALGORITHM_COLUMNS.map((algo) => measureCell(useCase, algo, run));
    const measured = cells.filter((c) => c.scenarios > 0);
    const signature = (c: MeasuredCell) => c.shapes.join('|');
    const comparable = measured.every((c) => signature(c) === signature(measured[0]!));
    const references = present.map((id) => ({ id, cell: useCase.reference ? measureCell(useCase, id, run) : null }));
    return { useCase, cells, decision: chooseAlgorithm(cells, useCase.rule, useCase.textbook), comparable, references };
  });
}

/**
 * The picks in a few plain lines, for the end of `parley bench`: each row's pick, how it was
 * decided, and the deciding figure of every candidate as mean ± half-interval, so two runs
 * can be compared at a glance. A reference system's figure follows, apart: it is never a
 * candidate.
 */
export function choosingLines(run: ResultsFile): string[] {
  return measureChoosingTable(run).map((row) => {
    const { decision, useCase } = row;
    const metric = useCase.rule.primary;
    const figure = (label: string, e: Estimate) => {
      const half = e.low === null || e.high === null ? '' : ` ± ${metric.format((e.high - e.low) / 2)}`;
      return `${label} ${metric.format(e.value)}${half} (${e.n})`;
    };
    const figures = row.cells
      .filter((c) => c.primary !== null && decision.cells.find((d) => d.algo === c.algo)?.verdict !== 'unsuitable')
      .map((c) => figure(algorithmLabel(c.algo), c.primary!));
    const references = row.references.flatMap((r) => (r.cell?.primary ? [`; reference ${figure(r.id, r.cell.primary)}${r.cell.safety.state === 'passed' ? '' : ` (${r.cell.safety.state})`}`] : []));
    const how = decision.pick === null ? 'nothing qualified' : decision.decidedBy === 'textbook' || decision.decidedBy === 'column order' ? `tie of ${decision.tied.map(algorithmLabel).join(', ')}, broken by ${decision.decidedBy}` : `decided on ${decision.decidedBy === 'secondary' ? useCase.rule.secondary.name : metric.name}`;
    return `${useCase.title}: ${decision.pick === null ? 'none' : algorithmLabel(decision.pick)} (${how}); ${metric.name}: ${figures.join(', ') || 'not measured'}${references.join('')}`;
  });
}
