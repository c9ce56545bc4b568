/**
 * results.json: the one documented output of a run (docs/results.md), versioned by
 * `schema`. Everything downstream (the HTML report, the terminal summary, JUnit, run
 * comparisons) reads only this. Times inside a scenario are milliseconds from the start of
 * its measured load (warm-up is negative time); latencies are milliseconds.
 *
 * Compatibility rule: a new field may appear in a minor version; removing or changing the
 * meaning of a field bumps the major (`parley.results/2`).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Verdict } from '../workloads/checkers/verdict.js';
import type { Availability, LatencySummary, ThroughputBucket } from '../workloads/metrics.js';
import type { FaultSpec, Scenario } from './scenario.js';
import type { ScaleStudy } from './scale-study.js';

export const RESULTS_SCHEMA = 'parley.results/1';

export interface LatencyBlock {
  overall: LatencySummary;
  byF: Record<string, LatencySummary>;
  /** HdrHistogram percentile curve of all completed operations: [{percentile, ms}]. */
  curve: { percentile: number; ms: number }[];
}

export interface NodeResult {
  id: string;
  /** CPU seconds (user + system) the process used, and its peak resident memory. */
  cpuSeconds: number | null;
  peakRssBytes: number | null;
  /** Messages and bytes this node sent to peers during the measured load. */
  msgsSent: number;
  bytesSent: number;
  fsyncs: number;
  /** Set when the node died without a fault asking for it. */
  unexpectedExit?: { exitCode: number | null; signal: string | null; logTail: string[] };
  /** Up at the end of the run. */
  up: boolean;
}

export interface ConvergenceSummary {
  /** Acknowledged writes that every live node applied, and how long after the ack the last one did. */
  writes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Acknowledged writes some live node never applied (superseded by a newer write first, or lost). */
  incomplete: number;
  /** A sample of per-write convergence times (ms) for the distribution chart (at most 2000). */
  samples: number[];
  /** Measured while the machine was starved: the times are the machine's as much as the algorithm's. */
  starved?: boolean;
}

export interface FailoverSample {
  faultId: number;
  kind: string;
  /**
   * When the fault hit (ms): for a crash or pause when the signal was sent (the fault's
   * startMs - applyMs), for a partition when every link was cut (startMs); and when the
   * next write sent after that was acknowledged.
   */
  crashMs: number;
  nextWriteMs: number | null;
  /** nextWriteMs - crashMs: the unavailability the crash caused. */
  recoveryMs: number | null;
  /** The machine was starved between the crash and that write: the figure is an upper bound on the algorithm's. */
  starved?: boolean;
}

/** How starved the machine was in one phase of a scenario (workloads/checkers/starvation.ts). */
export interface PhaseLoad {
  /** Milliseconds from the start of the measured load (negative: before it). */
  fromMs: number;
  toMs: number;
  starved: boolean;
  /** Of the time the nodes and the harness were ready to run, the share they waited for a CPU (/proc/PID/schedstat); null: not measurable. */
  runQueueWaitShare: number | null;
  /** The harness's event-loop delay (ms). */
  harnessLagP99Ms: number;
  harnessLagMaxMs: number;
  /** The highest event-loop delay p99 a node reported in GET /metrics (ms); null: none reports it. */
  nodeLagP99Ms: number | null;
  /** Runnable processes per core, averaged; the one-minute load average per core, at its highest. */
  runnablePerCore: number;
  loadPerCore: number;
  /** CPU steal share; null: unknown. */
  stealShare: number | null;
  /** The limits crossed, in words (empty: not starved). */
  reasons: string[];
}

export interface MachineLoad {
  /** Any phase starved: its timing figures are marked, and bounds it missed are undecided, not violated. */
  starved: boolean;
  /** The limits a phase must stay under (STARVATION_LIMITS). */
  limits: { runQueueWaitShare: number; harnessLagP99Ms: number; nodeLagP99Ms: number; stealShare: number };
  /** start: from spawning the nodes to the measured load (set-up and warm-up included); load; settle: from healing to the end of the final reads. */
  phases: Partial<Record<'start' | 'load' | 'settle', PhaseLoad>>;
  /** Waits that went past their fixed bound (node start-up, leader election, settling, final reads), and why. */
  stretchedWaits: { what: string; boundMs: number; waitedMs: number; reason: string }[];
}

export interface SettleSummary {
  /** How the wait for the replicas to agree ended (eventually consistent algorithms): see docs/results.md. */
  outcome: 'agreed' | 'stopped-changing' | 'still-changing';
  waitedMs: number;
  boundMs: number;
  quietMs: number;
  /** When a replica's answer last changed, in ms after healing. */
  lastChangeMs: number;
}

export interface OpCounts {
  ok: number;
  fail: number;
  info: number;
  conflict: number;
}

/** Which repeated trial of which scenario this is (parley bench runs each several times). */
export interface TrialInfo {
  /** The scenario's name without the trial number: the same for every trial of it. */
  group: string;
  /** 1-based. */
  index: number;
  of: number;
}

/** Nodes that are not parley's: what ran, and how the fault plane reached their peer traffic. */
export interface SystemFacts {
  kind: 'node-command' | 'etcd';
  /** The node command's template, or the etcd binary. */
  command?: string;
  version?: string;
  /** One proxy per directed link, or one per destination (shared by every sender). */
  links: 'per-link' | 'per-destination';
  /** Which directions of a proxied connection faults act on. */
  streams: 'upstream' | 'both';
  /** What a reader must know to read the figures (how links were separated, what was refused). */
  notes: string[];
}

