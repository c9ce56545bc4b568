/**
 * What a workload is to the run loop: a generator of operations (with the client calls
 * that perform them and how each outcome enters the history), the writes it counts for
 * availability, the keys to read back after the faults heal, and the checkers it relies
 * on. One file per workload (kv.ts, bank.ts, dissemination.ts), each self-contained.
 */
import type { Random } from '../nodes/common/random.js';
import type { WorkloadSpec } from '../harness/scenario.js';
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
  /** The algorithm answers reads from a local replica (gossip): no linearizability is promised. */
  eventual: boolean;
  algo: string;
}

export interface Workload {
  name: WorkloadSpec['type'];
  /** Put the system in its opening state before the load (bank balances). */
  setup?(client: NodeClient, ctx: WorkloadContext): Promise<void>;
  source(ctx: WorkloadContext): OpSource;
  /** Operations that change state: availability counts successful ones. */
  isWrite(f: string): boolean;
  /**
   * Reads to send to `node` once the cluster is healthy again (Jepsen's final reads): they
   * enter the history, and their results are the node's final state for the checkers.
   */
  finalOps(spec: WorkloadSpec, node: number): Invocation[];
  check(input: CheckInput, spec: WorkloadSpec): Verdict[];
  /** Checker names this algorithm does not promise, so their verdicts are informational. */
  informational(eventual: boolean): string[];
}

export async function workloadByName(name: WorkloadSpec['type']): Promise<Workload> {
  switch (name) {
    case 'kv':
      return (await import('./kv.js')).kv;
    case 'bank':
      return (await import('./bank.js')).bank;
    case 'dissemination':
      return (await import('./dissemination.js')).dissemination;
  }
}

/** What the convergence checker needs from a run: the traces, the final state, how the replicas settled, the machine's load. */
export function convergenceInput(input: CheckInput): ConvergenceInput {
  return {
    history: input.history, applied: input.applied, final: input.finalByNode, boundMs: CONVERGENCE_BOUND_MS,
    ...(input.healedAt !== undefined && { healedAt: input.healedAt }),
    ...(input.unread && { unread: input.unread }),
    ...(input.settle && { settle: input.settle }),
    ...(input.machine && { machine: input.machine }),
  };
}
