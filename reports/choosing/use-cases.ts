/**
 * The four rows of the "choosing the right algorithm" table (docs/report.md, "The choosing
 * table and its rule"): which scenarios each row draws on, which checks an algorithm must
 * pass to be considered, the figures a cell shows, and the two figures the rule in rule.ts
 * decides on. Every figure here is read from results.json as measured; nothing is
 * estimated, and a cell without a relevant scenario says "not measured".
 *
 * Each relevant scenario is one trial: the two deciding figures are computed per trial and
 * reported as their mean with a 95% interval (interval.ts), so a pick says how sure it is.
 * docs/report.md says for every figure from which event to which it runs, over which
 * operations and which nodes; the comments here say why it is measured that way.
 */
import type { ScenarioResult } from '../../contracts/results.js';
import type { CheckerName } from '../../workloads/checkers/verdict.js';
import { fmtCount, fmtMs, fmtPerOp, fmtRate, fmtRatio } from '../format.js';
import { crashedCoordinator, crashedLeader, firedFaults, isCoordinatorCrash, isLeaderCrash, verdictFor, verdictStatus, type AlgorithmId } from '../scenarios.js';
import { maxOf, median } from '../stats.js';
import { estimate, type Estimate } from './interval.js';
import type { ChoosingRule, Metric } from './rule.js';

export type UseCaseId = 'databases' | 'leader-election' | 'acid' | 'decentralized';

export interface Figure {
  label: string;
  value: string;
  /** The 95% interval of a mean over trials, in the figure's unit: "± 38 ms". */
  interval?: string;
  /** The figure the rule decides on first or second, highlighted in the cell. */
  role?: 'primary' | 'secondary';
  /** A figure that disqualifies or warns (a violated check, a node that never recovered). */
  alarm?: boolean;
}

export interface CellFigures {
  primary: Estimate | null;
  secondary: Estimate | null;
  figures: Figure[];
  /** Why a figure is missing although scenarios ran (a fault that never fired). */
  note?: string;
}

export interface UseCase {
  id: UseCaseId;
  title: string;
  /** What the row asks of an algorithm, in one line. */
  asks: string;
  textbook: readonly AlgorithmId[];
  /** Checks every relevant scenario must have run and passed. */
  requires: readonly CheckerName[];
  rule: ChoosingRule;
  /** Whether production reference systems (etcd: a replicated kv store) are shown in this row. */
  reference: boolean;
  relevant: (s: ScenarioResult) => boolean;
  measure: (scenarios: readonly ScenarioResult[]) => CellFigures;
}

const TOLERANCE = 0.1;

/**
 * How a check fared across scenarios, as a cell figure: "yes" / "no" / "undecided" / "not
 * promised" / "not checked", the property named in the label, the run count in brackets.
 */
function checkFigure(scenarios: readonly ScenarioResult[], checker: CheckerName, property: string): Figure {
  const statuses = scenarios.map((s) => {
    const v = verdictFor(s, checker);
    return v ? verdictStatus(v, s) : 'missing';
  });
  const ran = statuses.filter((x) => x !== 'missing').length;
  const count = (state: string) => statuses.filter((x) => x === state).length;
  const runs = (n: number) => `${n} of ${ran} run${ran === 1 ? '' : 's'}`;
  if (ran === 0) return { label: property, value: 'not checked' };
  if (count('violated') > 0) return { label: `${property} (violated in ${runs(count('violated'))})`, value: 'no', alarm: true };
  if (count('informational') > 0) return { label: property, value: 'not promised' };
  if (count('undecided') > 0) return { label: `${property} (undecided in ${runs(count('undecided'))})`, value: 'undecided', alarm: true };
  return { label: `${property} (${runs(ran)})`, value: 'yes' };
}

/** A deciding figure as a cell shows it: the mean, its interval, and how many trials. */
function estimateFigure(label: string, e: Estimate | null, metric: Metric, role?: Figure['role']): Figure {
  const trials = e === null ? '' : e.n === 1 ? ' (1 trial, no interval)' : ` (mean of ${e.n} trials)`;
  const figure: Figure = { label: `${label}${trials}`, value: e === null ? metric.format(Number.NaN) : metric.format(e.value), ...(role ? { role } : {}) };
  if (e?.low != null && e.high != null) figure.interval = `± ${metric.format((e.high - e.low) / 2)}`;
  return figure;
}

const per = (scenarios: readonly ScenarioResult[], figure: (s: ScenarioResult) => number | null): Estimate | null =>
  estimate(scenarios.flatMap((s) => {
    const x = figure(s);
    return x === null ? [] : [x];
  }));