/** A fault of the schedule, and what became of it (harness/faults/runner.ts fires it; so does the simulator's). */
export interface FaultRecord {
  id: number;
  kind: FaultSpec['kind'];
  spec: FaultSpec;
  status: 'pending' | 'active' | 'done' | 'skipped' | 'failed';
  /** Nodes hit (crash, pause) or whose links are hit. */
  targets: string[];
  links: string[];
  groups?: string[][];
  /** ms from the load's start: when the fault was fully in effect (every proxy changed, the process killed), and when it was reverted. */
  startMs?: number;
  endMs?: number;
  /** How long applying it took, from its targets being resolved to startMs (one Toxiproxy call per link for link faults). */
  applyMs?: number;
  /** crash: when the restarted node answered again. */
  recoveredMs?: number;
  /** crash with mode power-loss: unsynced bytes the nodes' files lost. */
  lostBytes?: number;
  reason?: string;
}

export interface ScenarioResult {
  name: string;
  algo: string;
  workload: string;
  nodes: number;
  /** The fully resolved scenario: replaying it reproduces the run. */
  scenario: Scenario;
  /** The command that reproduces this run. */
  command: string;
  status: 'complete' | 'partial' | 'failed';
  /** Why it is partial or failed (Ctrl-C, a node died, a fault could not be applied). */
  error?: string;
  calibration: { directRttUs: { p50: number; p99: number }; proxiedRttUs: { p50: number; p99: number } | null } | null;
  /** The measured load: from 0 to durationMs. */
  durationMs: number;
  mode: 'closed' | 'open';
  clients: number;
  targetRate: number | null;
  ops: {
    total: number;
    ok: number;
    fail: number;
    info: number;
    neverSent: number;
    /**
     * The same counts per operation type (read, write, cas, transfer...), with `conflict`:
     * of the failures, those answered 409 (a cas whose precondition failed, a transaction
     * aborted by its own rules), as opposed to refusals (503, 504, no answer). Absent in
     * files written before it was added.
     */
    byF?: Record<string, OpCounts>;
  };
  /** Successful operations per second over the measured load. */
  throughput: number;
  throughputOverTime: { bucketMs: number; buckets: ThroughputBucket[] };
  latency: LatencyBlock & {
    /** Before the first fault, while any fault is active, after the last one ends. */
    byPhase: Partial<Record<'before' | 'during' | 'after', LatencyBlock>>;
  };
  availability: Availability;
  faults: FaultRecord[];
  failover: FailoverSample[];
  convergence: ConvergenceSummary | null;
  messages: { total: number; bytes: number; perOk: number; bytesPerOk: number };
  /** Saturation throughput from the autocannon phase, when it ran. */
  maxThroughput: { requestsPerSec: number; p50Ms: number; p99Ms: number; errors: number; non2xx: number; connections: number; durationMs: number } | null;
  nodesDetail: NodeResult[];
  checks: Verdict[];
  /** Checks whose guarantee this algorithm does not promise (gossip is not linearizable): shown, never a failure. */
  informational: string[];
  /** How starved the machine was, per phase. Absent in results written before it was measured. */
  machineLoad?: MachineLoad;
  /** How the replicas settled before the final reads; eventually consistent algorithms only. */
  settle?: SettleSummary;
  /** Files next to results.json. */
  files: { history: string; logs: string };
  /** Set when `parley sim` produced this result: the models it ran under and the simulated time it took. */
  sim?: { net: string; sync: string; simMs: number; events: number; notes: string[] };
  /** Set by `parley bench` when the scenario is one of several trials of the same thing. */
  trial?: TrialInfo;
  /** Present when the nodes were not parley's (a node command, etcd). */
  system?: SystemFacts;
}

/** What machine and revision a figure was measured on (harness/machine.ts gathers it). */
export interface MachineInfo {
  parleyVersion: string;
  gitRevision: string | null;
  node: string;
  platform: string;
  cpuModel: string;
  cpus: number;
  totalMemoryBytes: number;
  loadAverage: number[];
}

/** One parley sim sweep of the nightly suite (harness/sim/nightly.ts runs them). */
export interface SimSweepSummary {
  algo: string;
  workload: string;
  options: Record<string, string | number | boolean>;
  seeds: number;
  verdicts: { valid: number; invalid: number; unknown: number };
  wallMs: number;
  /** Simulated seconds covered, over all seeds. */
  simSeconds: number;
  failing: { seed: number; verdict: 'invalid' | 'unknown'; failed: string[]; summaries: string[]; replay?: string; shrunkReplay?: string }[];
  errors: string[];
}

export interface ResultsFile {
  schema: typeof RESULTS_SCHEMA;
  /** True when the run was cut short; what was measured so far is still here. */
  partial: boolean;
  meta: MachineInfo & {
    startedAt: string;
    finishedAt: string;
    /** argv after `parley`. */
    command: string;
    seed: number;
    suite?: string;
  };
  scenarios: ScenarioResult[];
  /** The nightly suite's parley sim sweeps (harness/sim/nightly.ts): seeds run per algorithm, and every failing seed with its replay command. */
  sim?: SimSweepSummary[];
  /** `parley bench --scale`: the gossip dissemination scale study, simulated to 10,000 nodes beside real processes (harness/scale-study.ts). */
  scale?: ScaleStudy;
}

export function writeResults(dir: string, results: ResultsFile): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'results.json');
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(results, null, 1));
  fs.renameSync(tmp, file);
  return file;
}

export function readResults(file: string): ResultsFile {
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as ResultsFile;
  if (parsed.schema !== RESULTS_SCHEMA) throw new Error(`${file}: schema ${String(parsed.schema)} is not ${RESULTS_SCHEMA}`);
  return parsed;
}
