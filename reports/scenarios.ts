/**
 * What the report needs to know about a scenario beyond its raw figures: how to name its
 * algorithm, which faults it suffered, and what each checker verdict means for it. Kept in
 * one place so the summary, the choosing table, the terminal table and JUnit agree on, for
 * example, when a failed check is a safety violation and when it is informational.
 */
import type { FaultRecord, ResultsFile, ScenarioResult } from '../contracts/results.js';
import type { Verdict } from '../workloads/checkers/verdict.js';

/** The four algorithms in the column order of the choosing table. */
export const ALGORITHM_COLUMNS = ['paxos', 'raft', 'twopc', 'gossip'] as const;
export type AlgorithmId = (typeof ALGORITHM_COLUMNS)[number];

const LABELS: Record<AlgorithmId, string> = { paxos: 'Multi-Paxos', raft: 'Raft', twopc: '2PC', gossip: 'Gossip' };

/** One colour per algorithm across every chart; red stays reserved for violations and outages. */
export const ALGORITHM_COLORS: Record<AlgorithmId, string> = { paxos: '#7b5ea7', raft: '#2f6fb3', twopc: '#c07a12', gossip: '#1f9486' };

export function isAlgorithmId(algo: string): algo is AlgorithmId {
  return (ALGORITHM_COLUMNS as readonly string[]).includes(algo);
}

/**
 * Production systems run under the same harness as a reference (harness/etcd): shown beside
 * the algorithms with the same figures and checks, never a candidate for the pick.
 */
export const REFERENCE_COLUMNS = ['etcd'] as const;
export type ReferenceId = (typeof REFERENCE_COLUMNS)[number];

export function isReference(algo: string): algo is ReferenceId {
  return (REFERENCE_COLUMNS as readonly string[]).includes(algo);
}

/** "etcd 3.4, Raft, production": the version its scenarios recorded, major and minor. */
export function referenceLabel(run: ResultsFile, id: ReferenceId): string {
  const version = run.scenarios.find((s) => s.algo === id && s.system?.version)?.system?.version;
  return `${id}${version ? ` ${version.split('.').slice(0, 2).join('.')}` : ''}, Raft, production`;
}

/** Display name; an algorithm parley does not know (a user's own node) keeps its id. */
export function algorithmLabel(algo: string): string {
  return isAlgorithmId(algo) ? LABELS[algo] : algo;
}

/**
 * - passed: valid, and the algorithm promises it;
 * - violated: invalid and promised: a safety violation, exit 1;
 * - undecided: the checker could not decide (exit 2), never counted as a pass;
 * - informational: checked although the algorithm does not promise it (gossip and
 *   linearizability): shown with its result, never a failure.
 */
export type VerdictStatus = 'passed' | 'violated' | 'undecided' | 'informational';

export function verdictStatus(verdict: Verdict, scenario: ScenarioResult): VerdictStatus {
  if (scenario.informational.includes(verdict.checker)) return 'informational';
  if (verdict.valid === true) return 'passed';
  return verdict.valid === false ? 'violated' : 'undecided';
}

export function verdictTitle(verdict: Verdict): string {
  return verdict.model ? `${verdict.checker} (${verdict.model})` : verdict.checker;
}

/** A promised check that failed, located for the banner and its evidence link. */
export interface SafetyViolation {
  scenarioIndex: number;
  scenario: ScenarioResult;
  verdict: Verdict;
  verdictIndex: number;
}

export function safetyViolations(run: ResultsFile): SafetyViolation[] {
  return run.scenarios.flatMap((scenario, scenarioIndex) =>
    scenario.checks.flatMap((verdict, verdictIndex) =>
      verdictStatus(verdict, scenario) === 'violated' ? [{ scenarioIndex, scenario, verdict, verdictIndex }] : [],
    ),
  );
}

export function undecidedChecks(run: ResultsFile): SafetyViolation[] {
  return run.scenarios.flatMap((scenario, scenarioIndex) =>
    scenario.checks.flatMap((verdict, verdictIndex) =>
      verdictStatus(verdict, scenario) === 'undecided' ? [{ scenarioIndex, scenario, verdict, verdictIndex }] : [],
    ),
  );
}

/** Faults that actually fired (a skipped fault has no start time and changed nothing). */
export function firedFaults(scenario: ScenarioResult): (FaultRecord & { startMs: number })[] {
  return scenario.faults.filter((f): f is FaultRecord & { startMs: number } => typeof f.startMs === 'number');
}

/**
 * The share of operations that succeeded while a fault was active, from the throughput
 * buckets that overlap a fault window (so at bucket resolution, 1 s by default): the
 * whole-run ok ratio dilutes a 3 s outage in a 20 s run. Null without a fired fault.
 */