/** Faults that acted, and when each began to (applying a partition cuts links one by one). */
const acted = (s: ScenarioResult) => firedFaults(s).filter((f) => f.status === 'done' || f.status === 'active');
const firstHitMs = (s: ScenarioResult) => Math.min(s.durationMs, ...acted(s).map((f) => f.startMs - (f.applyMs ?? 0)));

/**
 * Successful operations per second while nothing was wrong: over the throughput buckets
 * that end before the first fault began (the whole load when there were none). Under a
 * partition, clients cut off with the old leader wait out the node's request timeout and the
 * client's, so a figure taken across faults measures those settings as much as the
 * protocol; what a fault costs is shown beside it and in the leader-election row.
 */
function healthyThroughput(s: ScenarioResult): number | null {
  const { bucketMs, buckets } = s.throughputOverTime;
  const until = firstHitMs(s);
  const inside = buckets.filter((b) => b.tMs + bucketMs <= until);
  if (inside.length === 0) return null;
  return inside.reduce((n, b) => n + b.ok, 0) / ((inside.length * bucketMs) / 1000);
}

/** p99 of the operations answered before the first fault began (the whole load without faults). */
function healthyP99(s: ScenarioResult): number | null {
  const block = acted(s).length > 0 ? s.latency.byPhase.before?.overall : s.latency.overall;
  return block && block.count > 0 ? block.p99 : null;
}

const throughputMetric: Metric = { name: 'throughput', better: 'higher', format: (x) => fmtRate(x, ' ops/s') };
const p99Metric: Metric = { name: 'p99 latency', better: 'lower', format: fmtMs };

const databases: UseCase = {
  id: 'databases',
  title: 'Distributed databases',
  asks: 'replicated key-value: throughput, tail latency, linearizable under faults',
  textbook: ['paxos', 'raft'],
  requires: ['linearizability'],
  rule: { primary: throughputMetric, secondary: p99Metric, tolerance: TOLERANCE },
  reference: true,
  relevant: (s) => s.workload === 'kv',
  measure(scenarios) {
    const throughput = per(scenarios, healthyThroughput);
    const p99 = per(scenarios, healthyP99);
    const faulted = scenarios.filter((s) => firedFaults(s).length > 0);
    const underFaults: Figure = faulted.length > 0 ? checkFigure(faulted, 'linearizability', 'linearizable under faults') : { label: 'linearizable under faults', value: 'not tested' };
    return {
      primary: throughput,
      secondary: p99,
      figures: [
        estimateFigure('throughput before faults', throughput, throughputMetric, 'primary'),
        estimateFigure('p99 latency before faults', p99, p99Metric, 'secondary'),
        underFaults,
        // Not the ok ratio under faults: how many refusals a client collects grows with how
        // fast it retries, a harness setting. The longest stretch without a write does not.
        { label: 'longest without an acknowledged write (worst trial)', value: fmtMs(maxOf(scenarios.map((s) => s.availability.longestUnavailableMs))) },
      ],
    };
  },
};

/**
 * One trial's leader crashes: crash to the next acknowledged write sent after it. A crash
 * with no acknowledged write after it has not recovered when the run ends: the rest of the
 * run counts as its failover, a lower bound, rather than dropping the worst case. A crash
 * whose next write completed only once the crashed node was being restarted did not fail
 * over at all: the cluster waited for the node (2PC's coordinator), and its figure is the
 * crash's length plus the restart, set by the fault schedule, not by the protocol.
 */
function leaderCrashes(s: ScenarioResult): { ms: number; recovered: boolean; waited: boolean }[] {
  const leaderFaults = new Map(s.faults.filter(isLeaderCrash).map((f) => [f.id, f]));
  return s.failover.flatMap((f) => {
    const fault = leaderFaults.get(f.faultId);
    if (!fault) return [];
    const waited = f.nextWriteMs !== null && fault.endMs !== undefined && f.nextWriteMs >= fault.endMs;
    return [{ ms: f.recoveryMs ?? Math.max(0, s.durationMs - f.crashMs), recovered: f.recoveryMs !== null, waited }];
  });
}

const failoverMetric: Metric = { name: 'failover', better: 'lower', format: fmtMs };
const unavailableMetric: Metric = { name: 'longest unavailability', better: 'lower', format: fmtMs };

