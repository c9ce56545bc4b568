/**
 * The exit codes every command ends with (docs/architecture.md, "Exit codes"): 0 every
 * check valid, 1 a safety violation, 2 a checker could not decide, 64 bad usage or input,
 * 70 the harness failed. Scripts and CI read them, so their meaning never changes.
 *
 * A violation outranks a harness failure: a partial run that already caught a bug reports
 * the bug. A starved machine gives undecided verdicts (2), never a violation.
 */
import type { ResultsFile } from './results.js';

export const EXIT = { ok: 0, violation: 1, unknown: 2, usage: 64, internal: 70 } as const;

/** A verdict counts unless its checker is informational for that scenario's algorithm. */
export function countedVerdicts(results: ResultsFile) {
  return results.scenarios.flatMap((s) => s.checks.filter((v) => !s.informational.includes(v.checker)).map((v) => ({ scenario: s, verdict: v })));
}

/** 1 on any safety violation (even in a partial run), 70 when the harness could not finish, 2 when a check could not decide, else 0. */
export function exitCodeOf(results: ResultsFile): number {
  const verdicts = countedVerdicts(results);
  const sim = results.sim ?? [];
  if (verdicts.some((v) => v.verdict.valid === false) || sim.some((s) => s.verdicts.invalid > 0)) return EXIT.violation;
  if (results.scenarios.some((s) => s.status !== 'complete')) return EXIT.internal;
  if (verdicts.some((v) => v.verdict.valid === 'unknown') || sim.some((s) => s.verdicts.unknown > 0)) return EXIT.unknown;
  return EXIT.ok;
}
