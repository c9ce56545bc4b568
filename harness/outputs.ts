/**
 * What a finished run leaves for people and machines: the exit code, and the files next to
 * results.json (report.html, junit.xml) plus the terminal summary.
 */
import path from 'node:path';
import type { ResultsFile } from './results.js';
import { EXIT } from './commands/shared.js';

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

/** report.html and junit.xml beside results.json, then the summary table on stdout. */
export async function publishOutputs(results: ResultsFile, dir: string): Promise<void> {
  const { renderReport, writeJunit, terminalSummary } = await import('../reports/index.js');
  const report = await renderReport([results], path.join(dir, 'report.html'));
  writeJunit(results, path.join(dir, 'junit.xml'));
  process.stdout.write(`${terminalSummary(results, { color: process.stdout.isTTY === true, reportPath: report })}\n`);
}
