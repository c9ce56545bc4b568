/**
 * The simulator's share of a nightly chaos run: a sweep per algorithm, each given an equal
 * part of the budget, on worker threads, with the chaos nemesis and knob exploration. Every
 * failing seed (the first few per algorithm) is written with its history and report, shrunk,
 * and listed with the command that replays it; results.json carries the summary (`sim`) and
 * the report draws it.
 */
import os from 'node:os';
import path from 'node:path';
import { loadAlgorithm, type AlgoName } from '../../nodes/registry.js';
import { workloadByName } from '../../workloads/registry.js';
import type { WorkloadSpec } from '../../workloads/spec.js';
import { templateFromFlags, replayCommand } from './command.js';
import { caseFor } from './case-template.js';
import { runCase } from './run-case.js';
import { shrink } from './shrink.js';
import { sweep } from './pool.js';
import { writeCase } from './outputs.js';
import type { SimSweepSummary } from '../../contracts/results.js';

/** The workload each algorithm is hunted with: the one that checks what it promises. */
export const SIM_WORKLOAD: Record<AlgoName, WorkloadSpec['type']> = { raft: 'kv', paxos: 'kv', twopc: 'bank', gossip: 'kv' };

export interface SimShareOptions {
  algos: readonly AlgoName[];
  budgetMs: number;
  out: string;
  signal: AbortSignal;
  /** Options per algorithm besides the workload (e.g. leaderless Paxos gets its own sweep). */
  variants?: { algo: AlgoName; set: string[] }[];
  log?(line: string): void;
}

/** Run the sweeps; never throws for what a seed finds (that is in the summary). */
export async function simShare(opts: SimShareOptions): Promise<SimSweepSummary[]> {
  const variants = opts.variants ?? opts.algos.map((algo) => ({ algo, set: [] as string[] }));
  const each = Math.max(1000, Math.floor(opts.budgetMs / Math.max(1, variants.length)));
  const out: SimSweepSummary[] = [];
  for (const v of variants) {
    if (opts.signal.aborted) break;
    const template = templateFromFlags({ algo: v.algo, workload: SIM_WORKLOAD[v.algo], nodes: '5', set: v.set, quiet: true });
    const started = Date.now();
    const o = await sweep(template, { first: 1 + Math.floor(Date.now() / 1000) % 1_000_000, count: null, timeMs: each, workers: os.availableParallelism(), keepGoing: true, signal: opts.signal });
    const summary: SimSweepSummary = {
      algo: v.algo,
      workload: SIM_WORKLOAD[v.algo],
      options: template.base.scenario.options,
      seeds: o.reports.length,
      verdicts: { valid: 0, invalid: 0, unknown: 0 },
      wallMs: Date.now() - started,
      simSeconds: Math.round(o.reports.reduce((s, r) => s + r.simMs, 0) / 1000),
      failing: [],
      errors: o.errors.map((e) => `seed ${e.seed}: ${e.message.split('\n')[0]}`),
    };
    for (const r of o.reports) summary.verdicts[r.verdict]++;
    const bad = o.reports.filter((r) => r.verdict !== 'valid').sort((a, b) => a.seed - b.seed);
    const modules = { algorithm: await loadAlgorithm(v.algo), workload: await workloadByName(SIM_WORKLOAD[v.algo]) };
    for (const [i, r] of bad.entries()) {
      const entry: SimSweepSummary['failing'][number] = { seed: r.seed, verdict: r.verdict as 'invalid' | 'unknown', failed: r.failed, summaries: r.summaries };
      // The first three are written and shrunk; the rest are listed with their seed (replayable with --seed).
      if (i < 3 && !opts.signal.aborted) {
        const c = caseFor(template, r.seed);
        const dir = path.join(opts.out, 'sim', `${v.algo}${v.set.length ? `-${v.set.join('-').replace(/[^A-Za-z0-9_.-]/g, '_')}` : ''}`, `seed-${r.seed}`);
        const captured = runCase(c, modules, true);
        await writeCase(dir, c, captured, modules.workload, replayCommand(path.join(dir, 'case.json')));
        entry.replay = replayCommand(path.join(dir, 'case.json'));
        if (r.verdict === 'invalid') {
          const drawn = Object.fromEntries(Object.entries(c.scenario.options).filter(([k]) => !(k in template.base.scenario.options)));
          const s = shrink(c, r.failed, modules, { aborted: () => opts.signal.aborted, drawnOptions: drawn, maxWallMs: 30_000 });
          const sdir = `${dir}-shrunk`;
          await writeCase(sdir, s.case, runCase(s.case, modules, true), modules.workload, replayCommand(path.join(sdir, 'case.json')));
          entry.shrunkReplay = replayCommand(path.join(sdir, 'case.json'));
        }
      }
      summary.failing.push(entry);
    }
    opts.log?.(`sim ${v.algo}${v.set.length ? ` (${v.set.join(' ')})` : ''}: ${summary.seeds} seeds, ${summary.verdicts.invalid} invalid, ${summary.verdicts.unknown} undecided`);
    out.push(summary);
  }
  return out;
}