const leaderElection: UseCase = {
  id: 'leader-election',
  title: 'Leader election',
  asks: 'leader crashed under kv load: time to the next committed write, unavailability',
  textbook: ['raft'],
  requires: ['linearizability'],
  rule: { primary: failoverMetric, secondary: unavailableMetric, tolerance: TOLERANCE },
  reference: true,
  relevant: (s) => s.workload === 'kv' && crashedLeader(s),
  measure(scenarios) {
    const crashed = scenarios.filter((s) => leaderCrashes(s).length > 0);
    const samples = crashed.flatMap(leaderCrashes);
    // Per trial, the median over its leader crashes (one in the default suite).
    const failover = per(crashed, (s) => median(leaderCrashes(s).map((x) => x.ms)));
    const unavailable = per(crashed, (s) => s.availability.longestUnavailableMs);
    const never = samples.filter((x) => !x.recovered).length;
    const waited = samples.filter((x) => x.waited).length;
    const skipped = scenarios.flatMap((s) => s.faults.filter((f) => f.status === 'skipped' && f.reason).map((f) => f.reason!));
    const figures: Figure[] = [
      estimateFigure('failover', failover, failoverMetric, 'primary'),
      { label: 'worst failover', value: fmtMs(maxOf(samples.map((x) => x.ms))) },
      estimateFigure('longest unavailability', unavailable, unavailableMetric, 'secondary'),
      { label: 'leader crashes', value: never > 0 ? `${samples.length} (${never} never recovered)` : fmtCount(samples.length), alarm: never > 0 },
    ];
    if (waited > 0) figures.push({ label: 'no failover: writes waited for the crashed leader to restart', value: `${waited} of ${samples.length}` });
    if (samples.length === 0) {
      return { primary: null, secondary: null, figures, note: skipped.length > 0 ? `leader crash did not fire: ${skipped[0]}` : 'no leader crash fired' };
    }
    return { primary: failover, secondary: unavailable, figures };
  },
};

/**
 * One trial's transfers over the measured load: committed per second, and the abort rate of
 * the transactions the system decided (409 aborted / committed + aborted). A refusal (503
 * while a leader or coordinator is down, a timeout) is unavailability, not an abort: counted
 * as an abort it would grow with how fast the harness's clients retry, not with the
 * protocol. Files written before per-type counts existed fall back to the bank checker's
 * counts, which include the warm-up and count refusals as failures.
 */
function bankTrial(s: ScenarioResult): { transfersPerSec: number; abortRate: number | null; refused: number; attempted: number } {
  const seconds = Math.max(s.durationMs, 1) / 1000;
  const t = s.ops.byF?.transfer;
  if (t) {
    const decided = t.ok + t.conflict;
    return { transfersPerSec: t.ok / seconds, abortRate: decided > 0 ? t.conflict / decided : null, refused: t.fail - t.conflict + t.info, attempted: t.ok + t.fail + t.info };
  }
  const stats = verdictFor(s, 'bank')?.stats;
  if (stats && typeof stats.transfersCommitted === 'number') {
    const failed = stats.transfersFailed ?? 0;
    const attempted = stats.transfersCommitted + failed + (stats.transfersUnknown ?? 0);
    return { transfersPerSec: stats.transfersCommitted / seconds, abortRate: attempted > 0 ? failed / attempted : null, refused: 0, attempted };
  }
  return { transfersPerSec: s.throughput, abortRate: s.ops.total > 0 ? s.ops.fail / s.ops.total : null, refused: 0, attempted: s.ops.total };
}

const transfersMetric: Metric = { name: 'committed transfers/s', better: 'higher', format: (x) => fmtRate(x) };
const abortMetric: Metric = { name: 'abort rate', better: 'lower', format: fmtRatio };

const acid: UseCase = {
  id: 'acid',
  title: 'ACID transactions',
  asks: 'bank transfers across shards: atomic, money conserved, blocking when the coordinator dies',
  textbook: ['twopc'],
  requires: ['bank'],
  rule: { primary: transfersMetric, secondary: abortMetric, tolerance: TOLERANCE },
  reference: false,
  relevant: (s) => s.workload === 'bank',
  measure(scenarios) {
    const transfers = per(scenarios, (s) => bankTrial(s).transfersPerSec);
    const abortRate = per(scenarios, (s) => bankTrial(s).abortRate);
    const attempted = scenarios.reduce((n, s) => n + bankTrial(s).attempted, 0);
    const refused = scenarios.reduce((n, s) => n + bankTrial(s).refused, 0);
    const asked = scenarios.filter(crashedCoordinator);
    // Blocking is measured only where the crash really happened (raft has no coordinator to crash).
    const crashed = asked.filter((s) => firedFaults(s).some((f) => isCoordinatorCrash(f, s.algo)));
    const inDoubt = maxOf(
      crashed.flatMap((s) => {
        const st = verdictFor(s, 'atomicity')?.stats;
        return st ? [Math.max(st.inDoubtMaxMs ?? 0, st.inDoubtAtEndMaxMs ?? 0)] : [];
      }),
    );
    const blocking =
      crashed.length === 0
        ? { label: `blocking under coordinator crash${asked.length > 0 ? ' (the crash did not fire)' : ''}`, value: 'not measured' }
        : inDoubt !== null
          ? { label: 'in doubt under coordinator crash (max)', value: fmtMs(inDoubt) }
          : { label: 'unavailable under coordinator crash', value: fmtMs(maxOf(crashed.map((s) => s.availability.longestUnavailableMs))) };
    return {
      primary: transfers,
      secondary: abortRate,
      figures: [
        estimateFigure('committed transfers/s', transfers, transfersMetric, 'primary'),
        estimateFigure('abort rate', abortRate, abortMetric, 'secondary'),
        { label: 'transfers refused or unanswered while unavailable', value: attempted > 0 ? fmtRatio(refused / attempted) : fmtRatio(null) },
        checkFigure(scenarios, 'bank', 'money conserved'),
        checkFigure(scenarios, 'atomicity', 'atomic commit'),
        blocking,
      ],
    };
  },
};

