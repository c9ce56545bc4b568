/**
 * Runs a fault schedule against a live cluster: each fault starts at its offset from the
 * load's start, resolves its target then (the leader *at that moment*), is applied through
 * the fault plane or the process supervisor, and is reverted after its duration. Every
 * fault that fires is recorded with its real start and end; a fault whose target cannot be
 * resolved is recorded as skipped with the reason, and one that cannot be applied fails the
 * run (FaultError) instead of passing for a no-op.
 */
import type { Random } from '../../nodes/common/random.js';
import { monoNs } from '../../nodes/common/clock.js';
import { HookRefused, type Cluster } from '../cluster.js';
import type { FaultSpec } from '../../contracts/scenario.js';
import type { FaultRecord } from '../../contracts/results.js';
import type { FaultPlane } from './plane.js';
import { linksTouching, allLinks, partitionFocus, partitionLinks, settleFocus } from './topology.js';
import { losePower } from './power-loss.js';
import type { Failpoint } from '../../nodes/common/failpoints.js';

export class FaultError extends Error {}

/** How long a crash at a failpoint waits for the node to reach it before it is killed where it is. */
export const FAILPOINT_WAIT_MS = 1500;

export class FaultRunner {
  readonly records: FaultRecord[];
  private readonly reverts = new Map<number, () => Promise<void>>();
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private stopped = false;
  /** How many times each node has been crashed: a restart another crash interrupted is superseded, not failed. */
  private readonly crashes = new Map<string, number>();

  constructor(
    schedule: readonly FaultSpec[],
    private readonly cluster: Cluster,
    private readonly plane: FaultPlane | null,
    private readonly random: Random,
    private readonly originNs: number,
    private readonly log: (line: string) => void,
  ) {
    this.records = schedule.map((spec, id) => ({ id, kind: spec.kind, spec, status: 'pending', targets: [], links: [] }));
  }

  private nowMs(): number {
    return (Number(monoNs()) - this.originNs) / 1e6;
  }

  active(): FaultRecord[] {
    return this.records.filter((r) => r.status === 'active');
  }

  /** Fire the whole schedule; resolves when every fault has ended (or the runner is stopped). */
  async run(): Promise<void> {
    await Promise.all(this.records.map((r) => this.fire(r)));
  }

