/** The tables `npm run mutants` prints: one line per mutant, or per unmutated control configuration. */
import Table from 'cli-table3';
import { fmtMs, MISSING } from '../../reports/format.js';
import { terminalSafe } from '../../reports/terminal.js';
import type { RealRun } from './real-hunt.js';

export interface MutantResult {
  name: string;
  algorithm: string;
  layer: 'core' | 'runtime';
  class: string;
  sim: string[];
  /** `--real`: the `parley run` flags it was hunted with (the runner adds --algo, --seed, --out, --quiet). */
  real?: string[];
  status: 'caught' | 'missed' | 'error' | 'interrupted';
  /** The lowest failing seed (seeds start at 1, so it is also how many seeds it took). Deterministic in sim, not in a real run. */
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
  /** `--real`: runs that exited 70 (a harness failure: not caught, not a pass). */
  harnessFailures?: number;
  /** `--real`: every run of the mutant, and the confirmation runs of its failing seeds on the unmutated tree. */
  runs?: RealRun[];
  unmutatedRuns?: RealRun[];
}

export interface ControlResult {
  algorithm: string;
  /** The flags of the configuration: `parley sim`'s, or with `--real` the `parley run` flags (then `sim` is absent). */
  sim?: string[];
  real?: string[];
  mutants: string[];
  seeds: number;
  invalid: number;
  unknown: number;
  wallMs: number | null;
  failing: { seed: number; verdict: string; failed: string[]; summary: string }[];
  problem: string | null;
  /** `--real`: runs that exited 70. */
  harnessFailures?: number;
}

const short = (text: string, n: number) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

export function mutantTable(results: readonly MutantResult[], mode: 'sim' | 'real' = 'sim'): string {
  const table = new Table({
    head: ['mutant', 'algorithm', 'class', 'caught', 'first failing seed', mode === 'real' ? 'runs' : 'seeds run', 'time to stop', 'failed checkers'],
    style: { head: [], border: [], compact: true },
    colAligns: ['left', 'left', 'left', 'left', 'right', 'right', 'right', 'left'],
  });
  for (const r of results) {
    const caught = r.status === 'caught' ? 'yes' : r.status === 'missed' ? 'NO' : r.status;
    const confounded = r.confounded.length > 0 ? `; not counted, also fail unmutated: seed ${r.confounded.join(', ')}` : '';
    const harness = r.harnessFailures ? `${r.harnessFailures} exited 70` : '';
    const missedDetail = [r.undecided > 0 ? `${r.undecided} undecided` : '', harness].filter((x) => x !== '').join(', ');
    const detail = (r.status === 'caught' ? [r.failed.join(', '), missedDetail].filter((x) => x !== '').join('; ') : r.note && r.confounded.length === 0 ? short(r.note, 60) : missedDetail) + confounded;
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

export function controlTable(results: readonly ControlResult[], mode: 'sim' | 'real' = 'sim'): string {
  const table = new Table({
    head: ['algorithm', 'flags', 'hunts', mode === 'real' ? 'runs' : 'seeds', mode === 'real' ? 'violations' : 'invalid', 'undecided', 'time', 'failing seeds'],
    style: { head: [], border: [], compact: true },
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'left'],
  });
  for (const r of results) {
    const failing = r.problem ?? r.failing.map((f) => `${f.seed} ${f.verdict} (${f.failed.join(', ') || short(f.summary, 40)})`).join('; ');
    const unknown = r.harnessFailures ? `${r.unknown} (+${r.harnessFailures} exited 70)` : String(r.unknown);
    table.push([r.algorithm, terminalSafe((r.real ?? r.sim ?? []).join(' ')), String(r.mutants.length), String(r.seeds), String(r.invalid), unknown, fmtMs(r.wallMs), terminalSafe(short(failing, 70))]);
  }
  return table.toString();
}
