/**
 * The rule that picks an algorithm for one row of the "choosing the right algorithm" table,
 * as a pure function of what was measured, so that the sentence printed next to the table
 * and the code that applies it cannot drift apart (test/reports/choosing.test.ts holds them
 * to each other).
 *
 * The rule: among algorithms whose safety checks all passed in the row's scenarios, the one
 * with the best primary figure, but only when it is better beyond noise. Each figure is the
 * mean over repeated trials with its 95% confidence interval (interval.ts); an algorithm is
 * behind when its interval and a better one's do not overlap *and* the better mean leads by
 * more than `tolerance` (a lead of a few percent is not worth a different answer even when
 * it is real). Those not behind tie; a tie goes to the secondary figure by the same test,
 * then to the textbook pick, so that noise never overturns the textbook, then to column
 * order so the answer is deterministic. A figure from a single trial has no interval, so it
 * can never be behind or ahead: one run decides nothing.
 */
import type { AlgorithmId } from '../scenarios.js';
import { separates, type Estimate } from './interval.js';

export interface Metric {
  /** What it is, in words: "throughput", "median failover". */
  name: string;
  better: 'higher' | 'lower';
  format: (value: number) => string;
}

export interface ChoosingRule {
  primary: Metric;
  secondary: Metric;
  /** Relative lead below which two figures tie even when their intervals separate (0.1 = 10%). */
  tolerance: number;
}

/**
 * Whether the row's safety requirements held for one algorithm. `checker` names the check
 * that decided it. Worst first: violated, not-promised (the property is informational for
 * this algorithm, so even a pass is luck), undecided, unchecked (never ran), passed.
 */
export type CellSafety =
  | { state: 'passed' }
  | { state: 'violated' | 'not-promised' | 'undecided' | 'unchecked'; checker: string };

export interface CellMeasure {
  algo: AlgorithmId;
  /** How many of this algorithm's scenarios are relevant to the row; 0 = not measured. */
  scenarios: number;
  safety: CellSafety;
  /** Mean over the trials and its interval; null when there is no figure. */
  primary: Estimate | null;
  secondary: Estimate | null;
}

export type CellVerdict = 'pick' | 'viable' | 'unsuitable' | 'unverified' | 'not measured';

export interface CellDecision {
  algo: AlgorithmId;
  verdict: CellVerdict;
  /** One short clause a reader can check against the figures in the cell. */
  reason: string;
}

export type DecidedBy = 'primary' | 'secondary' | 'textbook' | 'column order' | 'only candidate';

export interface RowDecision {
  pick: AlgorithmId | null;
  decidedBy: DecidedBy | null;
  /** Candidates that nothing was ahead of on the primary figure (the pick included). */
  tied: AlgorithmId[];
  cells: CellDecision[];
  textbook: readonly AlgorithmId[];
  /** null when nothing qualified, so there is nothing to agree or disagree with. */
  agreesWithTextbook: boolean | null;
}

/** Does `a` lead `b` by more than `tolerance` of `b`'s figure, on the side the metric prefers? */
export function leadsBy(a: number, b: number, metric: Metric, tolerance: number): boolean {
  const scale = Math.max(Math.abs(b), Number.EPSILON);
  const lead = metric.better === 'higher' ? (a - b) / scale : (b - a) / scale;
  return lead > tolerance;
}

/** `a` is ahead of `b`: the intervals separate and the lead is more than the tolerance. */
export function isAhead(a: Estimate, b: Estimate, metric: Metric, tolerance: number): boolean {
  return separates(a, b, metric.better) && leadsBy(a.value, b.value, metric, tolerance);
}

/** The candidates no other candidate is ahead of (never empty: the best mean is never behind). */
function notBehind<T>(cells: readonly T[], figure: (c: T) => Estimate, metric: Metric, tolerance: number): T[] {
  return cells.filter((c) => !cells.some((o) => o !== c && isAhead(figure(o), figure(c), metric, tolerance)));
}

function ineligible(cell: CellMeasure, primaryName: string): CellDecision | null {
  if (cell.scenarios === 0) return { algo: cell.algo, verdict: 'not measured', reason: 'no scenario of this row ran' };
  const s = cell.safety;
  if (s.state === 'violated') return { algo: cell.algo, verdict: 'unsuitable', reason: `${s.checker} violated` };
  if (s.state === 'not-promised') return { algo: cell.algo, verdict: 'unsuitable', reason: `does not promise ${s.checker}` };
  if (s.state === 'undecided') return { algo: cell.algo, verdict: 'unverified', reason: `${s.checker} undecided` };
  if (s.state === 'unchecked') return { algo: cell.algo, verdict: 'unverified', reason: `${s.checker} not checked` };
  if (cell.primary === null) return { algo: cell.algo, verdict: 'not measured', reason: `no ${primaryName} figure` };
  return null;
}

