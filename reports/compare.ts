/**
 * Comparing several runs of the same suite (nightly results over time): per scenario
 * (matched by name and algorithm) and per metric, the value in each run and its change
 * against the previous and the first run, classified as better, worse or noise.
 *
 * Noise: a change counts only when it exceeds both a relative threshold (10%: run-to-run
 * spread of closed-loop throughput on a shared 2-core machine is of that order) and an
 * absolute floor per metric (so 0.2 ms -> 0.3 ms of p50 on loopback, +50%, is not an alarm).
 */
import type { ResultsFile, ScenarioResult } from '../contracts/results.js';
import { median } from './stats.js';
import { fmtMs, fmtPerOp, fmtRate, fmtRatio } from './format.js';
import { verdictStatus } from './scenarios.js';

export interface ComparedMetric {
  id: string;
  label: string;
  better: 'higher' | 'lower';
  /** Relative change below which it is noise. */
  relativeNoise: number;
  /** Absolute change (in the metric's unit) below which it is noise. */
  absoluteNoise: number;
  format: (value: number) => string;
  read: (s: ScenarioResult) => number | null;
}

export const RELATIVE_NOISE = 0.1;

export const COMPARED_METRICS: readonly ComparedMetric[] = [
  { id: 'throughput', label: 'throughput', better: 'higher', relativeNoise: RELATIVE_NOISE, absoluteNoise: 1, format: (x) => fmtRate(x), read: (s) => s.throughput },
  { id: 'p50', label: 'p50', better: 'lower', relativeNoise: RELATIVE_NOISE, absoluteNoise: 0.1, format: fmtMs, read: (s) => (s.latency.overall.count > 0 ? s.latency.overall.p50 : null) },
  { id: 'p99', label: 'p99', better: 'lower', relativeNoise: RELATIVE_NOISE, absoluteNoise: 1, format: fmtMs, read: (s) => (s.latency.overall.count > 0 ? s.latency.overall.p99 : null) },
  // okRatio is already a share: compare in absolute percentage points only.
  { id: 'okRatio', label: 'ok', better: 'higher', relativeNoise: 0, absoluteNoise: 0.005, format: fmtRatio, read: (s) => (s.availability.total > 0 ? s.availability.okRatio : null) },
  { id: 'unavailable', label: 'longest unavailable', better: 'lower', relativeNoise: RELATIVE_NOISE, absoluteNoise: 50, format: fmtMs, read: (s) => s.availability.longestUnavailableMs },
  {
    id: 'failover', label: 'median failover', better: 'lower', relativeNoise: RELATIVE_NOISE, absoluteNoise: 50, format: fmtMs,
    read: (s) => median(s.failover.flatMap((f) => (f.recoveryMs === null ? [] : [f.recoveryMs]))),
  },
  { id: 'convergence', label: 'convergence p50', better: 'lower', relativeNoise: RELATIVE_NOISE, absoluteNoise: 5, format: fmtMs, read: (s) => s.convergence?.p50Ms ?? null },
  { id: 'messages', label: 'msgs/op', better: 'lower', relativeNoise: RELATIVE_NOISE, absoluteNoise: 0.2, format: fmtPerOp, read: (s) => (s.ops.ok > 0 ? s.messages.perOk : null) },
];

export type Change = 'better' | 'worse' | 'noise' | 'missing';

export interface Delta {
  absolute: number | null;
  relative: number | null;
  change: Change;
}

/** Classify the move from `before` to `after` for one metric. */
export function classifyChange(before: number | null, after: number | null, metric: Pick<ComparedMetric, 'better' | 'relativeNoise' | 'absoluteNoise'>): Delta {
  if (before === null || after === null) return { absolute: null, relative: null, change: 'missing' };
  const absolute = after - before;
  const relative = before === 0 ? (after === 0 ? 0 : null) : absolute / Math.abs(before);
  const beyond = Math.abs(absolute) > metric.absoluteNoise && (relative === null || Math.abs(relative) > metric.relativeNoise);
  if (!beyond) return { absolute, relative, change: 'noise' };
  const improved = metric.better === 'higher' ? absolute > 0 : absolute < 0;
  return { absolute, relative, change: improved ? 'better' : 'worse' };
}

/** The safety outcome of a scenario in one run: any promised check violated wins, then undecided. */
export type RunVerdict = 'violated' | 'undecided' | 'passed' | 'absent';

export function runVerdict(s: ScenarioResult | undefined): RunVerdict {
  if (!s) return 'absent';
  const statuses = s.checks.map((v) => verdictStatus(v, s));
  if (statuses.includes('violated')) return 'violated';
  if (statuses.includes('undecided')) return 'undecided';
  return 'passed';
}

export interface MetricTrend {
  metric: ComparedMetric;
  /** One value per run, in run order; null where the scenario did not run or the figure is absent. */
  values: (number | null)[];
  vsPrevious: Delta;
  vsFirst: Delta;
}

export interface ScenarioTrend {
  name: string;
  algo: string;
  verdicts: RunVerdict[];
  /** The latest run's verdict is worse than the previous run's. */
  regressed: boolean;
  metrics: MetricTrend[];
}

export interface RunComparison {
  runs: { startedAt: string; revision: string | null; seed: number }[];
  scenarios: ScenarioTrend[];
}

const VERDICT_RANK: Record<RunVerdict, number> = { absent: 0, passed: 1, undecided: 2, violated: 3 };

/**
 * Compare runs given oldest first. The latest run is compared with the last earlier run in
 * which the scenario ran ("previous") and with the earliest ("first").
 */
export function compareRuns(runs: readonly ResultsFile[]): RunComparison {
  const keys = new Map<string, { name: string; algo: string }>();
  for (const run of runs) for (const s of run.scenarios) keys.set(JSON.stringify([s.name, s.algo]), { name: s.name, algo: s.algo });
  const scenarios = [...keys.values()].map(({ name, algo }) => {
    const perRun = runs.map((run) => run.scenarios.find((s) => s.name === name && s.algo === algo));
    const verdicts = perRun.map(runVerdict);
    const present = verdicts.map((v, i) => (v === 'absent' ? -1 : i)).filter((i) => i >= 0);
    const last = present[present.length - 1];
    const previous = present[present.length - 2];
    const metrics = COMPARED_METRICS.map((metric) => {
      const values = perRun.map((s) => (s ? metric.read(s) : null));
      const at = (i: number | undefined) => (i === undefined ? null : values[i] ?? null);
      return {
        metric,
        values,
        vsPrevious: classifyChange(at(previous), at(last), metric),
        vsFirst: classifyChange(at(present[0] === last ? undefined : present[0]), at(last), metric),
      };
    });
    const regressed = last !== undefined && previous !== undefined && VERDICT_RANK[verdicts[last]!] > VERDICT_RANK[verdicts[previous]!];
    return { name, algo, verdicts, regressed, metrics };
  });
  return {
    runs: runs.map((r) => ({ startedAt: r.meta.startedAt, revision: r.meta.gitRevision, seed: r.meta.seed })),
    scenarios,
  };
}
