/**
 * The fault schedule of a scenario, carried out on a simulated cluster with the semantics
 * of the real fault runner (harness/faults/runner.ts): each fault starts at its offset from
 * the load's start, resolves its target then (the leader at that moment), takes effect,
 * and is reverted after its duration; the records have the same shape, so results.json and
 * the report read them alike. Link faults become the same toxics the fault plane adds,
 * applied to the simulated links (network.ts).
 */
import type { Random } from '../../../nodes/common/random.js';
import type { FaultSpec } from '../../../contracts/scenario.js';
import type { FaultRecord } from '../../../contracts/results.js';
import { allLinks, linksTouching, partitionFocus, partitionLinks, settleFocus } from '../../faults/topology.js';
import type { SimCluster } from './cluster.js';
import type { Link, Toxic } from './network.js';

export class SimFaultRunner {
  readonly records: FaultRecord[];
  private readonly reverts = new Map<number, () => void>();
  /** Nodes that refused to start again after a fault (a log they cannot recover). */
  readonly startFailures: { node: string; reason: string; atMs: number }[] = [];

  constructor(
    schedule: readonly FaultSpec[],
    private readonly cluster: SimCluster,
    private readonly random: Random,
    private readonly originMs: number,
  ) {
    this.records = schedule.map((spec, id) => ({ id, kind: spec.kind, spec, status: 'pending', targets: [], links: [] }));
  }

  private nowMs(): number {
    return this.cluster.sched.now - this.originMs;
  }

  /** Schedule every fault on the cluster's clock. */
  start(): void {
    for (const r of this.records) this.cluster.sched.at(this.originMs + r.spec.at, () => this.fire(r, this.originMs + r.spec.at + 5000));
  }

  active(): FaultRecord[] {
    return this.records.filter((r) => r.status === 'active');
  }

  private fire(record: FaultRecord, giveUpAt: number): void {
    if (record.status !== 'pending') return;
    const needsLeader = record.spec.kind === 'leader-crash' || record.spec.target === 'leader' || record.spec.target === 'coordinator' || (record.spec.kind === 'partition' && record.spec.shape === 'isolate-leader');
    if (needsLeader && this.cluster.leader() === null && this.cluster.sched.now < giveUpAt) {
      // The real runner polls for a leader for up to 5 s before it skips the fault.
      this.cluster.sched.after(50, () => this.fire(record, giveUpAt));
      return;
    }
    const revert = this.apply(record);
    if (!revert) return;
    record.startMs = Math.round(this.nowMs());
    record.applyMs = 0;
    record.status = 'active';
    this.reverts.set(record.id, revert);
    this.cluster.sched.after(record.spec.duration, () => this.end(record));
  }

  private end(record: FaultRecord): void {
    const revert = this.reverts.get(record.id);
    if (!revert) return;
    this.reverts.delete(record.id);
    record.endMs = Math.round(this.nowMs());
    revert();
    record.status = 'done';
  }

  private skip(record: FaultRecord, reason: string): null {
    record.status = 'skipped';
    record.reason = reason;
    record.startMs = Math.round(this.nowMs());
    return null;
  }

  private resolveNodes(target: FaultSpec['target']): string[] | string {
    const ids = this.cluster.ids;
    const up = ids.filter((id) => this.cluster.isUp(id));
    if (Array.isArray(target)) {
      const unknown = target.filter((t) => !ids.includes(t));
      return unknown.length ? `unknown node(s) ${unknown.join(', ')}` : target;
    }
    switch (target) {
      case 'leader':
      case 'coordinator': {
        const leader = this.cluster.leader();
        return leader ? [leader] : `no ${target} agreed by a majority within 5 s`;
      }
      case 'random':
        return up.length ? [this.random.pick(up)] : 'no live node';
      case 'majority':
      case 'follower-majority':
      case 'followers': {
        const k = target === 'followers' ? ids.length : Math.floor(ids.length / 2) + 1;
        const leader = target === 'majority' ? null : this.cluster.leader();
        const pool = up.filter((id) => id !== leader);
        return pool.length ? this.random.sample(pool, Math.min(k, pool.length)) : 'no live node';
      }
      case 'random-minority': {
        const k = Math.floor((ids.length - 1) / 2);
        return k > 0 && up.length ? this.random.sample(up, Math.min(k, up.length)) : 'the cluster has no minority';
      }
      case 'all':
      case 'minority-links':
        return ids;
      default:
        return ids.includes(target) ? [target] : `unknown node ${target}`;
    }
  }

  private links(names: readonly string[]): Link[] {
    return names.map((name) => {
      const [from, to] = name.split('->') as [string, string];
      return this.cluster.net.link(from, to);
    });
  }