/** Apply the rule to one row. `cells` may come in any order; the decision lists them as given. */
export function chooseAlgorithm(cells: readonly CellMeasure[], rule: ChoosingRule, textbook: readonly AlgorithmId[]): RowDecision {
  const { primary, secondary, tolerance } = rule;
  const decisions = new Map<AlgorithmId, CellDecision>();
  const candidates: (CellMeasure & { primary: Estimate })[] = [];
  for (const cell of cells) {
    const out = ineligible(cell, primary.name);
    if (out) decisions.set(cell.algo, out);
    else candidates.push(cell as CellMeasure & { primary: Estimate });
  }

  let pick: AlgorithmId | null = null;
  let decidedBy: DecidedBy | null = null;
  let tied: AlgorithmId[] = [];
  if (candidates.length > 0) {
    let finalists = notBehind(candidates, (c) => c.primary, primary, tolerance);
    tied = finalists.map((c) => c.algo);
    decidedBy = candidates.length === 1 ? 'only candidate' : 'primary';
    if (finalists.length > 1) {
      const withSecondary = finalists.filter((c): c is typeof c & { secondary: Estimate } => c.secondary !== null);
      if (withSecondary.length > 0) {
        finalists = notBehind(withSecondary, (c) => c.secondary, secondary, tolerance);
        decidedBy = 'secondary';
      }
    }
    if (finalists.length > 1) {
      const fromTextbook = finalists.filter((c) => textbook.includes(c.algo));
      if (fromTextbook.length > 0) {
        // The textbook order itself ranks textbook picks (Paxos before Raft for databases).
        fromTextbook.sort((a, b) => textbook.indexOf(a.algo) - textbook.indexOf(b.algo));
        finalists = fromTextbook;
        decidedBy = 'textbook';
      } else {
        decidedBy = 'column order';
      }
    }
    const winner = finalists[0]!;
    pick = winner.algo;
    for (const c of candidates) {
      const why =
        c.algo === pick
          ? pickReason(winner, decidedBy, rule)
          : tied.includes(c.algo)
            ? `not behind on ${primary.name} (intervals overlap or within ${Math.round(tolerance * 100)}%); lost the tie-break`
            : `${primary.name} ${primary.format(c.primary.value)} vs ${primary.format(winner.primary.value)}, intervals apart`;
      decisions.set(c.algo, { algo: c.algo, verdict: c.algo === pick ? 'pick' : 'viable', reason: why });
    }
  }

  return {
    pick,
    decidedBy,
    tied,
    cells: cells.map((c) => decisions.get(c.algo)!),
    textbook,
    agreesWithTextbook: pick === null ? null : textbook.includes(pick),
  };
}

function pickReason(winner: CellMeasure & { primary: Estimate }, decidedBy: DecidedBy, rule: ChoosingRule): string {
  const p = `${rule.primary.name} ${rule.primary.format(winner.primary.value)}`;
  switch (decidedBy) {
    case 'only candidate':
      return `the only one that qualified; ${p}`;
    case 'primary':
      return `best ${p}, ahead of every other beyond its interval`;
    case 'secondary':
      return `tied on ${rule.primary.name}; best ${rule.secondary.name} ${winner.secondary === null ? '' : rule.secondary.format(winner.secondary.value)}`.trim();
    case 'textbook':
      return `tied on ${rule.primary.name} and ${rule.secondary.name}; the textbook pick`;
    case 'column order':
      return `tied on ${rule.primary.name} and ${rule.secondary.name}; first in column order`;
  }
}

const ranked = (m: Metric) => `${m.better === 'higher' ? 'highest' : 'lowest'} ${m.name}`;

/** The rule in words for one row (its metrics named), as printed next to the table. */
export function describeRule(rule: ChoosingRule): string {
  const pct = `${Math.round(rule.tolerance * 100)}%`;
  return (
    `among algorithms whose safety checks all passed in this row's scenarios, the one with the ${ranked(rule.primary)} (mean over trials, 95% confidence interval); ` +
    `an algorithm is behind only when its interval and a better one's do not overlap and the better leads by more than ${pct}; ` +
    `those not behind tie, and a tie goes to the ${ranked(rule.secondary)} by the same test, then to the textbook pick, then to column order`
  );
}

/** The same rule with the metrics left abstract, for the table's heading. */
export function describeRuleInGeneral(tolerance: number): string {
  const pct = `${Math.round(tolerance * 100)}%`;
  return (
    `among the algorithms whose safety checks all passed in the row's scenarios, the one with the best primary figure, each figure being the mean over repeated trials with its 95% confidence interval; ` +
    `an algorithm is behind only when its interval and a better one's do not overlap and the better leads by more than ${pct}, so a single trial decides nothing; ` +
    `those not behind tie, and a tie goes to the best secondary figure by the same test, then to the textbook pick, so that noise never overturns the textbook, then to column order`
  );
}

/** "highest throughput, then lowest p99 latency". */
export function describeMetrics(rule: ChoosingRule): string {
  return `${ranked(rule.primary)}, then ${ranked(rule.secondary)}`;
}
