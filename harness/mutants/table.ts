/** The tables `npm run mutants` prints: one line per mutant, or per unmutated control configuration. */
import Table from 'cli-table3';
import { fmtMs, MISSING } from '../../reports/format.js';
import { terminalSafe } from '../../reports/terminal.js';

export interface MutantResult {
  name: string;
  algorithm: string;
  layer: 'core' | 'runtime';
  class: string;
  sim: string[];
  status: 'caught' | 'missed' | 'error' | 'interrupted';
  /** The lowest failing seed (seeds start at 1, so it is also how many seeds it took). Deterministic. */
  firstFailingSeed: number | null;
  seedsRun: number;
  /** Wall time of the sweep up to the stop (at the first failing seed, or the budget). */
  wallMs: number | null;
  buildMs: number | null;
  failed: string[];
  /** First line of the first failing seed's verdicts, or why the hunt could not run. */
  note: string | null;
  undecided: number;
  /** Seeds the mutant failed that fail on the unmutated tree too: not credited to the mutant. */
  confounded: number[];
}

export interface ControlResult {
  algorithm: string;
  sim: string[];
  mutants: string[];
  seeds: number;
  invalid: number;
  unknown: number;
  wallMs: number | null;
  failing: { seed: number; verdict: string; failed: string[]; summary: string }[];
  problem: string | null;
}

const short = (text: string, n: number) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

export function mutantTable(results: readonly MutantResult[]): string {
  const table = new Table({
    head: ['mutant', 'algorithm', 'class', 'caught', 'first failing seed', 'seeds run', 'time to stop', 'failed checkers'],
    style: { head: [], border: [], compact: true },
    colAligns: ['left', 'left', 'left', 'left', 'right', 'right', 'right', 'left'],
  });
  for (const r of results) {
    const caught = r.status === 'caught' ? 'yes' : r.status === 'missed' ? 'NO' : r.status;
    const confounded = r.confounded.length > 0 ? `; not counted, also fail unmutated: seed ${r.confounded.join(', ')}` : '';
    const detail = (r.status === 'caught' ? r.failed.join(', ') : r.note && r.confounded.length === 0 ? short(r.note, 60) : r.undecided > 0 ? `${r.undecided} undecided seed(s)` : '') + confounded;
    table.push([
      terminalSafe(r.name),
      r.layer === 'runtime' ? `${r.algorithm} (runtime)` : r.algorithm,
      r.class,
      caught,
      r.firstFailingSeed === null ? MISSING : String(r.firstFailingSeed),
      String(r.seedsRun),
      fmtMs(r.wallMs),
      terminalSafe(detail),
    ]);
  }
  return table.toString();
}

export function controlTable(results: readonly ControlResult[]): string {
  const table = new Table({
    head: ['algorithm', 'flags', 'hunts', 'seeds', 'invalid', 'undecided', 'time', 'failing seeds'],
    style: { head: [], border: [], compact: true },
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'left'],
  });
  for (const r of results) {
    const failing = r.problem ?? r.failing.map((f) => `${f.seed} ${f.verdict} (${f.failed.join(', ') || short(f.summary, 40)})`).join('; ');
    table.push([r.algorithm, terminalSafe(r.sim.join(' ')), String(r.mutants.length), String(r.seeds), String(r.invalid), String(r.unknown), fmtMs(r.wallMs), terminalSafe(short(failing, 70))]);
  }
  return table.toString();
}
