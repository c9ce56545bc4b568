/**
 * A deterministic in-memory network for pure cores. It runs the same `Core` code the node
 * processes run, but the test decides every delivery, drop, tick, crash and restart, so a
 * message order from a paper's figure can be replayed exactly and a random schedule can be
 * replayed from its seed.
 *
 * It honours the Ready contract of nodes/common/core.ts: `persist` lands on the node's
 * simulated disk before its `messages` and `replies` are released; `early` messages are
 * released at once; a `compact` replaces the disk's log with its tail and keeps its image as
 * the node's newest snapshot (the previous one stays, as the real store keeps it). A crash
 * loses everything not on the disk.
 */
import type { ClientOp, ClientReply, Core, CoreContext, NodeId } from '../../nodes/common/core.js';
import { Random } from '../../nodes/common/random.js';

export interface SimMessage<M> {
  from: NodeId;
  to: NodeId;
  msg: M;
}

export interface SimAlgorithm<M, O> {
  create(ctx: CoreContext<O>): Core<M>;
}

export interface SimReply {
  node: NodeId;
  reqId: string;
  reply: ClientReply;
}

export class Sim<M, O> {
  readonly ids: NodeId[];
  readonly cores = new Map<NodeId, Core<M>>();
  /** What each node has persisted, in order: survives crash and restart. */
  readonly disks = new Map<NodeId, unknown[]>();
  /** Each node's snapshot images, oldest first (at most two: the newest and the one before). */
  readonly snapshots = new Map<NodeId, string[]>();
  /** Messages sent and not yet delivered or dropped, in send order. */
  inflight: SimMessage<M>[] = [];
  readonly replies: SimReply[] = [];
  /** Forwards the cores asked for: [node, reqId, to]. */
  readonly forwards: [NodeId, string, NodeId][] = [];
  readonly applied = new Map<NodeId, [string, unknown][]>();
  /** Protocol events each node traced (Ready.events), with the sim time. */
  readonly events: (Record<string, unknown> & { node: NodeId; t: number })[] = [];
  now = 0;
  private nextReq = 1;
  /** Links that drop every message: "from->to". */
  readonly cut = new Set<string>();
  /** When set, a message it returns false for is dropped as it is sent (a selective network). */
  intercept: ((m: SimMessage<M>) => boolean) | null = null;
  private readonly random: Random;

  constructor(
    private readonly algorithm: SimAlgorithm<M, O>,
    ids: NodeId[],
    private readonly options: O | ((id: NodeId) => O),
    private readonly seed = 1,
  ) {
    this.ids = ids;
    this.random = new Random(seed);
    for (const id of ids) {
      this.disks.set(id, []);
      this.snapshots.set(id, []);
      this.applied.set(id, []);
      this.boot(id);
    }
  }

  private boot(id: NodeId): void {
    const options = typeof this.options === 'function' ? (this.options as (id: NodeId) => O)(id) : this.options;
    this.cores.set(
      id,
      this.algorithm.create({
        id,
        peers: this.ids.filter((p) => p !== id),
        options,
        recovered: [...this.disks.get(id)!],
        snapshot: this.snapshots.get(id)!.at(-1) ?? null,
        random: Random.derive(this.seed, `${id}:${this.disks.get(id)!.length}`),
        now: this.now,
      }),
    );
  }

  core<C extends Core<M>>(id: NodeId): C {
    const c = this.cores.get(id);
    if (!c) throw new Error(`node ${id} is crashed`);
    return c as C;
  }

  isUp(id: NodeId): boolean {
    return this.cores.has(id);
  }

  /** Drain a node's Ready: persist, then queue its messages and record its replies. */
  flush(id: NodeId): void {
    const core = this.cores.get(id);
    if (!core) return;
    const r = core.ready();
    for (const { to, msg } of r.early) this.post(id, to, msg);
    this.disks.get(id)!.push(...r.persist);
    if (r.compact) {
      const images = this.snapshots.get(id)!;
      images.push(r.compact.snapshot);
      if (images.length > 2) images.shift();
      this.disks.set(id, [...r.compact.tail]);
    }
    for (const { to, msg } of r.messages) this.post(id, to, msg);
    for (const f of r.forwards) this.forwards.push([id, f.reqId, f.to]);
    for (const { reqId, reply } of r.replies) this.replies.push({ node: id, reqId, reply });
    for (const a of r.applied) this.applied.get(id)!.push([a.key, a.value]);
    for (const e of r.events) this.events.push({ ...e, node: id, t: this.now });
  }