/**
 * Messages per update: every peer message all nodes sent during the measured load (the
 * updates' own traffic and whatever runs in the background: heartbeats, gossip rounds)
 * over the acknowledged writes. Dividing by all successful operations instead would count
 * reads as updates, and a consensus read costs a quorum round while a gossip read is local.
 */
function messagesPerUpdate(s: ScenarioResult): number {
  const acked = s.convergence ? s.convergence.writes + s.convergence.incomplete : 0;
  return acked > 0 ? s.messages.total / acked : s.messages.perOk;
}

const messagesMetric: Metric = { name: 'messages per update at the largest N', better: 'lower', format: fmtPerOp };
const convergenceMetric: Metric = { name: 'convergence p50 at the largest N', better: 'lower', format: fmtMs };

const decentralized: UseCase = {
  id: 'decentralized',
  title: 'Large-scale decentralized networks',
  asks: 'an update reaching every live node: time and messages, as N grows',
  textbook: ['gossip'],
  requires: ['convergence'],
  // What a large network pays is messages: cost per update at the largest size decides,
  // time to reach every node breaks ties. (At the sizes one machine holds, a leader that
  // sends every update to every follower is fast; what it costs, and on one node, is the
  // question that grows with N. The busiest node's share is shown beside it.)
  rule: { primary: messagesMetric, secondary: convergenceMetric, tolerance: TOLERANCE },
  reference: false,
  relevant: (s) => s.workload === 'dissemination',
  measure(scenarios) {
    const sizes = [...new Set(scenarios.map((s) => s.nodes))].sort((a, b) => a - b);
    const at = (n: number) => scenarios.filter((s) => s.nodes === n);
    const p50At = (n: number) => median(at(n).flatMap((s) => (s.convergence ? [s.convergence.p50Ms] : [])));
    const maxAt = (n: number) => maxOf(at(n).flatMap((s) => (s.convergence ? [s.convergence.maxMs] : [])));
    const msgsAt = (n: number) => median(at(n).map(messagesPerUpdate));
    const largest = sizes[sizes.length - 1]!;
    const smallest = sizes[0]!;
    const trials = at(largest);
    const messages = per(trials, messagesPerUpdate);
    const convergence = per(trials, (s) => s.convergence?.p50Ms ?? null);
    // The busiest node's messages per update: how much of the work one node carries.
    const busiest = per(trials, (s) => {
      const acked = s.convergence ? s.convergence.writes + s.convergence.incomplete : s.ops.ok;
      return acked > 0 ? Math.max(0, ...s.nodesDetail.map((d) => d.msgsSent)) / acked : null;
    });
    const figures: Figure[] = [
      estimateFigure(`messages per update at N=${largest}`, messages, messagesMetric, 'primary'),
      estimateFigure(`convergence p50 at N=${largest}`, convergence, convergenceMetric, 'secondary'),
      { label: `convergence max at N=${largest} (worst trial)`, value: fmtMs(maxAt(largest)) },
      { label: `busiest node's messages per update at N=${largest}`, value: fmtPerOp(busiest?.value) },
    ];
    if (sizes.length > 1) {
      const lo = msgsAt(smallest);
      const hi = msgsAt(largest);
      figures.push({ label: `p50 by N (${sizes.join(' / ')})`, value: sizes.map((n) => fmtMs(p50At(n))).join(' / ') });
      if (lo && hi) figures.push({ label: `messages ×, N=${smallest}→${largest}`, value: `×${(hi / lo).toFixed(1)}` });
    }
    return { primary: messages, secondary: convergence, figures };
  },
};

export const USE_CASES: readonly UseCase[] = [databases, leaderElection, acid, decentralized];
