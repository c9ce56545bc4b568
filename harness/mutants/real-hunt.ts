/**
 * The real-process hunt of `npm run mutants -- --real` (docs/mutants.md, "Real processes"):
 * instead of `parley sim`, repeated `parley run` chaos runs of the mutated copy, seeds 1,
 * 2, 3, ... until one exits 1 (a violation) or the wall budget is spent. A real run is not
 * bit-reproducible (the OS schedules the processes, the network and the disk), so a seed
 * names a fault schedule and a workload, not a run: a failing seed run again on the
 * unmutated tree is a sanity check that the same schedule does not break correct code,
 * not a proof that it cannot.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parseDuration } from '../../contracts/scenario.js';
import { realDurationFlag, realRunArgs } from './real-flags.js';

export type RealVerdict = 'valid' | 'violation' | 'undecided' | 'harness-failure';

export interface RealRun {
  seed: number;
  /** `parley run`'s exit code (null when it was killed). */
  exitCode: number | null;
  verdict: RealVerdict;
  wallMs: number;
  /** The checkers that said invalid (informational ones left out). */
  failed: string[];
  /** First line of the first failed (or undecided) check, or why the run could not finish. */
  note: string | null;
  /** The run's folder (results.json, and for a run that did not pass, history, logs and data). */
  out: string;
  interrupted: boolean;
}

export interface RealRunOptions {
  /** The tree whose bin/parley.js runs (built). */
  root: string;
  algorithm: string;
  flags: readonly string[];
  seed: number;
  out: string;
  signal?: AbortSignal;
}

/**
 * How long a run may take before it counts as hung: its load many times over, and never
 * less than 10 minutes (a run's own waits stretch up to 8 times on a starved machine).
 */
export function hangMs(flags: readonly string[]): number {
  const load = parseDuration(realDurationFlag(flags) ?? '20s') ?? 20_000;
  return Math.max(600_000, 20 * load);
}

interface Check {
  checker: string;
  valid: boolean | 'unknown';
  summary?: string;
}

function readChecks(file: string): { checks: Check[]; informational: string[]; error: string | null } | null {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as { scenarios?: { checks?: Check[]; informational?: string[]; error?: string }[] };
    const s = r.scenarios?.[0];
    return { checks: s?.checks ?? [], informational: s?.informational ?? [], error: s?.error ?? null };
  } catch {
    return null;
  }
}

/** A passing run keeps only its results.json and scenario: a history and the nodes' data are megabytes each. */
function prunePassing(out: string): void {
  if (!fs.existsSync(out)) return;
  for (const entry of fs.readdirSync(out)) {
    if (entry !== 'results.json' && entry !== 'scenario.json') fs.rmSync(path.join(out, entry), { recursive: true, force: true });
  }
}

/**
 * One `parley run` from `root`. On cancel it gets SIGTERM (it stops its cluster and writes
 * what it measured), SIGKILL 30 s later if it is still there; its nodes end with it (each
 * parley node exits when the harness's end of its stdin pipe closes).
 */
export async function runReal(o: RealRunOptions): Promise<RealRun> {
  const started = Date.now();
  const timeout = hangMs(o.flags);
  const r = await execa(process.execPath, [path.join(o.root, 'bin', 'parley.js'), ...realRunArgs(o)], {
    cwd: o.root,
    reject: false,
    all: true,
    timeout,
    forceKillAfterDelay: 30_000,
    ...(o.signal && { cancelSignal: o.signal }),
  });
  const wallMs = Date.now() - started;
  const base = { seed: o.seed, exitCode: r.exitCode ?? null, wallMs, out: o.out, interrupted: r.isCanceled === true };
  const results = readChecks(path.join(o.out, 'results.json'));
  const counted = (results?.checks ?? []).filter((c) => !results!.informational.includes(c.checker));
  const failed = counted.filter((c) => c.valid === false);
  const undecided = counted.filter((c) => c.valid === 'unknown');
  const firstLine = (c: Check | undefined) => (c ? `${c.checker}: ${(c.summary ?? '').split('\n')[0]}` : null);
  const tail = (r.all ?? '').split('\n').filter((l) => l.trim() !== '').slice(-2).join(' | ');
  if (r.exitCode === 0) {
    prunePassing(o.out);
    return { ...base, verdict: 'valid', failed: [], note: null };
  }
  if (r.exitCode === 1) return { ...base, verdict: 'violation', failed: failed.map((c) => c.checker), note: firstLine(failed[0]) };
  if (r.exitCode === 2) return { ...base, verdict: 'undecided', failed: [], note: firstLine(undecided[0]) };
  const why = r.timedOut
    ? `did not finish within ${Math.round(timeout / 1000)} s and was killed`
    : r.isCanceled
      ? 'interrupted'
      : `exited ${r.exitCode ?? r.signal}${results?.error ? `: ${results.error.split('\n')[0]}` : tail ? `: ${tail}` : ''}`;
  return { ...base, verdict: 'harness-failure', failed: [], note: why };
}

