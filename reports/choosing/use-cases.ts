/**
 * The four rows of the "choosing the right algorithm" table (DESIGN.md): which scenarios
 * each row draws on, which checks an algorithm must pass to be considered, the figures a
 * cell shows, and the two figures the rule in rule.ts decides on. Every figure here is read
 * from results.json as measured; nothing is estimated, and a cell without a relevant
 * scenario says "not measured".
 */
import type { ScenarioResult } from '../../harness/results.js';
import type { CheckerName } from '../../workloads/checkers/verdict.js';
import { fmtCount, fmtMs, fmtPerOp, fmtRate, fmtRatio } from '../format.js';
import { crashedCoordinator, crashedLeader, firedFaults, isCoordinatorCrash, isLeaderCrash, okRatioDuringFaults, verdictFor, verdictStatus, type AlgorithmId } from '../scenarios.js';
import { maxOf, median, minOf } from '../stats.js';
import type { ChoosingRule } from './rule.js';

export type UseCaseId = 'databases' | 'leader-election' | 'acid' | 'decentralized';

export interface Figure {
  label: string;
  value: string;
  /** The figure the rule decides on first or second, highlighted in the cell. */
  role?: 'primary' | 'secondary';
  /** A figure that disqualifies or warns (a violated check, a node that never recovered). */
  alarm?: boolean;
}

