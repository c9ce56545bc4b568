/**
 * A simulated cluster: nodes, their network and their disks on one scheduler, with the
 * same verbs the real Cluster and fault plane have (crash, power loss, pause, restart, who
 * leads), and the traces the checkers read (applied writes, 2PC commit events).
 */
import type { AppliedWrite, NodeId } from '../../../nodes/common/core.js';
import type { Algorithm } from '../../../nodes/common/runtime.js';
import type { RuntimeOptions } from '../../../nodes/common/options.js';
import { Random } from '../../../nodes/common/random.js';
import type { AppliedRecord } from '../../../workloads/checkers/convergence.js';
import type { CommitEvent } from '../../../workloads/checkers/atomicity.js';
import { isLeaderEvent, isRecoveredEvent, type LeaderEvent, type RecoveredEvent } from '../../../workloads/checkers/log-safety.js';
import type { Scalar } from '../../../workloads/history.js';
import { Scheduler } from './scheduler.js';
import { SimNetwork } from './network.js';
import { SimNode } from './node.js';
import { sampleDelay, type DelayModel } from './delay.js';

export interface SimClusterSpec {
  ids: NodeId[];
  algorithm: Algorithm;
  algoOptions: Record<string, unknown>;
  runtime: RuntimeOptions;
  seed: number;
  net: DelayModel;
  sync: DelayModel;
}

export class SimCluster {
  readonly sched = new Scheduler();
  readonly net: SimNetwork;
  readonly nodes: SimNode[];
  readonly applied: AppliedRecord[] = [];
  readonly commitEvents: CommitEvent[] = [];
  /** Raft's `leader` events, for the election-safety check. */
  readonly leaderEvents: LeaderEvent[] = [];
  readonly recoveredEvents: RecoveredEvent[] = [];
  /** Nodes that died of an exception (a failed invariant), with when and why. */
  readonly fatal: { node: NodeId; atMs: number; error: string }[] = [];
  /** Called when a node crashes, so client connections to it fail (clients.ts). */
  onCrash: (id: NodeId) => void = () => undefined;
  private readonly byId = new Map<NodeId, SimNode>();
  private readonly crashRandom: Random;

  constructor(readonly spec: SimClusterSpec) {
    const { seed } = spec;
    this.crashRandom = Random.derive(seed, 'sim:crash');
    this.net = new SimNetwork(this.sched, Random.derive(seed, 'sim:net'), spec.net, {
      heartbeatMs: spec.runtime.linkHeartbeatMs,
      deadAfterMs: spec.runtime.linkDeadMs,
      maxBufferedBytes: spec.runtime.maxBufferedBytes,
      lazy: spec.runtime.linkDial === 'lazy',
      idleMs: spec.runtime.linkIdleMs,
    });
    const diskRandom = Random.derive(seed, 'sim:disk');
    const syncMs = () => (spec.runtime.fsync ? sampleDelay(spec.sync, diskRandom) : 0);
    const traces = {
      applied: (node: NodeId, applied: readonly AppliedWrite[], tNs: number) => {
        for (let i = 0; i < applied.length; i++) {
          const a = applied[i]!;
          const rec: AppliedRecord = { node, key: a.key, value: a.value as Scalar, t: tNs + i };
          if (a.version !== undefined) rec.version = a.version;
          if (a.at !== undefined) rec.at = a.at;
          this.applied.push(rec);
        }
      },
      events: (node: NodeId, events: readonly Record<string, unknown>[], tNs: number) => {
        for (const e of events) {
          // What the runtime's events.jsonl carries, after a JSON round trip.
          const row = JSON.parse(JSON.stringify({ ...e, node, t: tNs })) as Record<string, unknown>;
          if (typeof row.txid === 'string' && typeof row.event === 'string') this.commitEvents.push(row as unknown as CommitEvent);
          else if (isLeaderEvent(row)) this.leaderEvents.push(row as unknown as LeaderEvent);
          else if (isRecoveredEvent(row)) this.recoveredEvents.push(row as unknown as RecoveredEvent);
        }
      },
    };
    const members: readonly NodeId[] = Object.freeze([...spec.ids]);
    this.nodes = spec.ids.map((id) => {
      const node = new SimNode(
        {
          id,
          members,
          algorithm: spec.algorithm,
          algoOptions: spec.algoOptions,
          runtime: spec.runtime,
          seed: spec.runtime.seed ?? Random.derive(seed, `node:${id}`).int(0, 2 ** 31 - 1),
          syncMs,
        },
        this.sched,
        this.net,
        traces,
      );
      node.onFatal = (error) => {
        this.fatal.push({ node: id, atMs: Math.round(this.sched.now), error: error instanceof Error ? error.message : String(error) });
        this.crash(id, false);
      };
      this.byId.set(id, node);
      return node;
    });
  }

  get ids(): NodeId[] {
    return this.spec.ids;
  }

  node(id: NodeId): SimNode {
    const n = this.byId.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  isUp(id: NodeId): boolean {
    return this.node(id).up;
  }

  /** Start every node; the names of those that could not (a log they refuse to recover). */
  startAll(): string[] {
    return this.nodes.filter((n) => !n.start()).map((n) => n.id);
  }

  crash(id: NodeId, powerLoss: boolean): void {
    const n = this.node(id);
    const wasUp = n.up;
    // A kill -9 closes the sockets (FIN after the send buffer, or RST): what was sent may still arrive.
    // A machine that loses power closes nothing: take the conservative side, everything in flight is lost.
    n.crash(powerLoss, !powerLoss && this.crashRandom.chance(0.5), this.crashRandom);
    if (wasUp) this.onCrash(id);
  }

  /** Restart a crashed node on its data; false when it refuses to start. */
  restart(id: NodeId): boolean {
    return this.node(id).start();
  }

  /**
   * The leader a majority of the live nodes name, if that node says it leads (as the real
   * Cluster.leader and waitForLeader decide it).
   */
  leader(): NodeId | null {
    const votes = new Map<string, number>();
    for (const n of this.nodes) {
      const leader = n.status()?.leader;
      if (typeof leader === 'string') votes.set(leader, (votes.get(leader) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestVotes = 0;
    for (const [id, count] of votes) if (count > bestVotes) [best, bestVotes] = [id, count];
    if (best === null || bestVotes <= this.nodes.length / 2 || !this.byId.has(best)) return null;
    const role = this.node(best).status()?.role;
    return role === 'leader' || role === 'coordinator' ? best : null;
  }

  /** Run the simulation until `pred` holds (checked every `stepMs`) or `maxMs` passes; whether it held. */
  waitFor(pred: () => boolean, maxMs: number, stepMs = 10): boolean {
    const end = this.sched.now + maxMs;
    while (this.sched.now < end) {
      if (pred()) return true;
      this.sched.runUntil(Math.min(end, this.sched.now + stepMs));
    }
    return pred();
  }
}
