/**
 * What a workload is to the run loop: a generator of operations (with the client calls
 * that perform them and how each outcome enters the history), the writes it counts for
 * availability, the keys to read back after the faults heal, and the checkers it relies
 * on. One file per workload (kv.ts, bank.ts, dissemination.ts, list-append.ts), each
 * self-contained.
 */
import type { Random } from '../nodes/common/random.js';
import type { ClientOp } from '../nodes/common/core.js';
import type { WorkloadSpec } from './spec.js';
import type { Verdict } from './checkers/verdict.js';
import type { HistoryEvent } from './history.js';
import type { NodeClient } from './client.js';
import type { Invocation, OpSource } from './load.js';
import type { AppliedRecord, ConvergenceInput, SettleReport } from './checkers/convergence.js';
import type { LoadSample } from './checkers/starvation.js';
import type { CommitEvent } from './checkers/atomicity.js';
import type { Key, Scalar } from './history.js';

/** After the faults heal, every acknowledged write must be on every live node within this bound. */
export const CONVERGENCE_BOUND_MS = 10_000;

/**
 * The bound for a configuration: an anti-entropy interval set longer than the default
 * stretches it to five intervals (a node may be repaired only by the rounds that pick it),
 * so a slow but configured repair is not a violation.
 */
export function convergenceBoundMs(options: Readonly<Record<string, unknown>>): number {
  const interval = typeof options.antiEntropyIntervalMs === 'number' ? options.antiEntropyIntervalMs : 0;
  return Math.max(CONVERGENCE_BOUND_MS, 5 * interval);
}

export interface WorkloadContext {
  spec: WorkloadSpec;
  /** Number of nodes clients may talk to. */
  nodes: number;
  random: Random;
  /** Which node a process sends to now (spread over nodes, or the current leader). */
  nodeFor(process: number): number;
}

export interface CheckInput {
  history: readonly HistoryEvent[];
  /** Node traces: when each node first held each value, and 2PC's commit events. */
  applied: readonly AppliedRecord[];
  commitEvents: readonly CommitEvent[];
  /** Per live node, what it answered for each key read back after the faults healed. */
  finalByNode: Record<string, Record<string, Scalar>>;
  /** When the last fault ended (history clock, ns), if any. */
  healedAt?: number;
  /** Final reads that never succeeded (node, key): unknown, not null. */
  unread?: readonly { node: string; key: Key }[];
  /** How the replicas settled before the final reads (eventually consistent algorithms). */
  settle?: SettleReport;
  /** The machine's load over the run: timing judgements made while it was starved are undecided, not violations. */
  machine?: readonly LoadSample[];
  timeLimitMs: number;
  /** The convergence bound for this configuration (convergenceBoundMs); default CONVERGENCE_BOUND_MS. */
  convergenceBoundMs?: number;
  /** The algorithm answers reads from a local replica (gossip): no linearizability is promised. */
  eventual: boolean;
  algo: string;
}

export interface Workload {
  name: WorkloadSpec['type'];
  /**
   * Operations that put the system in its opening state before the load (bank balances).
   * Each must succeed once; they are idempotent, so any other outcome is retried.
   */
  setupOps?(ctx: WorkloadContext): ClientOp[];
  source(ctx: WorkloadContext): OpSource;
  /** Operations that change state: availability counts successful ones. */
  isWrite(f: string): boolean;
  /**
   * Reads to send to `node` once the cluster is healthy again (Jepsen's final reads): they
   * enter the history, and their results are the node's final state for the checkers.
   * `source` is the load's own source, which knows the keys written when they change
   * during the run (independent keys).
   */
  finalOps(spec: WorkloadSpec, node: number, source?: OpSource): Invocation[];
  check(input: CheckInput, spec: WorkloadSpec): Verdict[];
  /** Checker names this algorithm does not promise, so their verdicts are informational. */
  informational(eventual: boolean): string[];
}

/** A bound on a wait that the harness may stretch while the machine is starved (harness/cluster.ts, Stretchable). */
export interface SetupDeadline {
  goOn(): boolean;
  done(): void;
  describe(): string;
}

/** A fixed bound, for callers without a machine to watch. */
function fixedDeadline(boundMs: number): SetupDeadline {
  const deadline = Date.now() + boundMs;
  return { goOn: () => Date.now() < deadline, done: () => undefined, describe: () => `${boundMs} ms` };
}

/**
 * Run a workload's setup operations until each succeeds (30 s each, which `deadline` may
 * stretch: a starved machine makes the opening write slow, not the run wrong).
 */
export async function runSetup(
  workload: Workload, client: NodeClient, ctx: WorkloadContext, deadline: (what: string, boundMs: number) => SetupDeadline = (_, ms) => fixedDeadline(ms),
): Promise<void> {
  for (const op of workload.setupOps?.(ctx) ?? []) {
    const bound = deadline(`the workload's setup (${op.f})`, 30_000);
    for (let attempt = 0; ; attempt++) {
      const o = await client.invoke(ctx.nodeFor(attempt), op);
      if (o.type === 'ok') break;
      if (!bound.goOn()) throw new Error(`the workload's setup (${op.f}) did not succeed within ${bound.describe()}: ${o.status} ${o.error ?? ''}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    bound.done();
  }
}

/** What the convergence checker needs from a run: the traces, the final state, how the replicas settled, the machine's load. */
export function convergenceInput(input: CheckInput): ConvergenceInput {
  return {
    history: input.history, applied: input.applied, final: input.finalByNode, boundMs: input.convergenceBoundMs ?? CONVERGENCE_BOUND_MS,
    ...(input.healedAt !== undefined && { healedAt: input.healedAt }),
    ...(input.unread && { unread: input.unread }),
    ...(input.settle && { settle: input.settle }),
    ...(input.machine && { machine: input.machine }),
  };
}
