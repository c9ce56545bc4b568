/**
 * `parley sim`: the real cores, host and log in a seeded simulated cluster (docs/sim.md).
 *
 *   parley sim --algo raft [--seeds 1000 | --time 60s] [--faults chaos] [--workers N]
 *   parley sim --algo raft --seed 17              one case, written to --out
 *   parley sim --replay out/sim/seed-17/case.json the same case again, bit for bit
 *
 * A sweep runs seeds on worker threads until the count or the time budget is spent, or a
 * seed fails (unless --keep-going). A failing seed is run again with its history captured
 * and written as `parley run` writes a run (history, results.json, report.html) plus
 * case.json, then shrunk to a smaller case that still fails, written beside it; each comes
 * with the one command that replays it. Ctrl-C stops the workers and writes what was found.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../nodes/common/errors.js';
import { loadAlgorithm } from '../../nodes/registry.js';
import { nodeOptions } from '../../nodes/main.js';
import { workloadByName } from '../../workloads/registry.js';
import { EXIT } from '../../contracts/exit-codes.js';
import { describeMachine, machineInfo } from '../machine.js';
import { displayPath, readConfigFile, scenarioFromFlags, abortOnSignals, type RunFlags } from '../run-command.js';
import { parseDuration, parseScenario, faultSchema } from '../../contracts/scenario.js';
import { parseDelayModel, describeDelay } from './engine/delay.js';
import { SIM_NEMESES, type SimNemesis } from './nemesis.js';
import { caseFor, simAlgorithm, type CaseTemplate } from './case-template.js';
import { runCase, type SimCase, type SimModules } from './run-case.js';
import { shrink } from './shrink.js';
import { SIM_CASE_SCHEMA, writeCase, type CaseFile } from './outputs.js';
import { sweep, type SweepOutcome } from './pool.js';
import type { SeedReport } from './worker.js';

export interface SimFlags extends Omit<RunFlags, 'faults' | 'toxiproxy' | 'maxThroughput'> {
  seeds?: string;
  time?: string;
  faults?: string;
  faultGap?: string;
  workers?: string;
  net?: string;
  sync?: string;
  clientTimeout?: string;
  shrink?: boolean;
  keepGoing?: boolean;
  knobs?: string;
}

/** Simulated defaults: shorter and denser than a real run, since simulated time is cheap. */
const SIM_DEFAULTS = { duration: '10s', rate: '100', clients: '10', warmup: '500ms', checkBudget: '10s' };
export const DEFAULT_SYNC = '0.05ms-2ms';

function int(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw new UsageError(`${flag} ${text}: expected a whole number from ${min} to ${max}`);
  return n;
}

/** The sweep's recipe from flags (or a scenario file), validated like `parley run` validates. */
export function templateFromFlags(flags: SimFlags): CaseTemplate {
  const runFlags: RunFlags = { ...flags, faults: undefined, replay: undefined, set: flags.set ?? [] };
  if (!flags.scenario) {
    runFlags.duration ??= SIM_DEFAULTS.duration;
    runFlags.warmup ??= SIM_DEFAULTS.warmup;
    if (flags.clients === undefined && flags.rate === undefined) runFlags.rate = SIM_DEFAULTS.rate;
    runFlags.clients ??= SIM_DEFAULTS.clients;
    runFlags.checkBudget ??= SIM_DEFAULTS.checkBudget;
  }
  const { scenario: parsed } = scenarioFromFlags(runFlags);
  simAlgorithm(parsed);
  let scenario = parsed;
  if (flags.clientTimeout !== undefined) {
    const ms = parseDuration(flags.clientTimeout);
    if (ms === null || ms < 1) throw new UsageError(`--client-timeout ${flags.clientTimeout}: expected a duration like 3s`);
    scenario = { ...scenario, clientTimeout: ms };
  }
  let nemesis: SimNemesis[] | null = ['chaos'];
  const faultsText = flags.faults?.trim();
  if (faultsText === 'none') {
    nemesis = null;
    scenario = { ...scenario, faults: [], nemesis: undefined };
  } else if (faultsText !== undefined && fs.existsSync(faultsText)) {
    const raw = readConfigFile(faultsText, '--faults');
    const list = Array.isArray(raw) ? raw : (raw as { faults?: unknown } | null)?.faults;
    if (!Array.isArray(list)) throw new UsageError(`--faults ${faultsText}: expected a list of faults (or {faults: [...]})`);
    scenario = parseScenario({ ...scenario, nemesis: undefined, faults: list }, faultsText);
    simAlgorithm(scenario);
    nemesis = null;
  } else if (faultsText !== undefined) {
    const names = faultsText.split(',').map((x) => x.trim());
    for (const n of names) if (!(SIM_NEMESES as readonly string[]).includes(n)) throw new UsageError(`--faults ${n}: expected a file, "none", or nemeses among ${SIM_NEMESES.join(', ')}`);
    nemesis = names as SimNemesis[];
  } else if (scenario.faults.length > 0) nemesis = null; // a scenario file's own schedule
  else if (scenario.nemesis) nemesis = scenario.nemesis.names.filter((n) => (SIM_NEMESES as readonly string[]).includes(n)) as SimNemesis[];
  scenario = { ...scenario, nemesis: undefined };
  if (nemesis) scenario = { ...scenario, faults: [] };
  const faultGapMs = flags.faultGap === undefined ? 1000 : parseDuration(flags.faultGap);
  if (faultGapMs === null || faultGapMs < 10) throw new UsageError(`--fault-gap ${flags.faultGap}: expected a duration of at least 10ms`);
  const net = parseDelayModel(flags.net ?? 'calibrated', '--net');
  const sync = parseDelayModel(flags.sync === undefined ? `uniform:${DEFAULT_SYNC}` : flags.sync, '--sync');
  if (flags.knobs !== undefined && flags.knobs !== 'random' && flags.knobs !== 'default') throw new UsageError(`--knobs ${flags.knobs}: expected random or default`);
  return {
    base: { scenario, net, sync },
    nemesis,
    faultGapMs,
    knobs: flags.knobs !== 'default',
    hotKeys: flags.keys === undefined && !flags.scenario,
    denseFaults: flags.faultGap === undefined,
    independentKeys: flags.opsPerKey === undefined && !flags.scenario,
  };
}

