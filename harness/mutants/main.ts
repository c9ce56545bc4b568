/**
 * `npm run mutants`: the sensitivity check of `parley sim` (docs/mutants.md). For each seeded
 * protocol bug in test/mutants: copy the repository, apply the patch, build the copy, hunt
 * the bug with `parley sim` for a fixed wall budget, and record whether a seed failed, which
 * seed first, and how long it took. `--control N` instead runs N seeds of the unmutated
 * cores with each configuration the mutants are hunted with: a checker that flags correct
 * code would make every "caught" above worthless. `--real` hunts with real processes
 * instead: repeated `parley run` chaos runs of the mutated copy (harness/mutants/real-hunt.ts).
 *
 *   npm run mutants [-- --only NAME,...] [--time 60s] [--workers N] [--out DIR]
 *   npm run mutants -- --control 1000 [--only raft]
 *   npm run mutants -- --real [--time 3m] [--run-duration 20s] [--control N]
 *
 * Copies are built one at a time (a build takes a core for ~10 s; a sweep takes all of
 * them). Exit 0 only when every mutant was caught (control: no invalid seed); 1 a mutant
 * escaped (control: a violation on correct code); 2 control seeds undecided; 64 bad flags
 * or catalog; 70 a patch, build or sweep failed, or Ctrl-C.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { UsageError } from '../../nodes/common/errors.js';
import { EXIT } from '../../contracts/exit-codes.js';
import { describeMachine, machineInfo } from '../machine.js';
import { PACKAGE_ROOT } from '../paths.js';
import { parseDuration } from '../../contracts/scenario.js';
import { huntConfigs, loadCatalog, realHuntConfigs, selectMutants, type LoadedCatalog, type Mutant } from './catalog.js';
import { applyPatch, buildCopy, copyRepository, type MutantCopy } from './copy.js';
import { runSim } from './hunt.js';
import { REAL_DEFAULTS, realFlags } from './real-flags.js';
import { controlReal, huntReal } from './real-hunt.js';
import { controlTable, mutantTable, type ControlResult, type MutantResult } from './table.js';

export const RESULTS_SCHEMA = 'parley.mutants-results/1';

export interface Flags {
  only: string[];
  time?: string;
  workers?: string;
  control?: string;
  out?: string;
  real?: boolean;
  runDuration?: string;
}

export interface Plan {
  mutants: Mutant[];
  timeMs: number;
  workers: number | undefined;
  control: number | null;
  out: string;
  /** Hunt with real processes (`parley run`) instead of `parley sim`. */
  real: boolean;
  /** With `real`: the runner's default `parley run` flags, `--run-duration` applied. */
  realDefaults: string[];
}

export function planFrom(flags: Flags, catalog: LoadedCatalog): Plan {
  const real = flags.real === true;
  if (real && flags.workers !== undefined) throw new UsageError('--workers: parley sim worker threads; --real runs one parley run at a time');
  if (!real && flags.runDuration !== undefined) throw new UsageError('--run-duration: the load of each real run; it needs --real');
  const time = flags.time ?? (real ? '3m' : '60s');
  const timeMs = parseDuration(time);
  if (timeMs === null || timeMs < 1000) throw new UsageError(`--time ${time}: expected a duration of at least 1s, like 60s`);
  const realDefaults = [...REAL_DEFAULTS];
  if (flags.runDuration !== undefined) {
    const ms = parseDuration(flags.runDuration);
    if (ms === null || ms < 1000) throw new UsageError(`--run-duration ${flags.runDuration}: expected a duration of at least 1s, like 20s`);
    realDefaults[realDefaults.indexOf('--duration') + 1] = flags.runDuration;
  }
  const int = (flag: string, text: string | undefined, max: number) => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || n < 1 || n > max) throw new UsageError(`${flag} ${text}: expected a whole number from 1 to ${max}`);
    return n;
  };
  const selectors = flags.only.flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    mutants: selectMutants(catalog, selectors),
    timeMs,
    workers: int('--workers', flags.workers, 256),
    control: int('--control', flags.control, 100_000_000) ?? null,
    out: path.resolve(flags.out ?? path.join('out', `mutants${real ? '-real' : ''}-${stamp}`)),
    real,
    realDefaults,
  };
}

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Build a mutated copy and hunt its bug; the copy is removed whatever happens. A failing seed
 * counts only if the same seed is valid on the unmutated tree: otherwise the failure is not
 * the mutant's (a bug of the simulator, or of the core itself), so the seed is recorded as
 * confounded and the hunt goes on from the next seed with what is left of the budget.
 */
