/**
 * One hunt: `parley sim` on a tree (a mutated copy, or the unmutated original for the
 * control), with a catalog entry's flags and a budget, read back from the sweep's
 * summary.json. Caught means the sweep found an invalid seed; the first one's number is
 * deterministic (a seed is a complete run), its wall time is not.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

export type Budget = { timeMs: number } | { seeds: number };

export interface SweepSummary {
  seeds: number;
  verdicts: { valid: number; invalid: number; unknown: number };
  wallMs: number;
  stoppedBy?: string;
  failing: { seed: number; verdict: string; failed: string[]; summaries: string[] }[];
  errors?: { seed: number; message: string }[];
}

export interface SimRun {
  /** `parley sim`'s exit code (null when it was killed). */
  exitCode: number | null;
  /** The sweep's summary, when it wrote one. */
  summary: SweepSummary | null;
  /** What went wrong when there is no summary, or the sweep had harness errors. */
  problem: string | null;
  /** Wall time of the whole process, build excluded. */
  processMs: number;
  interrupted: boolean;
}

export interface SimRunOptions {
  /** The tree whose bin/parley.js runs (built). */
  root: string;
  algorithm: string;
  sim: readonly string[];
  budget: Budget;
  /** The first seed (default 1). */
  first?: number;
  /** Run every seed of the budget even after a failing one (the control). */
  keepGoing?: boolean;
  workers?: number;
  out: string;
  signal?: AbortSignal;
}

/** Beyond the budget, how long seeds in flight and the summary may take before the run counts as hung. */
const GRACE_MS = 180_000;

export function simArgs(o: Pick<SimRunOptions, 'algorithm' | 'sim' | 'budget' | 'first' | 'keepGoing' | 'workers' | 'out'>): string[] {
  const budget = 'timeMs' in o.budget ? ['--time', `${o.budget.timeMs}ms`] : ['--seeds', String(o.budget.seeds)];
  return [
    'sim', '--algo', o.algorithm, ...o.sim, ...budget,
    ...(o.first !== undefined ? ['--seed', String(o.first)] : []),
    ...(o.keepGoing ? ['--keep-going'] : []),
    ...(o.workers !== undefined ? ['--workers', String(o.workers)] : []),
    '--no-shrink', '--quiet', '--out', o.out,
  ];
}

export async function runSim(o: SimRunOptions): Promise<SimRun> {
  const started = Date.now();
  const args = simArgs(o);
  const hangMs = ('timeMs' in o.budget ? o.budget.timeMs : 0) + GRACE_MS;
  const r = await execa(process.execPath, [path.join(o.root, 'bin', 'parley.js'), ...args], {
    cwd: o.root,
    reject: false,
    all: true,
    forceKillAfterDelay: 5000,
    ...('timeMs' in o.budget && { timeout: hangMs }),
    ...(o.signal && { cancelSignal: o.signal }),
  });
  const processMs = Date.now() - started;
  const file = path.join(o.out, 'summary.json');
  let summary: SweepSummary | null = null;
  let problem: string | null = null;
  if (fs.existsSync(file)) summary = JSON.parse(fs.readFileSync(file, 'utf8')) as SweepSummary;
  const tail = (r.all ?? '').split('\n').filter((l) => l.trim() !== '').slice(-3).join(' | ');
  if (r.timedOut) problem = `parley sim did not finish within ${Math.round(hangMs / 1000)} s and was killed`;
  else if (!summary) problem = `parley sim exited ${r.exitCode ?? r.signal} without a summary: ${tail}`;
  else if (summary.errors && summary.errors.length > 0) problem = `harness error on seed ${summary.errors[0]!.seed}: ${summary.errors[0]!.message.split('\n')[0]}`;
  return { exitCode: r.exitCode ?? null, summary, problem, processMs, interrupted: r.isCanceled === true };
}
