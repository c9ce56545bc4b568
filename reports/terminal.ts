/**
 * The table printed at the end of every run: one line per scenario with the figures a
 * reader compares first, every check's verdict, then any violation spelled out and the
 * run's overall answer (which is also the exit code). Strings from the config or a node are
 * stripped of control characters so a scenario name cannot move the cursor or recolour the
 * terminal.
 */
import Table from 'cli-table3';
import type { ResultsFile, ScenarioResult } from '../contracts/results.js';
import { exitCodeOf } from '../contracts/exit-codes.js';
import { combineValidity } from '../workloads/checkers/verdict.js';
import { fmtMs, fmtPerOp, fmtRate, fmtRatio, MISSING } from './format.js';
import { algorithmLabel, faultsLabel, safetyViolations, starvationNote, stretchedNote, undecidedChecks, verdictStatus, verdictTitle, type VerdictStatus } from './scenarios.js';

export interface TerminalOptions {
  /** ANSI colour for verdicts (pass `process.stdout.isTTY`). */
  color?: boolean;
  /** Where the HTML report was written, printed on the last line. */
  reportPath?: string;
}

/** Replace C0/C1 control characters (ESC included) with U+FFFD. */
export function terminalSafe(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\ufffd');
}

const MARK: Record<VerdictStatus, string> = { passed: '✓', violated: '✗', undecided: '?', informational: 'i' };
const ANSI: Record<VerdictStatus, [string, string]> = { passed: ['\u001b[32m', '\u001b[39m'], violated: ['\u001b[1;31m', '\u001b[22;39m'], undecided: ['\u001b[33m', '\u001b[39m'], informational: ['\u001b[2m', '\u001b[22m'] };

function checkLines(s: ScenarioResult, color: boolean): string {
  if (s.checks.length === 0) return 'no checks';
  return s.checks
    .map((v) => {
      const status = verdictStatus(v, s);
      const note = status === 'informational' ? ` (not promised: ${v.valid === true ? 'held' : v.valid === false ? 'invalid' : 'undecided'})` : '';
      const text = terminalSafe(`${MARK[status]} ${verdictTitle(v)}${note}`);
      return color ? `${ANSI[status][0]}${text}${ANSI[status][1]}` : text;
    })
    .join('\n');
}

export function terminalSummary(results: ResultsFile, options: TerminalOptions = {}): string {
  const color = options.color ?? false;
  const table = new Table({
    head: ['scenario', 'algorithm', 'faults', 'ops/s', 'p50', 'p99', 'ok', 'longest gap', 'convergence p50', 'msgs/op', 'checks'],
    style: { head: color ? ['bold'] : [], border: [], compact: false },
    colAligns: ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  });
  for (const s of results.scenarios) {
    const status = s.status === 'complete' ? '' : ` [${s.status}]`;
    table.push([
      terminalSafe(s.name) + status,
      terminalSafe(algorithmLabel(s.algo)),
      faultsLabel(s),
      fmtRate(s.throughput, ''),
      fmtMs(s.latency.overall.count > 0 ? s.latency.overall.p50 : null),
      fmtMs(s.latency.overall.count > 0 ? s.latency.overall.p99 : null),
      fmtRatio(s.availability.total > 0 ? s.availability.okRatio : null),
      fmtMs(s.availability.longestUnavailableMs),
      s.convergence ? fmtMs(s.convergence.p50Ms) : MISSING,
      s.ops.ok > 0 ? fmtPerOp(s.messages.perOk) : MISSING,
      checkLines(s, color),
    ]);
  }

  const lines = [table.toString()];
  const violations = safetyViolations(results);
  const undecided = undecidedChecks(results);
  for (const v of violations) lines.push(`SAFETY VIOLATION  ${terminalSafe(verdictTitle(v.verdict))} in ${terminalSafe(v.scenario.name)} (${terminalSafe(algorithmLabel(v.scenario.algo))}): ${terminalSafe(v.verdict.summary)}`);
  for (const v of undecided) lines.push(`UNDECIDED         ${terminalSafe(verdictTitle(v.verdict))} in ${terminalSafe(v.scenario.name)} (${terminalSafe(algorithmLabel(v.scenario.algo))}): ${terminalSafe(v.verdict.summary)}`);
  for (const s of results.scenarios) {
    const starved = starvationNote(s);
    if (starved) lines.push(`STARVED           ${terminalSafe(s.name)}: ${terminalSafe(starved)}`);
    const stretched = stretchedNote(s);
    if (stretched) lines.push(`STRETCHED WAITS   ${terminalSafe(s.name)}: ${terminalSafe(stretched)}`);
  }
  for (const s of results.scenarios.filter((x) => x.status !== 'complete')) {
    lines.push(`${s.status.toUpperCase().padEnd(18)}${terminalSafe(s.name)}: ${terminalSafe(s.error ?? 'no reason recorded')}`);
  }
  for (const s of results.sim ?? []) {
    const opts = Object.entries(s.options).map(([k, v]) => `${k}=${v}`).join(' ');
    const what = s.verdicts.invalid > 0 ? `${s.verdicts.invalid} INVALID` : s.verdicts.unknown > 0 ? `${s.verdicts.unknown} undecided` : 'all valid';
    lines.push(`SIM               ${terminalSafe(algorithmLabel(s.algo))}${opts ? ` (${terminalSafe(opts)})` : ''}, ${s.workload}: ${s.seeds} seeds, ${s.simSeconds} simulated s: ${what}`);
  }

  const all = results.scenarios.flatMap((s) => s.checks.filter((v) => verdictStatus(v, s) !== 'informational'));
  const validity = combineValidity(all);
  const passed = all.filter((v) => v.valid === true).length;
  const verdict =
    validity === false ? `${violations.length} safety violation${violations.length === 1 ? '' : 's'}` : validity === 'unknown' ? 'no violation found, but not every check could decide' : 'every check passed';
  lines.push(
    `${verdict}: ${passed} passed, ${violations.length} violated, ${undecided.length} undecided of ${all.length} check${all.length === 1 ? '' : 's'} in ${results.scenarios.length} scenario${results.scenarios.length === 1 ? '' : 's'}` +
      ` (exit ${exitCodeOf(results)})${results.partial ? '; the run was cut short' : ''}${options.reportPath ? `; report: ${options.reportPath}` : ''}`,
  );
  return lines.join('\n');
}