async function huntMutant(m: Mutant, catalog: LoadedCatalog, plan: Plan, signal: AbortSignal, track: (c: MutantCopy | null) => void): Promise<MutantResult> {
  const result: MutantResult = {
    name: m.name, algorithm: m.algorithm, layer: m.layer, class: m.class, sim: m.sim,
    ...(plan.real && { real: realFlags(m, plan.realDefaults) }),
    status: 'error', firstFailingSeed: null, seedsRun: 0, wallMs: null, buildMs: null, failed: [], note: null, undecided: 0, confounded: [],
  };
  const copy = copyRepository(PACKAGE_ROOT, m.name);
  track(copy);
  try {
    const applied = await applyPatch(copy.dir, path.join(catalog.dir, m.patch), { signal });
    if (!applied.ok) return { ...result, note: `the patch does not apply: ${applied.output}` };
    const built = await buildCopy(copy.dir, { signal });
    result.buildMs = built.ms;
    if (signal.aborted) return { ...result, status: 'interrupted' };
    if (!built.ok) return { ...result, note: `the mutated tree does not compile: ${built.output}` };
    return plan.real ? await huntWithRuns(m, copy.dir, result, plan, signal) : await huntWithSim(m, copy.dir, result, plan, signal);
  } finally {
    copy.dispose();
    track(null);
  }
}

/** Real processes: `parley run` chaos runs of the copy until a confirmed violation or the budget (real-hunt.ts). */
async function huntWithRuns(m: Mutant, copyDir: string, result: MutantResult, plan: Plan, signal: AbortSignal): Promise<MutantResult> {
  const hunt = await huntReal({
    copyDir, unmutatedRoot: PACKAGE_ROOT, algorithm: m.algorithm, flags: result.real!, timeMs: plan.timeMs, out: path.join(plan.out, m.name), signal, say,
  });
  return {
    ...result,
    status: hunt.status,
    firstFailingSeed: hunt.firstFailingSeed,
    seedsRun: hunt.runs.length,
    wallMs: hunt.wallMs,
    failed: hunt.failed,
    note: hunt.note,
    undecided: hunt.runs.filter((r) => r.verdict === 'undecided').length,
    harnessFailures: hunt.runs.filter((r) => r.verdict === 'harness-failure').length,
    confounded: hunt.confounded,
    runs: hunt.runs,
    unmutatedRuns: hunt.unmutatedRuns,
  };
}

/** The simulator: `parley sim` sweeps from the next unconfounded seed until an invalid seed or the budget. */
async function huntWithSim(m: Mutant, copyDir: string, result: MutantResult, plan: Plan, signal: AbortSignal): Promise<MutantResult> {
  let first = 1;
  let spent = 0;
  for (let sweep = 1; ; sweep++) {
    const simOut = path.join(copyDir, 'out', `sweep-${sweep}`);
    const run = await runSim({ root: copyDir, algorithm: m.algorithm, sim: m.sim, budget: { timeMs: plan.timeMs - spent }, first, workers: plan.workers, out: simOut, signal });
    if (fs.existsSync(simOut)) fs.cpSync(simOut, path.join(plan.out, m.name, `sweep-${sweep}`), { recursive: true });
    if (run.interrupted) return { ...result, status: 'interrupted' };
    const s = run.summary;
    if (!s) return { ...result, note: run.problem };
    result.seedsRun += s.seeds;
    result.undecided += s.verdicts.unknown;
    spent += s.wallMs;
    result.wallMs = spent;
    const failing = s.failing.filter((f) => f.verdict === 'invalid').sort((a, b) => a.seed - b.seed)[0];
    if (!failing) return { ...result, status: run.problem ? 'error' : 'missed', note: run.problem ?? confoundedNote(result) };
    const unmutated = await runSim({
      root: PACKAGE_ROOT, algorithm: m.algorithm, sim: m.sim, budget: { seeds: 1 }, first: failing.seed, workers: 1,
      out: path.join(plan.out, m.name, `unmutated-seed-${failing.seed}`), signal,
    });
    if (unmutated.interrupted) return { ...result, status: 'interrupted' };
    if (!unmutated.summary) return { ...result, note: `could not run seed ${failing.seed} on the unmutated tree: ${unmutated.problem}` };
    if (unmutated.summary.verdicts.invalid === 0) {
      return { ...result, status: 'caught', firstFailingSeed: failing.seed, failed: failing.failed, note: failing.summaries[0] ?? null };
    }
    result.confounded.push(failing.seed);
    first = failing.seed + 1;
    if (plan.timeMs - spent < 1000) return { ...result, status: 'missed', note: confoundedNote(result) };
  }
}

function confoundedNote(r: MutantResult): string | null {
  return r.confounded.length > 0 ? `seed(s) ${r.confounded.join(', ')} also fail without the mutant` : null;
}

