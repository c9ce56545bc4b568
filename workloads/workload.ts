/**
 * What a workload is to the run loop: a generator of operations (with the client calls
 * that perform them and how each outcome enters the history), the writes it counts for
 * availability, the keys to read back after the faults heal, and the checkers it relies
 * on. One file per workload (kv.ts, bank.ts, dissemination.ts, list-append.ts), each
 * self-contained.
 */
import type { Random } from '../nodes/common/random.js';
import type { ClientOp } from '../nodes/common/core.js';
import type { WorkloadSpec } from '../harness/scenario.js';
import type { Verdict } from './checkers/verdict.js';
import type { HistoryEvent } from './history.js';
import type { NodeClient } from './client.js';
import type { Invocation, OpSource } from './load.js';
import type { AppliedRecord } from './checkers/convergence.js';
import type { CommitEvent } from './checkers/atomicity.js';
import type { Scalar } from './history.js';

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
  timeLimitMs: number;
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

/** Run a workload's setup operations until each succeeds (30 s each at most). */
export async function runSetup(workload: Workload, client: NodeClient, ctx: WorkloadContext): Promise<void> {
  for (const op of workload.setupOps?.(ctx) ?? []) {
    const deadline = Date.now() + 30_000;
    for (let attempt = 0; ; attempt++) {
      const o = await client.invoke(ctx.nodeFor(attempt), op);
      if (o.type === 'ok') break;
      if (Date.now() > deadline) throw new Error(`the workload's setup (${op.f}) did not succeed: ${o.status} ${o.error ?? ''}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function workloadByName(name: WorkloadSpec['type']): Promise<Workload> {
  switch (name) {
    case 'kv':
      return (await import('./kv.js')).kv;
    case 'bank':
      return (await import('./bank.js')).bank;
    case 'dissemination':
      return (await import('./dissemination.js')).dissemination;
    case 'list-append':
      return (await import('./list-append.js')).listAppend;
  }
}