export interface RealHuntOptions {
  /** The built, mutated copy. */
  copyDir: string;
  /** The unmutated tree (built) that failing seeds are confirmed on. */
  unmutatedRoot: string;
  algorithm: string;
  flags: readonly string[];
  timeMs: number;
  /** This mutant's folder under the results folder. */
  out: string;
  signal: AbortSignal;
  say?: (line: string) => void;
}

export interface RealHunt {
  status: 'caught' | 'missed' | 'interrupted';
  runs: RealRun[];
  /** Runs of failing seeds on the unmutated tree. */
  unmutatedRuns: RealRun[];
  /** Sum of the mutant's runs' wall times (confirmation runs excluded). */
  wallMs: number;
  firstFailingSeed: number | null;
  failed: string[];
  note: string | null;
  confounded: number[];
}

const clean = (r: RealRun) => r.verdict === 'valid' || r.verdict === 'undecided';

/**
 * Seeds 1, 2, 3, ... of the mutated copy while the budget is not spent (so the last run may
 * end past it). A violation counts once the same seed and flags show no violation on the
 * unmutated tree; because a real run does not repeat exactly, an unmutated run that fails
 * (or cannot finish) is run once more, and the seed is confounded only if that one fails too.
 */
export async function huntReal(o: RealHuntOptions): Promise<RealHunt> {
  const hunt: RealHunt = { status: 'missed', runs: [], unmutatedRuns: [], wallMs: 0, firstFailingSeed: null, failed: [], note: null, confounded: [] };
  const say = o.say ?? (() => undefined);
  for (let seed = 1; hunt.wallMs < o.timeMs; seed++) {
    if (o.signal.aborted) return { ...hunt, status: 'interrupted' };
    const run = await runReal({ root: o.copyDir, algorithm: o.algorithm, flags: o.flags, seed, out: path.join(o.out, `seed-${seed}`), signal: o.signal });
    if (run.interrupted) return { ...hunt, status: 'interrupted' };
    hunt.runs.push(run);
    hunt.wallMs += run.wallMs;
    say(`  seed ${seed}: ${run.verdict} (exit ${run.exitCode ?? 'killed'}) in ${(run.wallMs / 1000).toFixed(1)} s${run.note ? `; ${run.note.slice(0, 160)}` : ''}`);
    if (run.verdict !== 'violation') continue;
    const tries: RealRun[] = [];
    for (let attempt = 1; attempt <= 2; attempt++) {
      const suffix = attempt === 1 ? '' : `-${attempt}`;
      const u = await runReal({ root: o.unmutatedRoot, algorithm: o.algorithm, flags: o.flags, seed, out: path.join(o.out, `unmutated-seed-${seed}${suffix}`), signal: o.signal });
      if (u.interrupted) return { ...hunt, status: 'interrupted' };
      tries.push(u);
      hunt.unmutatedRuns.push(u);
      say(`  seed ${seed} unmutated: ${u.verdict} (exit ${u.exitCode ?? 'killed'})${u.note ? `; ${u.note.slice(0, 160)}` : ''}`);
      if (clean(u)) break;
    }
    if (clean(tries.at(-1)!)) {
      const once = tries.length > 1 ? `; the unmutated tree also failed this seed once of ${tries.length} runs (${tries[0]!.verdict}${tries[0]!.failed.length ? `: ${tries[0]!.failed.join(', ')}` : ''}), look at ${tries[0]!.out}` : '';
      return { ...hunt, status: 'caught', firstFailingSeed: seed, failed: run.failed, note: `${run.note ?? ''}${once}` || null };
    }
    hunt.confounded.push(seed);
  }
  return { ...hunt, note: hunt.confounded.length > 0 ? `seed(s) ${hunt.confounded.join(', ')} also fail without the mutant` : null };
}

export interface RealControlRun {
  runs: RealRun[];
  wallMs: number;
  interrupted: boolean;
}

/** `count` runs of one configuration on the unmutated tree, seeds 1..count, every one run (no stop at a failure). */
export async function controlReal(o: { root: string; algorithm: string; flags: readonly string[]; count: number; out: string; signal: AbortSignal; say?: (line: string) => void }): Promise<RealControlRun> {
  const runs: RealRun[] = [];
  let wallMs = 0;
  for (let seed = 1; seed <= o.count; seed++) {
    if (o.signal.aborted) return { runs, wallMs, interrupted: true };
    const run = await runReal({ root: o.root, algorithm: o.algorithm, flags: o.flags, seed, out: path.join(o.out, `seed-${seed}`), signal: o.signal });
    if (run.interrupted) return { runs, wallMs, interrupted: true };
    runs.push(run);
    wallMs += run.wallMs;
    o.say?.(`  seed ${seed}: ${run.verdict} (exit ${run.exitCode ?? 'killed'}) in ${(run.wallMs / 1000).toFixed(1)} s${run.note ? `; ${run.note.slice(0, 160)}` : ''}`);
  }
  return { runs, wallMs, interrupted: false };
}
