/**
 * What a finished run leaves for people and machines: the exit code, and the files next to
 * results.json (report.html, junit.xml) plus the terminal summary.
 */
import type { ResultsFile } from './results.js';
import { EXIT } from './commands/shared.js';

/** A verdict counts unless its checker is informational for that scenario's algorithm. */
export function countedVerdicts(results: ResultsFile) {
  return results.scenarios.flatMap((s) => s.checks.filter((v) => !s.informational.includes(v.checker)).map((v) => ({ scenario: s, verdict: v })));
}

/** 1 on any safety violation (even in a partial run), 70 when the harness could not finish, 2 when a check could not decide, else 0. */
export function exitCodeOf(results: ResultsFile): number {
  const verdicts = countedVerdicts(results);
  if (verdicts.some((v) => v.verdict.valid === false)) return EXIT.violation;
  if (results.scenarios.some((s) => s.status !== 'complete')) return EXIT.internal;
  if (verdicts.some((v) => v.verdict.valid === 'unknown')) return EXIT.unknown;
  return EXIT.ok;
}

export async function publishOutputs(results: ResultsFile, dir: string): Promise<void> {
  for (const s of results.scenarios) {
    process.stderr.write(
      `${s.name}: ${s.status}, ${s.throughput} ok ops/s, p50 ${s.latency.overall.p50} ms, p99 ${s.latency.overall.p99} ms; ` +
        s.checks.map((v) => `${v.checker} ${v.valid === true ? 'valid' : v.valid === false ? 'INVALID' : 'unknown'}`).join(', ') +
        (s.error ? `\n  ${s.error}` : '') +
        '\n',
    );
  }
  process.stderr.write(`results: ${dir}/results.json\n`);
}