interface SweepPlan {
  first: number;
  count: number | null;
  timeMs: number | null;
  workers: number;
}

function planFromFlags(flags: SimFlags): SweepPlan {
  if (flags.seeds !== undefined && flags.time !== undefined) throw new UsageError('--seeds and --time: give one budget, not both');
  const first = flags.seed === undefined ? 1 : int('--seed', flags.seed, 0, 2 ** 31 - 1);
  let timeMs: number | null = null;
  if (flags.time !== undefined) {
    timeMs = parseDuration(flags.time);
    if (timeMs === null || timeMs <= 0) throw new UsageError(`--time ${flags.time}: expected a duration like 60s or 10m`);
  }
  const count = flags.seeds !== undefined ? int('--seeds', flags.seeds, 1, 100_000_000) : timeMs === null ? 100 : null;
  const workers = flags.workers === undefined ? Math.max(1, os.availableParallelism()) : int('--workers', flags.workers, 1, 256);
  return { first, count, timeMs, workers };
}

/** The command line that replays a written case. */
export function replayCommand(caseFile: string): string {
  return `npx parley sim --replay ${displayPath(caseFile)}`;
}

function readCaseFile(file: string): SimCase {
  const raw = readConfigFile(file, '--replay') as Partial<CaseFile> | null;
  if (!raw || typeof raw !== 'object' || raw.schema !== SIM_CASE_SCHEMA || !raw.case) throw new UsageError(`--replay ${file}: not a parley sim case (expected "schema": "${SIM_CASE_SCHEMA}")`);
  const c = raw.case;
  const scenario = parseScenario(c.scenario, `${file}: case.scenario`);
  simAlgorithm(scenario);
  for (const [i, f] of (c.scenario?.faults ?? []).entries()) {
    const r = faultSchema.safeParse(f);
    if (!r.success) throw new UsageError(`${file}: case.scenario.faults.${i}: ${r.error.issues[0]!.message}`);
  }
  const model = (m: unknown, field: string) => {
    const r = m as { kind?: string } | null;
    if (!r || typeof r !== 'object' || !['constant', 'uniform', 'lognormal'].includes(String(r.kind))) throw new UsageError(`${file}: case.${field}: expected a delay model`);
    return parseDelayModel(describeDelay(r as never), `case.${field}`);
  };
  return { scenario, net: model(c.net, 'net'), sync: model(c.sync, 'sync') };
}

async function modulesFor(c: SimCase): Promise<SimModules> {
  const algorithm = await loadAlgorithm(simAlgorithm(c.scenario));
  nodeOptions(c.scenario.algo, algorithm, c.scenario.options); // a bad --set fails here, before any worker starts
  return { algorithm, workload: await workloadByName(c.scenario.workload.type) };
}

