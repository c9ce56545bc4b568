/**
 * The gossip dissemination scale study (`npm run bench:gossip -- --sim`): the simulated
 * curve to 10,000 nodes beside the real processes at N <= 50, and whether they agree where
 * both were measured. It is written as scale.json, and `parley bench --scale scale.json`
 * puts it in results.json (`scale`, docs/results.md) for the report's decentralized row.
 *
 * The agreement rule, stated before measuring: at every N both cover,
 *   - the simulated convergence p50 is within 25 % of the real one, or within one rumor
 *     round of it, whichever is wider: the real figure includes what the simulator does not
 *     model (CPU time and scheduling delay on a shared machine, timers that fire late), a
 *     p50 over 20 updates moves by about a tenth between two runs of the same thing, and
 *     convergence is counted in rounds, so a difference under one round says nothing;
 *   - the simulated rumor messages per update are within 10 % of the real ones: both run
 *     the same stop rule, so this checks that the simulated nodes push what real ones do.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { UsageError } from '../nodes/common/errors.js';

export const SCALE_SCHEMA = 'parley.scale/1';

/** Nearest-rank quantiles over the updates; null when no update reached every node. */
const quantiles = z.object({ p50: z.number().nullable(), p99: z.number().nullable(), max: z.number().nullable() });

/** One N of the simulated curve (harness/sim/scale.ts). */
const simPoint = z.object({
  nodes: z.number().int().positive(),
  /** Updates acknowledged, and those that reached every node in time. */
  updates: z.number().int().nonnegative(),
  complete: z.number().int().nonnegative(),
  /** The rumor round (rumorIntervalMs): rounds are convergence times over it. */
  roundMs: z.number().positive(),
  /** Acknowledgement until the last node held the update, by rumor or anti-entropy. */
  convergenceMs: quantiles,
  /** The same in rumor rounds: rounds until every node holds it. */
  rounds: quantiles,
  /** Acknowledgement until the last node a rumor reached held it, in rounds. */
  rumorRounds: quantiles,
  /** Rumor pushes per update, all nodes together, and per node. */
  messagesPerUpdate: z.number(),
  messagesPerNode: z.number(),
  /** Nodes per update that no rumor reached, left to anti-entropy: mean, max, and mean / N. */
  missedByRumor: z.object({ mean: z.number(), max: z.number(), share: z.number() }),
  /** Every other peer message (anti-entropy, SWIM) per simulated second, cluster-wide. */
  backgroundPerSecond: z.number(),
  /** What the point cost: simulated ms, events, wall and CPU ms, heap in use at its end, the process's peak RSS so far. */
  cost: z.object({ simMs: z.number(), events: z.number(), wallMs: z.number(), cpuMs: z.number(), heapMiB: z.number(), peakRssMiB: z.number() }),
});

/** One N of the real processes: the same isolated updates, from the nodes' applied traces. */
const realPoint = z.object({
  nodes: z.number().int().positive(),
  updates: z.number().int().nonnegative(),
  complete: z.number().int().nonnegative(),
  roundMs: z.number().positive(),
  convergenceMs: quantiles,
  rounds: quantiles,
  messagesPerUpdate: z.number(),
  messagesPerNode: z.number(),
  wallMs: z.number(),
  loadAverage: z.array(z.number()),
});

const tolerance = z.object({
  /** Convergence p50: |sim - real| <= max(relative x real, rounds x roundMs). */
  convergenceP50: z.object({ relative: z.number().nonnegative(), rounds: z.number().nonnegative() }),
  /** Rumor messages per update: |sim - real| <= relative x real. */
  messagesPerUpdate: z.object({ relative: z.number().nonnegative() }),
});

const agreementRow = z.object({
  nodes: z.number().int().positive(),
  figure: z.enum(['convergence p50', 'messages per update']),
  sim: z.number(),
  real: z.number(),
  /** sim / real. */
  ratio: z.number(),
  /** The largest |sim - real| the rule allows here. */
  allowed: z.number(),
  within: z.boolean(),
});

export const scaleStudySchema = z.object({
  schema: z.literal(SCALE_SCHEMA),
  meta: z.object({ machine: z.string(), command: z.string(), startedAt: z.string(), finishedAt: z.string(), seed: z.number().int() }),
  /** `--set` options of every node, simulated and real. */
  settings: z.record(z.string(), z.string()),
  /** The simulated network's delay model, and where it came from. */
  net: z.object({ model: z.string(), source: z.string() }),
  tolerance,
  sim: z.array(simPoint),
  real: z.array(realPoint),
  agreement: z.array(agreementRow),
  /** Every row within its tolerance (false when no N was covered by both). */
  agrees: z.boolean(),
});

export type ScaleStudy = z.infer<typeof scaleStudySchema>;
export type SimScalePoint = z.infer<typeof simPoint>;
export type RealScalePoint = z.infer<typeof realPoint>;
export type ScaleTolerance = z.infer<typeof tolerance>;
export type AgreementRow = z.infer<typeof agreementRow>;
export type Quantiles = z.infer<typeof quantiles>;

export const SCALE_TOLERANCE: ScaleTolerance = { convergenceP50: { relative: 0.25, rounds: 1 }, messagesPerUpdate: { relative: 0.1 } };

/** The rule above, at every N both the simulated and the real points cover. */
export function agreement(sim: readonly SimScalePoint[], real: readonly RealScalePoint[], tol: ScaleTolerance = SCALE_TOLERANCE): AgreementRow[] {
  const rows: AgreementRow[] = [];
  for (const r of [...real].sort((a, b) => a.nodes - b.nodes)) {
    const s = sim.find((p) => p.nodes === r.nodes);
    const simP50 = s?.convergenceMs.p50 ?? null;
    const realP50 = r.convergenceMs.p50;
    if (!s || simP50 === null || realP50 === null) continue;
    const row = (figure: AgreementRow['figure'], simValue: number, realValue: number, allowed: number): AgreementRow => ({
      nodes: r.nodes,
      figure,
      sim: simValue,
      real: realValue,
      ratio: realValue === 0 ? (simValue === 0 ? 1 : Infinity) : simValue / realValue,
      allowed,
      within: Math.abs(simValue - realValue) <= allowed,
    });
    rows.push(row('convergence p50', simP50, realP50, Math.max(tol.convergenceP50.relative * realP50, tol.convergenceP50.rounds * r.roundMs)));
    rows.push(row('messages per update', s.messagesPerUpdate, r.messagesPerUpdate, tol.messagesPerUpdate.relative * r.messagesPerUpdate));
  }
  return rows;
}

export function describeTolerance(tol: ScaleTolerance): string {
  return (
    `convergence p50 within ${Math.round(100 * tol.convergenceP50.relative)}% of the real one or within ${tol.convergenceP50.rounds} rumor round${tol.convergenceP50.rounds === 1 ? '' : 's'}, whichever is wider; ` +
    `rumor messages per update within ${Math.round(100 * tol.messagesPerUpdate.relative)}%`
  );
}

/** Read a scale.json for `parley bench --scale`: a bad file exits 64 naming the first bad field. */
export function readScaleStudy(file: string): ScaleStudy {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--scale ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = scaleStudySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`--scale ${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}