/** The unmutated cores, `count` seeds with every seed run (no stop at a failure). */
async function runControl(configs: ReturnType<typeof huntConfigs>, count: number, plan: Plan, signal: AbortSignal): Promise<ControlResult[]> {
  const results: ControlResult[] = [];
  for (const [i, c] of configs.entries()) {
    if (signal.aborted) break;
    const label = `${c.algorithm} ${c.sim.join(' ')}`;
    say(`[control ${i + 1}/${configs.length}] ${label}: ${count} seeds of the unmutated cores ...`);
    const out = path.join(plan.out, `control-${i + 1}-${c.algorithm}`);
    const run = await runSim({ root: PACKAGE_ROOT, algorithm: c.algorithm, sim: c.sim, budget: { seeds: count }, keepGoing: true, workers: plan.workers, out, signal });
    const s = run.summary;
    const r: ControlResult = {
      algorithm: c.algorithm, sim: c.sim, mutants: c.mutants,
      seeds: s?.seeds ?? 0, invalid: s?.verdicts.invalid ?? 0, unknown: s?.verdicts.unknown ?? 0, wallMs: s?.wallMs ?? null,
      failing: (s?.failing ?? []).map((f) => ({ seed: f.seed, verdict: f.verdict, failed: f.failed, summary: f.summaries[0] ?? '' })),
      problem: run.interrupted ? 'interrupted' : run.problem,
    };
    say(`  ${r.seeds} seeds in ${Math.round((r.wallMs ?? 0) / 1000)} s: ${r.invalid} invalid, ${r.unknown} undecided${r.problem ? `; ${r.problem}` : ''}`);
    results.push(r);
  }
  return results;
}

/** `--real --control`: `count` real runs of the unmutated tree per configuration, every run made. */
async function runRealControl(count: number, plan: Plan, signal: AbortSignal): Promise<ControlResult[]> {
  const configs = realHuntConfigs(plan.mutants, plan.realDefaults);
  const results: ControlResult[] = [];
  for (const [i, c] of configs.entries()) {
    if (signal.aborted) break;
    say(`[control ${i + 1}/${configs.length}] ${c.algorithm} ${c.real.join(' ')}: ${count} real runs of the unmutated tree ...`);
    const run = await controlReal({ root: PACKAGE_ROOT, algorithm: c.algorithm, flags: c.real, count, out: path.join(plan.out, `control-${i + 1}-${c.algorithm}`), signal, say });
    const r: ControlResult = {
      algorithm: c.algorithm, real: c.real, mutants: c.mutants,
      seeds: run.runs.length,
      invalid: run.runs.filter((x) => x.verdict === 'violation').length,
      unknown: run.runs.filter((x) => x.verdict === 'undecided').length,
      harnessFailures: run.runs.filter((x) => x.verdict === 'harness-failure').length,
      wallMs: run.wallMs,
      failing: run.runs.filter((x) => x.verdict !== 'valid').map((x) => ({ seed: x.seed, verdict: x.verdict, failed: x.failed, summary: x.note ?? '' })),
      problem: run.interrupted ? 'interrupted' : null,
    };
    say(`  ${r.seeds} runs in ${Math.round(run.wallMs / 1000)} s: ${r.invalid} violations, ${r.unknown} undecided, ${r.harnessFailures} exited 70`);
    results.push(r);
  }
  return results;
}

function writeResults(plan: Plan, command: string, body: Record<string, unknown>): string {
  fs.mkdirSync(plan.out, { recursive: true });
  const file = path.join(plan.out, 'results.json');
  const mode = plan.real ? { mode: 'real', realDefaults: plan.realDefaults } : { mode: 'sim', workers: plan.workers ?? null };
  fs.writeFileSync(file, `${JSON.stringify({ schema: RESULTS_SCHEMA, machine: machineInfo(), command, ...mode, budgetMs: plan.timeMs, ...body }, null, 1)}\n`);
  return file;
}

