/**
 * The reports package: results.json in; report.html, the terminal summary and JUnit XML out.
 * `parley run` and `parley bench` call these at the end of a run; `parley report`
 * (reports/command.ts) calls them on files from earlier runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ResultsFile } from '../contracts/results.js';
import { junitXml } from './junit.js';
import { reportDocument, type DocumentOptions } from './page/document.js';

export { terminalSummary, type TerminalOptions } from './terminal.js';
export { junitXml } from './junit.js';
export { loadResults, loadResultsFile, type LoadedResults } from './load.js';
export { reportDocument, type DocumentOptions } from './page/document.js';

/** Write via a temporary file and a rename, so a reader (or CI) never opens half a file. */
function writeAtomically(file: string, text: string): string {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
  return file;
}

/**
 * Render one page from one or more runs and write it to `outFile`. With several runs, the
 * latest by start time is shown in full and all of them are compared. Returns the path.
 */
export async function renderReport(results: readonly ResultsFile[], outFile: string, options: DocumentOptions = {}): Promise<string> {
  return writeAtomically(outFile, await reportDocument(results, { generatedAt: new Date().toISOString(), ...options }));
}

/** Write the JUnit XML of one run (see reports/junit.ts for the mapping). Returns the path. */
export function writeJunit(results: ResultsFile, outFile: string): string {
  return writeAtomically(outFile, junitXml(results));
}
