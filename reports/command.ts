/**
 * `parley report DIR|FILE...`: re-render report.html from earlier runs. Several runs give
 * a comparison. The page goes to --out, or into the first folder given (beside the first
 * file given). Exit 0 once written, whatever the verdicts: judging the run was the run's
 * job, and its exit code; this command only draws it. A missing or invalid file is a
 * one-line UsageError (exit 64).
 */
import path from 'node:path';
import { renderReport, terminalSummary, writeJunit, loadResults } from './index.js';
import { chronological } from './scenarios.js';

export interface ReportCommandOptions {
  out?: string;
  junit?: string;
  /** Print the terminal summary of the latest run. */
  summary?: boolean;
}

export function defaultReportPath(firstArg: string, firstFile: string): string {
  return firstFile === firstArg ? path.join(path.dirname(firstFile), 'report.html') : path.join(firstArg, 'report.html');
}

export async function runReport(args: string[], options: ReportCommandOptions): Promise<number> {
  const loaded = loadResults(args);
  const out = options.out ?? defaultReportPath(args[0]!, loaded[0]!.file);
  const runs = loaded.map((l) => l.results);
  await renderReport(runs, out, { files: loaded.map((l) => l.file) });
  const latest = chronological(runs).at(-1)!;
  if (options.junit) writeJunit(latest, options.junit);
  if (options.summary !== false) process.stdout.write(`${terminalSummary(latest, { color: process.stdout.isTTY === true, reportPath: out })}\n`);
  else process.stdout.write(`report: ${out}\n`);
  return 0;
}