export function okRatioDuringFaults(scenario: ScenarioResult): number | null {
  const windows = firedFaults(scenario).map((f) => [f.startMs, f.endMs ?? scenario.durationMs] as const);
  if (windows.length === 0) return null;
  const { bucketMs, buckets } = scenario.throughputOverTime;
  let ok = 0;
  let all = 0;
  for (const b of buckets) {
    if (!windows.some(([start, end]) => b.tMs < end && b.tMs + bucketMs > start)) continue;
    ok += b.ok;
    all += b.ok + b.fail + b.info;
  }
  return all === 0 ? null : ok / all;
}

/**
 * The faults a scenario asked for, for a table cell: "partition, crash (skipped)". A kind
 * whose every fault was skipped (no leader to crash) says so rather than vanishing.
 */
export function faultsLabel(scenario: ScenarioResult): string {
  const kinds = [...new Set(scenario.faults.map((f) => f.kind))];
  if (kinds.length === 0) return 'none';
  return kinds
    .map((kind) => (scenario.faults.some((f) => f.kind === kind && typeof f.startMs === 'number') ? kind : `${kind} (${scenario.faults.find((f) => f.kind === kind)!.status})`))
    .join(', ');
}

const crashes = (f: FaultRecord, target: string) => f.kind === `${target}-crash` || (f.kind === 'crash' && f.spec.target === target);

/** A fault that crashes whichever node leads when it fires. */
export function isLeaderCrash(f: FaultRecord): boolean {
  return crashes(f, 'leader');
}

/** A kv run whose schedule crashed the leader: the failover measurements come from these. */
export function crashedLeader(scenario: ScenarioResult): boolean {
  return scenario.faults.some(isLeaderCrash);
}

/** A fault that crashes the transaction coordinator (for 2PC, its leader is the coordinator). */
export function isCoordinatorCrash(f: FaultRecord, algo: string): boolean {
  return crashes(f, 'coordinator') || (algo === 'twopc' && crashes(f, 'leader'));
}

/** A bank run whose schedule crashed the coordinator: where 2PC's blocking shows. */
export function crashedCoordinator(scenario: ScenarioResult): boolean {
  return scenario.faults.some((f) => isCoordinatorCrash(f, scenario.algo));
}

/**
 * What a scenario ran, without its algorithm: two algorithms are compared on equal terms
 * only when they ran the same shapes. Fault kinds come from the schedule, so a fault that
 * was skipped (no leader to crash) still counts as asked for.
 */
export function scenarioShape(scenario: ScenarioResult): string {
  const kinds = [...new Set(scenario.faults.map((f) => f.kind))].sort();
  return `${scenario.workload} on ${scenario.nodes} nodes${kinds.length ? ` with ${kinds.join('+')}` : ' without faults'}`;
}

export function scenarioAnchor(scenarioIndex: number): string {
  return `scenario-${scenarioIndex}`;
}

export function evidenceAnchor(scenarioIndex: number, verdictIndex: number): string {
  return `evidence-${scenarioIndex}-${verdictIndex}`;
}

export function verdictFor(scenario: ScenarioResult, checker: Verdict['checker']): Verdict | undefined {
  return scenario.checks.find((v) => v.checker === checker);
}

/** Runs in the order they were started; the last one is the run the page describes in detail. */
export function chronological(runs: readonly ResultsFile[]): ResultsFile[] {
  return runs
    .map((run, i) => ({ run, i }))
    .sort((a, b) => a.run.meta.startedAt.localeCompare(b.run.meta.startedAt) || a.i - b.i)
    .map(({ run }) => run);
}

/**
 * In words, how starved the machine was in a scenario, or null when it was not: the
 * starved phases with the limits they crossed. Timing figures of such a scenario are the
 * machine's as much as the algorithm's (docs/report.md, "An overloaded machine").
 */
export function starvationNote(s: ScenarioResult): string | null {
  const load = s.machineLoad;
  if (!load?.starved) return null;
  const phases = (['start', 'load', 'settle'] as const).filter((p) => load.phases[p]?.starved);
  const worst = phases.map((p) => load.phases[p]!).sort((a, b) => (b.runQueueWaitShare ?? 0) - (a.runQueueWaitShare ?? 0))[0]!;
  const names = { start: 'start-up', load: 'the load', settle: 'settling' };
  return `the machine was starved during ${phases.map((p) => names[p]).join(', ')}: ${worst.reasons.join('; ')}; timing figures are marked and missed time bounds are undecided, not violations`;
}

/** In words, the waits that went past their fixed bound, or null. */
export function stretchedNote(s: ScenarioResult): string | null {
  const waits = s.machineLoad?.stretchedWaits ?? [];
  if (waits.length === 0) return null;
  const longest = [...waits].sort((a, b) => b.waitedMs - a.waitedMs)[0]!;
  return `${waits.length} wait${waits.length === 1 ? '' : 's'} went past the fixed bound (longest: ${longest.what}, ${(longest.waitedMs / 1000).toFixed(1)} s of ${(longest.boundMs / 1000).toFixed(0)} s, because ${longest.reason})`;
}