  private post(from: NodeId, to: NodeId, msg: M): void {
    if (this.cut.has(`${from}->${to}`)) return;
    // Deep-copy: a real network never shares objects between sender and receiver.
    const m = { from, to, msg: structuredClone(msg) };
    if (this.intercept && !this.intercept(m)) return;
    this.inflight.push(m);
  }

  flushAll(): void {
    for (const id of this.ids) this.flush(id);
  }

  /** Advance the clock of every live node by `ms` (one tick input each). */
  tick(ms: number, only?: NodeId[]): void {
    this.now += ms;
    for (const id of only ?? this.ids) {
      const core = this.cores.get(id);
      if (!core) continue;
      core.step({ type: 'tick', now: this.now });
      this.flush(id);
    }
  }

  /** Deliver one in-flight message (by position), stepping and flushing its receiver. */
  deliverAt(index: number): SimMessage<M> {
    const [m] = this.inflight.splice(index, 1);
    if (!m) throw new Error(`no in-flight message at ${index}`);
    const core = this.cores.get(m.to);
    if (core && !this.cut.has(`${m.from}->${m.to}`)) {
      core.step({ type: 'message', from: m.from, msg: m.msg });
      this.flush(m.to);
    }
    return m;
  }

  /** Deliver the first in-flight message matching `pred`; throws if none matches. */
  deliver(pred: (m: SimMessage<M>) => boolean): SimMessage<M> {
    const i = this.inflight.findIndex(pred);
    if (i < 0) throw new Error('no in-flight message matches');
    return this.deliverAt(i);
  }

  /** Drop every in-flight message matching `pred` (a lossy network). */
  drop(pred: (m: SimMessage<M>) => boolean = () => true): number {
    const before = this.inflight.length;
    this.inflight = this.inflight.filter((m) => !pred(m));
    return before - this.inflight.length;
  }

  /** Deliver in FIFO order until nothing is in flight (or `max` deliveries). */
  deliverAll(max = 100_000): number {
    let n = 0;
    while (this.inflight.length > 0 && n < max) {
      this.deliverAt(0);
      n++;
    }
    return n;
  }

  /** Deliver in a seeded random order, dropping each message with probability `loss`. */
  deliverRandomly(max = 100_000, loss = 0): number {
    let n = 0;
    while (this.inflight.length > 0 && n < max) {
      const i = this.random.int(0, this.inflight.length - 1);
      if (this.random.chance(loss)) this.inflight.splice(i, 1);
      else this.deliverAt(i);
      n++;
    }
    return n;
  }

  /** Run ticks of `stepMs`, delivering everything between ticks, until `pred` holds or `maxMs` passes. */
  runUntil(pred: () => boolean, maxMs = 10_000, stepMs = 10): boolean {
    const end = this.now + maxMs;
    while (this.now < end) {
      if (pred()) return true;
      this.tick(stepMs);
      this.deliverAll();
    }
    return pred();
  }

  client(id: NodeId, op: ClientOp, forwarded = false): string {
    const reqId = `q${this.nextReq++}`;
    this.core(id).step({ type: 'client', reqId, op, forwarded });
    this.flush(id);
    return reqId;
  }

  replyTo(reqId: string): ClientReply | undefined {
    return this.replies.find((r) => r.reqId === reqId)?.reply;
  }

  /** Cut links both ways between two groups. */
  partition(a: NodeId[], b: NodeId[]): void {
    for (const x of a) for (const y of b) this.cut.add(`${x}->${y}`).add(`${y}->${x}`);
  }

  heal(): void {
    this.cut.clear();
  }

  /** Lose the node's memory and the messages in flight to it; its disk survives, and what it already sent may still arrive. */
  crash(id: NodeId): void {
    this.cores.delete(id);
    this.inflight = this.inflight.filter((m) => m.to !== id);
  }

  restart(id: NodeId): void {
    if (this.cores.has(id)) throw new Error(`node ${id} is running`);
    this.boot(id);
  }

  /**
   * One step of the random fault schedule the core tests share: a crash or a restart of one
   * node (3%), a new partition cutting one or two nodes off (4%), a heal (5%), drawn from
   * `rnd` in that order so a seed replays the same schedule.
   */
  randomFaults(rnd: Random, restart: (id: NodeId) => void = (id) => this.restart(id)): void {
    if (rnd.chance(0.03)) {
      const victim = rnd.pick(this.ids);
      if (this.isUp(victim)) this.crash(victim);
      else restart(victim);
    }
    if (rnd.chance(0.04)) {
      this.heal();
      const cut = rnd.sample(this.ids, rnd.int(1, 2));
      this.partition(cut, this.ids.filter((x) => !cut.includes(x)));
    }
    if (rnd.chance(0.05)) this.heal();
  }
}