  private apply(record: FaultRecord): (() => void) | null {
    const spec = record.spec;
    const c = this.cluster;
    if (spec.kind === 'crash' || spec.kind === 'leader-crash' || spec.kind === 'pause' || spec.kind === 'clock') {
      const nodes = this.resolveNodes(spec.kind === 'leader-crash' ? 'leader' : spec.target);
      if (typeof nodes === 'string') return this.skip(record, nodes);
      const powerLoss = spec.mode === 'power-loss' && spec.kind !== 'pause' && spec.kind !== 'clock';
      // A power loss also hits a machine whose process is already down: its files lose what was unsynced.
      const hit = powerLoss ? nodes : nodes.filter((id) => c.isUp(id));
      if (hit.length === 0) return this.skip(record, `${nodes.join(', ')} already down`);
      record.targets = hit;
      if (spec.kind === 'pause') {
        const paused = hit.filter((id) => !c.node(id).paused);
        for (const id of paused) c.node(id).pause();
        return () => {
          for (const id of paused) c.node(id).resume();
        };
      }
      if (spec.kind === 'clock') {
        for (const id of hit) c.node(id).setClock(spec.clockRate, spec.clockJumpMs);
        return () => {
          for (const id of hit) if (c.isUp(id)) c.node(id).setClock(1);
        };
      }
      const before = hit.reduce((s, id) => s + c.node(id).stats.bytesLostToPower, 0);
      // Kill -9 at once. A power loss strikes each machine in the middle of a sync when one
      // comes within 20 ms (the state a durability bug needs), at the latest after that.
      // (A strike after the fault ended finds it gone from `reverts`: the power came back first.)
      for (const id of hit) {
        if (!powerLoss) {
          c.crash(id, false);
          continue;
        }
        c.node(id).duringSync(20, this.random, () => {
          if (this.reverts.has(record.id)) {
            c.crash(id, true);
            record.lostBytes = hit.reduce((s, x) => s + c.node(x).stats.bytesLostToPower, 0) - before;
          }
        });
      }
      if (powerLoss) record.lostBytes = 0;
      return () => {
        for (const id of hit) {
          if (c.isUp(id)) continue;
          if (!c.restart(id)) this.startFailures.push({ node: id, reason: c.node(id).startFailure ?? 'did not start', atMs: Math.round(this.nowMs()) });
        }
        record.recoveredMs = Math.round(this.nowMs());
      };
    }

    const ids = c.ids;
    const toxicId = record.id + 1;
    if (spec.kind === 'partition') {
      const around = partitionFocus(spec);
      const focus = settleFocus(spec.shape, around === null ? null : this.resolveNodes(around));
      if ('skip' in focus) return this.skip(record, focus.skip);
      if (focus.note) record.reason = focus.note;
      const cut = partitionLinks(spec.shape, ids, focus.focus, this.random);
      record.links = cut.links;
      record.groups = cut.groups;
      record.targets = cut.around ?? [];
      if (cut.links.length === 0) return this.skip(record, `a ${spec.shape} partition of ${ids.length} nodes cuts no link`);
      const links = this.links(cut.links);
      if (spec.mode === 'disable') {
        c.net.disable(links);
        return () => c.net.enable(links);
      }
      c.net.addToxic(links, { id: toxicId, kind: 'blackhole', probability: 1 });
      return () => c.net.removeToxic(links, toxicId);
    }

    let names: string[];
    if (spec.target === 'random-links') {
      names = this.random.sample(allLinks(ids), this.random.int(1, ids.length));
      record.targets = [];
    } else {
      const nodes = this.resolveNodes(spec.target);
      if (typeof nodes === 'string') return this.skip(record, nodes);
      names = spec.target === 'all' ? allLinks(ids) : linksTouching(ids, nodes);
      record.targets = spec.target === 'all' ? [] : nodes;
    }
    record.links = names;
    const links = this.links(names);
    let toxic: Toxic;
    switch (spec.kind) {
      case 'latency':
        toxic = { id: toxicId, kind: 'latency', probability: 1, latencyMs: Math.round(spec.latencyMs), jitterMs: Math.round(spec.jitterMs) };
        break;
      case 'bandwidth':
        toxic = { id: toxicId, kind: 'bandwidth', probability: 1, rateKBps: Math.round(spec.rateKBps) };
        break;
      case 'drop':
        toxic = { id: toxicId, kind: 'blackhole', probability: spec.probability };
        break;
      case 'reset':
        toxic = { id: toxicId, kind: 'reset', probability: spec.probability, afterBytes: spec.afterBytes };
        break;
    }
    c.net.addToxic(links, toxic);
    return () => c.net.removeToxic(links, toxicId);
  }

  /** End every active fault now, and mark the rest as never due (the load is over). */
  stop(): void {
    for (const r of this.records) if (this.reverts.has(r.id)) this.end(r);
    for (const r of this.records) {
      if (r.status !== 'pending') continue;
      r.status = 'skipped';
      r.reason = 'the load ended before it was due';
    }
  }
}