function exitOf(verdicts: readonly string[]): number {
  if (verdicts.includes('invalid')) return EXIT.violation;
  if (verdicts.includes('unknown')) return EXIT.unknown;
  return EXIT.ok;
}

function say(quiet: boolean | undefined, line: string): void {
  if (!quiet) process.stderr.write(`${line}\n`);
}

/** Run one case with its history captured and write it under `dir`; returns its verdict. */
async function writeOne(dir: string, c: SimCase, modules: SimModules): Promise<ReturnType<typeof runCase>> {
  const r = runCase(c, modules, true);
  await writeCase(dir, c, r, modules.workload, replayCommand(path.join(dir, 'case.json')));
  return r;
}

export async function simCommand(flags: SimFlags): Promise<number> {
  const out = path.resolve(flags.out ?? path.join('out', `sim-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  if (flags.replay) {
    const c = readCaseFile(flags.replay);
    const modules = await modulesFor(c);
    const dir = flags.out ? out : path.join(path.dirname(path.resolve(flags.replay)), `replay-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    const r = await writeOne(dir, c, modules);
    process.stdout.write(`${describeCase(c)}\nverdict: ${r.verdict}${r.failed.length ? ` (${r.failed.join(', ')})` : ''}; ${r.ops} operations, ${r.simMs} ms simulated\n`);
    for (const v of r.checks) if (v.valid !== true) process.stdout.write(`  ${v.checker}: ${v.summary}\n`);
    process.stdout.write(`written to ${displayPath(dir)} (report.html, history.jsonl, case.json)\n`);
    return exitOf([r.verdict]);
  }

  const template = templateFromFlags(flags);
  const plan = planFromFlags(flags);
  const modules = await modulesFor(template.base);
  if (fs.existsSync(path.join(out, 'summary.json'))) throw new UsageError(`--out ${out}: already holds a sweep; choose another folder or remove it`);
  fs.mkdirSync(out, { recursive: true });

  // One seed: run it in this thread, write it whatever it finds.
  if (flags.seed !== undefined && flags.seeds === undefined && flags.time === undefined) {
    const c = caseFor(template, plan.first);
    const dir = path.join(out, `seed-${plan.first}`);
    const r = await writeOne(dir, c, modules);
    process.stdout.write(`${describeCase(c)}\nseed ${plan.first}: ${r.verdict}${r.failed.length ? ` (${r.failed.join(', ')})` : ''}; ${r.ops} operations, ${r.faults.filter((f) => f.status === 'done').length} faults, ${r.simMs} ms simulated\n`);
    for (const v of r.checks) if (v.valid !== true && !r.informational.includes(v.checker)) process.stdout.write(`  ${v.checker}: ${v.summary}\n`);
    process.stdout.write(`written to ${displayPath(dir)}; replay: ${replayCommand(path.join(dir, 'case.json'))}\n`);
    return exitOf([r.verdict]);
  }

  say(flags.quiet, `parley sim: ${describeCase(template.base)}; faults: ${template.nemesis ? template.nemesis.join(',') : `${template.base.scenario.faults.length} scheduled`}`);
  say(flags.quiet, `machine: ${describeMachine()}`);
  say(flags.quiet, `seeds from ${plan.first}${plan.count !== null ? `, ${plan.count} of them` : ''}${plan.timeMs !== null ? `, for ${plan.timeMs / 1000} s` : ''}, on ${plan.workers} worker thread(s)`);
  const { signal, dispose } = abortOnSignals();
  const started = Date.now();
  let outcome: SweepOutcome;
  try {
    outcome = await sweep(template, { ...plan, keepGoing: flags.keepGoing === true, signal, onProgress: (p) => say(flags.quiet, p) });
  } finally {
    dispose();
  }
  const wallMs = Date.now() - started;
  const failing = outcome.reports.filter((r) => r.verdict === 'invalid').sort((a, b) => a.seed - b.seed);
  const undecided = outcome.reports.filter((r) => r.verdict === 'unknown').sort((a, b) => a.seed - b.seed);
  const written: { seed: number; dir: string; replay: string; shrunk?: { dir: string; replay: string; steps: string[]; attempts: number } }[] = [];
  for (const f of failing.slice(0, 5)) {
    if (signal.aborted) break;
    const c = caseFor(template, f.seed);
    const dir = path.join(out, `seed-${f.seed}`);
    await writeOne(dir, c, modules);
    const entry: (typeof written)[number] = { seed: f.seed, dir, replay: replayCommand(path.join(dir, 'case.json')) };
    if (flags.shrink !== false) {
      say(flags.quiet, `shrinking seed ${f.seed} (${f.failed.join(', ')}) ...`);
      const drawnOptions = Object.fromEntries(Object.entries(c.scenario.options).filter(([k]) => !(k in template.base.scenario.options)));
      const s = shrink(c, f.failed, modules, { aborted: () => signal.aborted, drawnOptions });
      const sdir = path.join(out, `seed-${f.seed}-shrunk`);
      await writeOne(sdir, s.case, modules);
      entry.shrunk = { dir: sdir, replay: replayCommand(path.join(sdir, 'case.json')), steps: s.steps, attempts: s.attempts };
    }
    written.push(entry);
  }
  const summary = summarize(outcome, wallMs, plan, template, written);
  fs.writeFileSync(path.join(out, 'summary.json'), `${JSON.stringify(summary, null, 1)}\n`);
  printSummary(summary, failing, undecided, out, written);
  if (outcome.errors.length > 0 && failing.length === 0) return EXIT.internal;
  if (outcome.stoppedBy === 'interrupted' && failing.length === 0) return EXIT.internal;
  return exitOf(outcome.reports.map((r) => r.verdict));
}

function describeCase(c: SimCase): string {
  const s = c.scenario;
  const load = s.rate ? `${s.rate} ops/s open loop` : `${s.clients} clients closed loop`;
  const opts = Object.entries(s.options).map(([k, v]) => `${k}=${v}`).join(',');
  return `${s.algo}${opts ? ` (${opts})` : ''}, ${s.nodes} nodes, ${s.workload.type}, ${s.duration / 1000} s of ${load}, net ${describeDelay(c.net)}, sync ${describeDelay(c.sync)}`;
}

function summarize(o: SweepOutcome, wallMs: number, plan: SweepPlan, t: CaseTemplate, written: unknown[]) {
  const simMs = o.reports.reduce((s, r) => s + r.simMs, 0);
  const busyMs = o.reports.reduce((s, r) => s + r.wallMs, 0);
  return {
    schema: 'parley.sim-summary/1',
    machine: machineInfo(),
    command: process.argv.slice(2).join(' '),
    template: t,
    plan,
    stoppedBy: o.stoppedBy,
    seeds: o.reports.length,
    verdicts: { valid: o.reports.filter((r) => r.verdict === 'valid').length, invalid: o.reports.filter((r) => r.verdict === 'invalid').length, unknown: o.reports.filter((r) => r.verdict === 'unknown').length },
    wallMs,
    seedsPerMinute: Math.round((o.reports.length / Math.max(1, wallMs)) * 60_000),
    /** Simulated seconds per second of one worker's time. */
    simSpeedup: Math.round(simMs / Math.max(1, busyMs)),
    meanWallMsPerSeed: Math.round(busyMs / Math.max(1, o.reports.length)),
    operations: o.reports.reduce((s, r) => s + r.ops, 0),
    faults: o.reports.reduce((s, r) => s + r.faults, 0),
    failing: o.reports.filter((r) => r.verdict !== 'valid').map((r) => ({ seed: r.seed, verdict: r.verdict, failed: r.failed, summaries: r.summaries })),
    written,
    errors: o.errors,
  };
}

function printSummary(s: ReturnType<typeof summarize>, failing: SeedReport[], undecided: SeedReport[], out: string, written: { seed: number; replay: string; shrunk?: { replay: string; steps: string[] } }[]): void {
  const lines = [
    `${s.seeds} seeds in ${(s.wallMs / 1000).toFixed(1)} s (${s.seedsPerMinute} seeds/min, ${s.simSpeedup}x real time per worker): ${s.verdicts.valid} valid, ${s.verdicts.invalid} invalid, ${s.verdicts.unknown} undecided${s.stoppedBy === 'interrupted' ? ' (interrupted)' : ''}`,
  ];
  for (const f of failing.slice(0, 10)) lines.push(`  seed ${f.seed} INVALID: ${f.summaries.join(' | ').slice(0, 400)}`);
  for (const u of undecided.slice(0, 5)) lines.push(`  seed ${u.seed} undecided: ${u.summaries.join(' | ').slice(0, 300)}`);
  for (const w of written) {
    lines.push(`  replay seed ${w.seed}: ${w.replay}`);
    if (w.shrunk) lines.push(`  shrunk (${w.shrunk.steps.length} reductions): ${w.shrunk.replay}`);
  }
  for (const e of s.errors) lines.push(`  harness error on seed ${e.seed}: ${e.message.split('\n')[0]}`);
  lines.push(`summary: ${displayPath(path.join(out, 'summary.json'))}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