export async function mutantsCommand(flags: Flags): Promise<number> {
  const catalog = loadCatalog();
  const plan = planFrom(flags, catalog);
  if (fs.existsSync(path.join(plan.out, 'results.json'))) throw new UsageError(`--out ${plan.out}: already holds results; choose another folder or remove it`);
  const command = ['npm run mutants --', ...process.argv.slice(2)].join(' ').replace(/ --$/, '');
  const controller = new AbortController();
  let current: MutantCopy | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(EXIT.internal);
    say(`mutants: ${sig}: stopping, printing what was measured (press again to stop at once)`);
    controller.abort(sig);
  };
  const cleanup = () => current?.dispose();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', cleanup);
  try {
    say(`machine: ${describeMachine()}`);
    if (plan.control !== null) {
      const results = plan.real ? await runRealControl(plan.control, plan, controller.signal) : await runControl(huntConfigs(plan.mutants), plan.control, plan, controller.signal);
      const file = writeResults(plan, command, { control: results });
      const invalid = results.reduce((n, r) => n + r.invalid, 0);
      const unknown = results.reduce((n, r) => n + r.unknown, 0);
      const failures = results.reduce((n, r) => n + (r.harnessFailures ?? 0), 0);
      process.stdout.write(`${controlTable(results, plan.real ? 'real' : 'sim')}\n`);
      process.stdout.write(`machine: ${describeMachine()}\ncommand: ${command}\n`);
      const what = plan.real ? 'real runs' : 'seeds';
      process.stdout.write(
        `unmutated ${plan.real ? 'tree' : 'cores'}: ${results.reduce((n, r) => n + r.seeds, 0)} ${what} in ${results.length} configuration(s), ${invalid} ${plan.real ? 'violations' : 'invalid'}, ${unknown} undecided` +
          `${plan.real ? `, ${failures} exited 70` : ''}; results: ${file}\n`,
      );
      if (controller.signal.aborted || results.some((r) => r.problem)) return EXIT.internal;
      return invalid > 0 ? EXIT.violation : unknown > 0 || failures > 0 ? EXIT.unknown : EXIT.ok;
    }

    const results: MutantResult[] = [];
    for (const [i, m] of plan.mutants.entries()) {
      if (controller.signal.aborted) break;
      const hunt = plan.real ? `real runs: parley run --algo ${m.algorithm} ${realFlags(m, plan.realDefaults).join(' ')} --seed 1, 2, ...` : `parley sim ${m.sim.join(' ')}`;
      say(`[${i + 1}/${plan.mutants.length}] ${m.name} (${m.algorithm}, ${m.class}): patch, build, then ${plan.timeMs / 1000} s of ${hunt} ...`);
      const r = await huntMutant(m, catalog, plan, controller.signal, (c) => (current = c));
      results.push(r);
      const time = r.wallMs === null ? '' : ` after ${(r.wallMs / 1000).toFixed(1)} s`;
      const also = r.confounded.length > 0 ? `; ${confoundedNote(r)}` : '';
      const seeds = plan.real ? 'runs' : 'seeds';
      say(r.status === 'caught' ? `  caught at seed ${r.firstFailingSeed}${time} (${r.failed.join(', ')}); build ${((r.buildMs ?? 0) / 1000).toFixed(1)} s${also}` : `  ${r.status.toUpperCase()}: ${r.seedsRun} ${seeds}${time}${r.note ? `; ${r.note}` : ''}`);
    }
    const file = writeResults(plan, command, { mutants: results });
    const caught = results.filter((r) => r.status === 'caught');
    const escaped = results.filter((r) => r.status !== 'caught');
    process.stdout.write(`${mutantTable(results, plan.real ? 'real' : 'sim')}\n`);
    process.stdout.write(`machine: ${describeMachine()}\ncommand: ${command}\n`);
    process.stdout.write(
      `${caught.length} of ${plan.mutants.length} mutants caught within ${plan.timeMs / 1000} s of ${plan.real ? 'real chaos runs' : 'parley sim'} each` +
        `${escaped.length > 0 ? `; not caught: ${escaped.map((r) => `${r.name} (${r.status})`).join(', ')}` : ''}; results: ${file}\n`,
    );
    if (controller.signal.aborted || results.some((r) => r.status === 'error' || r.status === 'interrupted')) return EXIT.internal;
    return escaped.length > 0 ? EXIT.violation : EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', cleanup);
  }
}

export async function main(argv: string[]): Promise<number> {
  const cli = new Command('mutants')
    .description('the sensitivity check of parley sim (or, with --real, of real chaos runs): seeded protocol bugs (test/mutants), each built in a copy and hunted for a fixed budget (docs/mutants.md)')
    .option('--only <names>', 'mutants to run: names, algorithms (raft, paxos, twopc, gossip) or layers (core, runtime), comma-separated (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--time <time>', 'wall budget per mutant (default 60s; with --real 3m)')
    .option('--workers <n>', 'worker threads of each parley sim (default: one per core; not with --real)')
    .option('--real', 'hunt with real processes: parley run chaos runs of the mutated copy, seeds 1, 2, ... until a violation or the budget')
    .option('--run-duration <time>', 'with --real: the measured load of each run, unless the mutant sets --duration (default 20s)')
    .option('--control <n>', 'instead of the mutants: n seeds (with --real, n real runs) of the unmutated tree per configuration the mutants use')
    .option('--out <dir>', 'results folder (default out/mutants-<time>)')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.split('\n')[0]!.replace(/^error: /, 'mutants: ') + '\n') });
  let code: number = EXIT.ok;
  cli.action(async (flags: Flags) => {
    code = await mutantsCommand(flags);
  });
  try {
    await cli.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (err instanceof UsageError) {
      say(`mutants: ${err.message}`);
      return EXIT.usage;
    }
    throw err;
  }
  return code;
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      say(`mutants: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exitCode = EXIT.internal;
    },
  );
}