export interface CellFigures {
  primary: number | null;
  secondary: number | null;
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

const databases: UseCase = {
  id: 'databases',
  title: 'Distributed databases',
  asks: 'replicated key-value: throughput, tail latency, linearizable under faults',
  textbook: ['paxos', 'raft'],
  requires: ['linearizability'],
  rule: {
    primary: { name: 'throughput', better: 'higher', format: (x) => fmtRate(x, ' ops/s') },
    secondary: { name: 'p99 latency', better: 'lower', format: fmtMs },
    tolerance: TOLERANCE,
  },
  reference: true,
  relevant: (s) => s.workload === 'kv',
  measure(scenarios) {
    const throughput = median(scenarios.map((s) => s.throughput));
    const p99 = maxOf(scenarios.map((s) => s.latency.overall.p99));
    const faulted = scenarios.filter((s) => firedFaults(s).length > 0);
    const underFaults: Figure = faulted.length > 0 ? checkFigure(faulted, 'linearizability', 'linearizable under faults') : { label: 'linearizable under faults', value: 'not tested' };
    return {
      primary: throughput,
      secondary: p99,
      figures: [
        { label: scenarios.length > 1 ? `throughput (median of ${scenarios.length})` : 'throughput', value: fmtRate(throughput, ' ops/s'), role: 'primary' },
        { label: 'p99 latency (worst)', value: fmtMs(p99), role: 'secondary' },
        underFaults,
        { label: 'ok while faults were active (worst)', value: fmtRatio(minOf(faulted.flatMap((s) => okRatioDuringFaults(s) ?? []))) },
      ],
    };
  },
};

const leaderElection: UseCase = {
  id: 'leader-election',
  title: 'Leader election',
  asks: 'leader crashed under kv load: time to the next committed write, unavailability',
  textbook: ['raft'],
  requires: ['linearizability'],
  rule: {
    primary: { name: 'median failover', better: 'lower', format: fmtMs },
    secondary: { name: 'longest unavailability', better: 'lower', format: fmtMs },
    tolerance: TOLERANCE,
  },
  reference: true,
  relevant: (s) => s.workload === 'kv' && crashedLeader(s),
  measure(scenarios) {
    // A crash with no acknowledged write after it has not recovered when the run ends: count
    // the rest of the run as its failover, a lower bound, rather than dropping the worst case.
    const samples = scenarios.flatMap((s) => {
      const leaderFaults = new Set(s.faults.filter(isLeaderCrash).map((f) => f.id));
      return s.failover
        .filter((f) => leaderFaults.has(f.faultId))
        .map((f) => ({ ms: f.recoveryMs ?? Math.max(0, s.durationMs - f.crashMs), recovered: f.recoveryMs !== null }));
    });
    const failover = median(samples.map((x) => x.ms));
    const unavailable = maxOf(scenarios.map((s) => s.availability.longestUnavailableMs));
    const never = samples.filter((x) => !x.recovered).length;
    const skipped = scenarios.flatMap((s) => s.faults.filter((f) => f.status === 'skipped' && f.reason).map((f) => f.reason!));
    const figures: Figure[] = [
      { label: 'median failover', value: fmtMs(failover), role: 'primary' },
      { label: 'worst failover', value: fmtMs(maxOf(samples.map((x) => x.ms))) },
      { label: 'longest unavailability', value: fmtMs(samples.length > 0 ? unavailable : null), role: 'secondary' },
      { label: 'leader crashes', value: never > 0 ? `${samples.length} (${never} never recovered)` : fmtCount(samples.length), alarm: never > 0 },
    ];
    if (samples.length === 0) {
      return { primary: null, secondary: null, figures, note: skipped.length > 0 ? `leader crash did not fire: ${skipped[0]}` : 'no leader crash fired' };
    }
    return { primary: failover, secondary: unavailable, figures };
  },
};

/** Committed transfers per second and the abort rate, from the bank checker's counts when it ran. */
function bankFigures(s: ScenarioResult): { transfersPerSec: number; attempted: number; aborted: number } {
  const stats = verdictFor(s, 'bank')?.stats;
  const seconds = Math.max(s.durationMs, 1) / 1000;
  if (stats && typeof stats.transfersCommitted === 'number') {
    const failed = stats.transfersFailed ?? 0;
    return { transfersPerSec: stats.transfersCommitted / seconds, attempted: stats.transfersCommitted + failed + (stats.transfersUnknown ?? 0), aborted: failed };
  }
  return { transfersPerSec: s.throughput, attempted: s.ops.total, aborted: s.ops.fail };
}

const acid: UseCase = {
  id: 'acid',
  title: 'ACID transactions',
  asks: 'bank transfers across shards: atomic, money conserved, blocking when the coordinator dies',
  textbook: ['twopc'],
  requires: ['bank'],
  rule: {
    primary: { name: 'committed transfers/s', better: 'higher', format: (x) => fmtRate(x) },
    secondary: { name: 'abort rate', better: 'lower', format: fmtRatio },
    tolerance: TOLERANCE,
  },
  reference: false,
  relevant: (s) => s.workload === 'bank',
  measure(scenarios) {
    const bank = scenarios.map(bankFigures);
    const transfers = median(bank.map((b) => b.transfersPerSec));
    const attempted = bank.reduce((n, b) => n + b.attempted, 0);
    const abortRate = attempted > 0 ? bank.reduce((n, b) => n + b.aborted, 0) / attempted : null;
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
        { label: 'committed transfers/s', value: fmtRate(transfers), role: 'primary' },
        { label: 'abort rate', value: fmtRatio(abortRate), role: 'secondary' },
        checkFigure(scenarios, 'bank', 'money conserved'),
        checkFigure(scenarios, 'atomicity', 'atomic commit'),
        blocking,
      ],
    };
  },
};

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
  rule: {
    primary: { name: 'messages per update at the largest N', better: 'lower', format: fmtPerOp },
    secondary: { name: 'convergence p50 at the largest N', better: 'lower', format: fmtMs },
    tolerance: TOLERANCE,
  },
  reference: false,
  relevant: (s) => s.workload === 'dissemination',
  measure(scenarios) {
    const sizes = [...new Set(scenarios.map((s) => s.nodes))].sort((a, b) => a - b);
    const at = (n: number) => scenarios.filter((s) => s.nodes === n);
    const p50At = (n: number) => median(at(n).flatMap((s) => (s.convergence ? [s.convergence.p50Ms] : [])));
    const maxAt = (n: number) => maxOf(at(n).flatMap((s) => (s.convergence ? [s.convergence.maxMs] : [])));
    const msgsAt = (n: number) => median(at(n).map((s) => s.messages.perOk));
    const largest = sizes[sizes.length - 1]!;
    const smallest = sizes[0]!;
    // The busiest node's messages per update: how much of the work one node carries.
    const busiestAt = (n: number) =>
      median(at(n).map((s) => (s.ops.ok > 0 ? Math.max(0, ...s.nodesDetail.map((d) => d.msgsSent)) / s.ops.ok : 0)));
    const figures: Figure[] = [
      { label: `messages per update at N=${largest}`, value: fmtPerOp(msgsAt(largest)), role: 'primary' },
      { label: `convergence p50 at N=${largest}`, value: fmtMs(p50At(largest)), role: 'secondary' },
      { label: `convergence max at N=${largest}`, value: fmtMs(maxAt(largest)) },
      { label: `busiest node's messages per update at N=${largest}`, value: fmtPerOp(busiestAt(largest)) },
    ];
    if (sizes.length > 1) {
      const lo = msgsAt(smallest);
      const hi = msgsAt(largest);
      figures.push({ label: `p50 by N (${sizes.join(' / ')})`, value: sizes.map((n) => fmtMs(p50At(n))).join(' / ') });
      if (lo && hi) figures.push({ label: `messages ×, N=${smallest}→${largest}`, value: `×${(hi / lo).toFixed(1)}` });
    }
    return { primary: msgsAt(largest), secondary: p50At(largest), figures };
  },
};

export const USE_CASES: readonly UseCase[] = [databases, leaderElection, acid, decentralized];
