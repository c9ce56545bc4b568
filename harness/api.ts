/**
 * parley as a library: `import { runScenario, checkHistory, renderReport } from 'parley'`.
 * The same scenario, checks and report as the command line, for programs that drive
 * parley themselves (a CI step that runs its own schedule, a notebook, another harness).
 *
 * Errors follow the CLI's exit codes: a scenario or input the command line would refuse
 * with exit 64 throws a `UsageError` with the same one-line message; a run that found a
 * violation or could not finish resolves normally, with `exitCode` saying so.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../nodes/common/errors.js';
import { readHistory, type HistoryEvent, type Scalar } from '../workloads/history.js';
import { checkLinearizability } from '../workloads/checkers/linearizability/index.js';
import { checkBank } from '../workloads/checkers/bank.js';
import { checkDurability } from '../workloads/checkers/durability.js';
import { checkListAppend } from '../workloads/checkers/list-append/index.js';
import type { Verdict } from '../workloads/checkers/verdict.js';
import { parseScenario, type ScenarioInput } from '../contracts/scenario.js';
import type { ResultsFile } from '../contracts/results.js';
import { Progress } from './progress.js';
import { exitCodeOf } from '../contracts/exit-codes.js';

export { UsageError };
export { EXIT } from '../contracts/exit-codes.js';
export { parseScenario, scenarioJsonSchema } from '../contracts/scenario.js';
export type { Scenario, ScenarioInput, FaultSpec } from '../contracts/scenario.js';
export type { WorkloadSpec } from '../workloads/spec.js';
export type { ResultsFile, ScenarioResult, SystemFacts, NodeResult } from '../contracts/results.js';
export type { Verdict, Validity, Evidence } from '../workloads/checkers/verdict.js';
export type { HistoryEvent, Scalar, JsonValue } from '../workloads/history.js';

export interface RunScenarioOptions {
  /** Folder for results.json, history.jsonl, logs/ and data/; must not hold a run. Default: a new temporary folder. */
  out?: string;
  /** Abort the run (what was measured so far is kept; the result is partial). */
  signal?: AbortSignal;
  /** Lines the CLI would print while the run goes (calibration, faults firing). Default: silent. */
  onNote?: (line: string) => void;
  /** Also write report.html and junit.xml beside results.json. Default false. */
  report?: boolean;
}

export interface RunScenarioResult {
  results: ResultsFile;
  /** The CLI's exit code for this run: 0 valid, 1 a violation, 2 undecided, 70 could not finish. */
  exitCode: number;
  /** The folder the run wrote to. */
  dir: string;
}

/** Progress that hands notes to a callback and draws no bar. */
class NoteProgress extends Progress {
  constructor(private readonly onNote: (line: string) => void) {
    super('', process.stderr, true);
  }

  override note(line: string): void {
    this.onNote(line);
  }
}

/**
 * Run one scenario (the fields of a scenario file, docs/scenarios) end to end: nodes, load,
 * faults, checks. Resolves with results.json's contents.
 */
export async function runScenario(input: ScenarioInput, options: RunScenarioOptions = {}): Promise<RunScenarioResult> {
  const scenario = parseScenario(input);
  const { runInto, refuseSimOnly } = await import('./run-command.js');
  refuseSimOnly(scenario);
  const { checkSystem } = await import('./systems.js');
  await checkSystem(scenario);
  const dir = path.resolve(options.out ?? fs.mkdtempSync(path.join(os.tmpdir(), `parley-${scenario.algo}-`)));
  const progress = options.onNote ? new NoteProgress(options.onNote) : new Progress('', process.stderr, true);
  const results = await runInto(scenario, dir, { signal: options.signal ?? new AbortController().signal, progress, command: 'api runScenario' });
  if (options.report) {
    const { renderReport: render, writeJunit } = await import('../reports/index.js');
    await render([results], path.join(dir, 'report.html'));
    writeJunit(results, path.join(dir, 'junit.xml'));
  }
  return { results, exitCode: exitCodeOf(results), dir };
}

export type CheckHistoryOptions =
  | { model: 'register' | 'cas-register'; /** Give up with "unknown" after this long (default 60 s). */ timeLimitMs?: number }
  | { model: 'bank'; /** Opening balances per account. */ initial: Record<string, number>; timeLimitMs?: number }
  | { model: 'durability'; /** What each key holds after recovery. */ final: Record<string, Scalar> }
  | { model: 'list-append'; /** Bound on the cycle searches (default 60 s). */ timeLimitMs?: number };

/**
 * Check a history (events, or the path of a history.jsonl) as `parley check` does. The
 * verdict's `valid` is true, false or "unknown" (the search ran out of time).
 */
export async function checkHistory(history: readonly HistoryEvent[] | string, options: CheckHistoryOptions): Promise<Verdict> {
  const events = typeof history === 'string' ? (await readHistory(history)).events : history;
  switch (options.model) {
    case 'register':
    case 'cas-register':
      return checkLinearizability(events, { model: options.model, ...(options.timeLimitMs !== undefined && { timeLimitMs: options.timeLimitMs }) });
    case 'bank':
      return checkBank(events, { initial: options.initial, ...(options.timeLimitMs !== undefined && { timeLimitMs: options.timeLimitMs }) });
    case 'durability':
      return checkDurability({ history: events, final: options.final });
    case 'list-append':
      return checkListAppend(events, { timeLimitMs: options.timeLimitMs ?? 60_000 });
    default:
      throw new UsageError(`model: unknown model ${JSON.stringify((options as { model: unknown }).model)} (one of register, cas-register, bank, durability, list-append)`);
  }
}

/**
 * The self-contained HTML report of one or more runs (several are compared; the latest is
 * shown in full). Given `out`, it is also written there. Resolves with the HTML.
 */
export async function renderReport(results: ResultsFile | readonly ResultsFile[], options: { out?: string } = {}): Promise<string> {
  const runs = Array.isArray(results) ? (results as readonly ResultsFile[]) : [results as ResultsFile];
  const { reportDocument } = await import('../reports/index.js');
  const html = await reportDocument(runs, { generatedAt: new Date().toISOString() });
  if (options.out) {
    fs.mkdirSync(path.dirname(path.resolve(options.out)), { recursive: true });
    fs.writeFileSync(options.out, html);
  }
  return html;
}

/** Read a results.json (or the folder holding one) for renderReport; a UsageError names what is wrong. */
export async function loadResults(fileOrDir: string): Promise<ResultsFile> {
  const { loadResultsFile } = await import('../reports/index.js');
  return (await loadResultsFile(fileOrDir)).results;
}
