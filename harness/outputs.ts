/**
 * What a finished run leaves for people: the files next to results.json (report.html,
 * junit.xml) plus the terminal summary. The exit code it implies is contracts/exit-codes.ts.
 */
import path from 'node:path';
import type { ResultsFile } from '../contracts/results.js';

/** report.html and junit.xml beside results.json, then the summary table on stdout. */
export async function publishOutputs(results: ResultsFile, dir: string): Promise<void> {
  const { renderReport, writeJunit, terminalSummary } = await import('../reports/index.js');
  const report = await renderReport([results], path.join(dir, 'report.html'));
  writeJunit(results, path.join(dir, 'junit.xml'));
  process.stdout.write(`${terminalSummary(results, { color: process.stdout.isTTY === true, reportPath: report })}\n`);
}