  /** Sleep until `ms` after the origin; stop() wakes every sleeper at once. */
  private sleepUntil(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, Math.max(0, ms - this.nowMs()));
      this.timers.set(t, resolve);
    });
  }

  private async fire(record: FaultRecord): Promise<void> {
    await this.sleepUntil(record.spec.at);
    if (this.stopped) return;
    try {
      let requested = 0;
      const revert = await this.apply(record, () => (requested = this.nowMs()));
      if (!revert) return;
      record.startMs = Math.round(this.nowMs());
      record.applyMs = Math.round(this.nowMs() - requested);
      record.status = 'active';
      this.log(`fault #${record.id} ${describe(record)} started`);
      this.reverts.set(record.id, revert);
      if (this.stopped) {
        // stop() ran while this fault was being applied: end it now rather than leave it in force.
        await this.end(record);
        return;
      }
      // Resolving a target (e.g. waiting for a leader) may delay the start: the fault still lasts its full duration.
      await this.sleepUntil(record.startMs! + record.spec.duration);
      await this.end(record); // a no-op when stop() already ended it
    } catch (err) {
      record.status = 'failed';
      record.reason = err instanceof Error ? err.message : String(err);
      throw new FaultError(`fault #${record.id} (${record.kind}) could not be applied: ${record.reason}`);
    }
  }

  private async end(record: FaultRecord): Promise<void> {
    const revert = this.reverts.get(record.id);
    if (!revert) return;
    this.reverts.delete(record.id);
    record.endMs = Math.round(this.nowMs());
    await revert();
    record.status = 'done';
    this.log(`fault #${record.id} ${record.kind} ended after ${record.endMs - record.startMs!} ms`);
  }

  private skip(record: FaultRecord, reason: string): null {
    record.status = 'skipped';
    record.reason = reason;
    record.startMs = Math.round(this.nowMs());
    this.log(`fault #${record.id} ${record.kind} skipped: ${reason}`);
    return null;
  }

  /** The node a target names now, or null with a reason. */
  private async resolveNodes(target: FaultSpec['target']): Promise<string[] | string> {
    const ids = this.cluster.ids;
    const up = ids.filter((id) => this.cluster.isUp(id));
    if (Array.isArray(target)) {
      const unknown = target.filter((t) => !ids.includes(t));
      if (unknown.length) throw new FaultError(`unknown node(s) ${unknown.join(', ')}`);
      return target;
    }
    switch (target) {
      case 'leader':
      case 'coordinator': {
        const leaderless = this.cluster.spec.system?.leaderless();
        if (leaderless) return leaderless;
        const deadline = Date.now() + 5000;
        while (Date.now() < deadline && !this.stopped) {
          const leader = await this.cluster.leader({ whileMajorityDown: true });
          if (leader && this.cluster.isUp(leader)) return [leader];
          await new Promise((r) => setTimeout(r, 50));
        }
        return `no ${target} agreed by a majority within 5 s`;
      }
      case 'random':
        return up.length ? [this.random.pick(up)] : 'no live node';
      case 'majority':
      case 'follower-majority':
      case 'followers': {
        const k = target === 'followers' ? ids.length : Math.floor(ids.length / 2) + 1;
        const leader = target !== 'majority' && !this.cluster.spec.system?.leaderless() ? await this.cluster.leader() : null;
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
        if (!ids.includes(target)) throw new FaultError(`unknown node ${target}`);
        return [target];
    }
  }

  /** After the kill -9: each node's files back to what it had synced (power-loss.ts). */
  private cutUnsynced(record: FaultRecord, nodes: readonly string[]): void {
    record.lostBytes = 0;
    for (const id of nodes) {
      const dir = this.cluster.node(id).dataDir;
      const cuts = dir ? losePower(dir, this.random) : null;
      if (cuts === null) {
        record.reason = `${id} keeps no durability ledger (durable.json): it lost only its memory, as in a kill -9`;
        continue;
      }
      for (const c of cuts) record.lostBytes += c.lost;
    }
  }

  /**
   * Each node dies at `point` of its next fsync (POST /failpoint), or where it is after
   * FAILPOINT_WAIT_MS if it reached none (an idle node syncs nothing); the record says which.
   */
  private async crashAtFailpoint(record: FaultRecord, nodes: readonly string[], point: Failpoint): Promise<void> {
    const outcomes = await Promise.all(nodes.map(async (id) => [id, await this.cluster.crashAt(id, point, FAILPOINT_WAIT_MS)] as const));
    const missed = outcomes.filter(([, how]) => how === 'killed').map(([id]) => id);
    if (missed.length > 0) record.reason = `${missed.join(', ')} reached no ${point} within ${FAILPOINT_WAIT_MS} ms: killed where ${missed.length > 1 ? 'they were' : 'it was'}`;
  }

  /** The nodes a process fault's target names now that are up; null (the fault skipped, with the reason) when none is. */
  private async liveTargets(record: FaultRecord, target: FaultSpec['target']): Promise<string[] | null> {
    const nodes = await this.resolveNodes(target);
    if (typeof nodes === 'string') return this.skip(record, nodes);
    const live = nodes.filter((id) => this.cluster.isUp(id));
    return live.length > 0 ? live : this.skip(record, `${nodes.join(', ')} already down`);
  }

  private needPlane(kind: string): FaultPlane {
    if (!this.plane) throw new FaultError(`${kind} needs the fault plane (link proxies), which this run does not have`);
    return this.plane;
  }

  /**
   * Apply a fault; returns how to revert it, or null when it was skipped. `starting` is
   * called once the targets are resolved, just before the fault begins to take effect.
   */
  private async apply(record: FaultRecord, starting: () => void): Promise<(() => Promise<void>) | null> {
    const spec = record.spec;
    const toxic = `parley-${record.id}`;
    if (spec.kind === 'crash' || spec.kind === 'leader-crash' || spec.kind === 'pause') {
      const live = await this.liveTargets(record, spec.kind === 'leader-crash' ? 'leader' : spec.target);
      if (!live) return null;
      record.targets = live;
      starting();
      if (spec.kind === 'pause') {
        for (const id of live) this.cluster.pause(id);
        return async () => {
          for (const id of live) this.cluster.resume(id);
        };
      }
      // A node still starting after an earlier crash counts as up: crashing it mid-recovery is
      // a fault worth having (overlapping schedules make it), and that earlier restart is then
      // superseded by this crash's own, not failed.
      const generation = new Map(live.map((id) => [id, (this.crashes.get(id) ?? 0) + 1]));
      for (const [id, g] of generation) this.crashes.set(id, g);
      if (spec.point) await this.crashAtFailpoint(record, live, spec.point);
      else await Promise.all(live.map((id) => this.cluster.crash(id)));
      if (spec.mode === 'power-loss') this.cutUnsynced(record, live);
      return async () => {
        const superseded: string[] = [];
        await Promise.all(
          live.map(async (id) => {
            // Two overlapping crashes of one node both revert: the first restart serves for both.
            // Running is what counts, not up: another fault may hold the restarted node paused.
            if (this.cluster.isRunning(id)) {
              superseded.push(id);
              return;
            }
            try {
              await this.cluster.restart(id);
            } catch (err) {
              if (this.crashes.get(id) === generation.get(id)) throw err;
              superseded.push(id);
            }
          }),
        );
        if (superseded.length > 0) record.reason = `${superseded.sort().join(', ')} crashed by overlapping faults: restarted by another of them`;
        record.recoveredMs = Math.round(this.nowMs());
      };
    }

    if (spec.kind === 'clock') {
      const live = await this.liveTargets(record, spec.target);
      if (!live) return null;
      starting();
      // The node ends the fault itself after its duration (a paused or cut-off node cannot be
      // told); the revert says so again to those it can reach. A jump is not undone: a
      // monotonic clock never runs back. A node crashed meanwhile restarted on a fresh clock.
      // A node that does not answer (still starting after a crash) is left out; one that
      // answers with a refusal has no clock hook, and the run fails rather than pass a no-op.
      const skewed = await Promise.all(
        live.map((id) =>
          this.cluster.skewClock(id, { rate: spec.clockRate, jumpMs: spec.clockJumpMs, forMs: spec.duration }).then(
            () => id,
            (err: unknown) => {
              if (err instanceof HookRefused) throw err;
              return null;
            },
          ),
        ),
      );
      record.targets = skewed.filter((id): id is string => id !== null);
      if (record.targets.length === 0) return this.skip(record, `${live.join(', ')} did not answer POST /clock`);
      const targets = record.targets;
      return async () => {
        await Promise.all(targets.filter((id) => this.cluster.isUp(id)).map((id) => this.cluster.skewClock(id, { rate: 1, jumpMs: 0 }).catch(() => undefined)));
      };
    }

    const plane = this.needPlane(spec.kind);
    const ids = this.cluster.ids;
    if (spec.kind === 'partition') {
      const around = partitionFocus(spec);
      const focus = settleFocus(spec.shape, around === null ? null : await this.resolveNodes(around));
      if ('skip' in focus) return this.skip(record, focus.skip);
      if (focus.note) record.reason = focus.note;
      const cut = partitionLinks(spec.shape, ids, focus.focus, this.random);
      record.links = cut.links;
      record.groups = cut.groups;
      record.targets = cut.around ?? [];
      if (cut.links.length === 0) return this.skip(record, `a ${spec.shape} partition of ${ids.length} nodes cuts no link`);
      starting();
      if (spec.mode === 'disable') {
        await plane.disable(cut.links);
        return () => plane.enable(cut.links);
      }
      await plane.addToxic(cut.links, { name: toxic, type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });
      return () => plane.removeToxic(cut.links, toxic);
    }

    const nodes = await this.resolveNodes(spec.target);
    if (typeof nodes === 'string') return this.skip(record, nodes);
    const links = spec.target === 'all' ? allLinks(ids) : linksTouching(ids, nodes);
    record.targets = spec.target === 'all' ? [] : nodes;
    record.links = links;
    starting();
    switch (spec.kind) {
      case 'latency':
        await plane.addToxic(links, { name: toxic, type: 'latency', stream: 'upstream', attributes: { latency: Math.round(spec.latencyMs), jitter: Math.round(spec.jitterMs) } });
        break;
      case 'bandwidth':
        await plane.addToxic(links, { name: toxic, type: 'bandwidth', stream: 'upstream', attributes: { rate: Math.round(spec.rateKBps) } });
        break;
      case 'drop':
        // A black hole on a share of the connections: Toxiproxy decides toxicity per connection.
        await plane.addToxic(links, { name: toxic, type: 'timeout', stream: 'upstream', toxicity: spec.probability, attributes: { timeout: 0 } });
        break;
      case 'reset':
        if (spec.afterBytes > 0) await plane.addToxic(links, { name: toxic, type: 'limit_data', stream: 'upstream', toxicity: spec.probability, attributes: { bytes: spec.afterBytes } });
        else await plane.addToxic(links, { name: toxic, type: 'reset_peer', stream: 'upstream', toxicity: spec.probability, attributes: { timeout: 0 } });
        break;
    }
    return () => plane.removeToxic(links, toxic);
  }

  /** End every active fault now (the load is over, Ctrl-C, or a node died). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const [t, wake] of this.timers) {
      clearTimeout(t);
      wake();
    }
    this.timers.clear();
    const active = this.records.filter((r) => this.reverts.has(r.id));
    for (const r of active) await this.end(r).catch((err) => this.log(`could not end fault #${r.id}: ${(err as Error).message}`));
    for (const r of this.records) {
      if (r.status !== 'pending') continue;
      r.status = 'skipped';
      r.reason = 'the load ended before it was due';
    }
  }
}

export function describe(r: FaultRecord): string {
  const s = r.spec;
  const on = r.targets.length ? ` on ${r.targets.join(',')}` : r.links.length ? ` on ${r.links.length} links` : '';
  switch (s.kind) {
    case 'partition':
      return `partition ${s.shape} (${s.mode})${on}`;
    case 'latency':
      return `latency ${s.latencyMs}±${s.jitterMs} ms${on}`;
    case 'drop':
      return `drop p=${s.probability}${on}`;
    case 'reset':
      return `${s.afterBytes > 0 ? `close after ${s.afterBytes} B` : 'reset'} p=${s.probability}${on}`;
    case 'bandwidth':
      return `bandwidth ${s.rateKBps} KB/s${on}`;
    case 'clock':
      return `clock ${s.clockRate}x${s.clockJumpMs > 0 ? ` +${s.clockJumpMs} ms` : ''}${on}`;
    case 'crash':
    case 'leader-crash':
      return `${s.kind}${s.mode === 'power-loss' ? ' (power loss)' : ''}${s.point ? ` at ${s.point}` : ''}${on}`;
    default:
      return `${s.kind}${on}`;
  }
}
