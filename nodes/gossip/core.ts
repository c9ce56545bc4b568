/**
 * Gossip as a pure state machine: an eventually consistent key-value replica on every node
 * (store.ts), spread by rumor mongering (rumor.ts) and repaired by push-pull anti-entropy
 * (Demers et al., "Epidemic Algorithms for Replicated Database Maintenance", PODC 1987),
 * with SWIM membership and failure detection (membership.ts) riding on the same messages.
 *
 * Client contract: reads answer from the local replica at once (no coordination: that is
 * what gossip is measured for, and why reads may be stale). A write takes a hybrid logical
 * clock timestamp (hlc.ts) and the next seq of this origin, is persisted, and is
 * acknowledged once durable here; it then spreads. cas and transactions need agreement
 * this protocol does not have: they get a definite 501, never a pretend answer.
 *
 * Durability: a node's own write is persisted before its 200 and before its rumor leaves
 * (the Ready order), so a restarted node never loses an acknowledged write and never
 * reuses a seq or a timestamp it issued. Versions received from peers carry no promise to
 * anyone; they are persisted in one record every `replicaPersistMs` (0: with every batch),
 * because an fdatasync per received batch on every node is what the hardware pays per hop:
 * on this project's 2-core test machine it saturated the disk at 25 nodes and 100 writes/s.
 * A crash loses at most that window of replicated versions (never an acknowledged write),
 * and anti-entropy fetches them again; the restarted node's digest claims only what it
 * recovered, so nothing is skipped.
 *
 * Bounded by keys and members, not by writes: the store holds one winner per key and, per
 * origin, its covered seqs as ranges (store.ts); rumors are per key; membership per member.
 * The log is compacted every `snapshotEntries` records: a snapshot of the winners, the
 * digest and the incarnation, and the log keeps only what followed the previous snapshot
 * (nodes/common/compaction.ts; merges are idempotent, so replaying what a snapshot holds
 * lands on the same state).
 */
import { ReadyBuffer, type ClientOp, type ClientReply, type Core, type CoreContext, type Input, type NodeId, type Ready } from '../common/core.js';
import { RecordTail } from '../common/compaction.js';
import type { Random } from '../common/random.js';
import { HybridClock } from './hlc.js';
import { Membership, type IncarnationRecord, type MemberUpdate, type MemberView, type ProbeMessage } from './membership.js';
import { StaticMembership } from './static-membership.js';
import type { GossipOptions } from './options.js';
import { RumorMonger, type KnownRumor } from './rumor.js';
import { VersionStore, timestampOf, traceVersion, type Digest, type Versioned } from './store.js';

export type GossipMessage = (
  | { t: 'rumor'; v: Versioned[] }
  /** Feedback for the stop rule: the pushed rumors the receiver already knew. */
  | { t: 'rumorAck'; known: KnownRumor[] }
  /**
   * Push-pull anti-entropy, three-way like Cassandra's SYN/ACK/ACK2: digests first, then only
   * what each side lacks. `x` is the start stamp of the incarnation whose digest the versions
   * were chosen against (the syn's sender, echoed in the ack; the ack's sender, echoed in
   * ack2, where the ack carries it as `y`): only that incarnation may adopt the digest.
   */
  | { t: 'aeSyn'; d: Digest; m: MemberUpdate[]; x?: number }
  | { t: 'aeAck'; v: Versioned[]; d: Digest; done: boolean; m: MemberUpdate[]; x?: number; y?: number }
  | { t: 'aeAck2'; v: Versioned[]; d: Digest; done: boolean; x?: number }
  | ProbeMessage
) & {
  /** Piggybacked membership updates (SWIM §4.4). */
  p?: MemberUpdate[];
};

/** Persisted records: an own write, a batch of replicated versions, or an announced incarnation. */
export type GossipRecord = { v: Versioned } | { vs: Versioned[] } | IncarnationRecord;

/** A gossip snapshot image: every winner, what this replica covers, the incarnation announced. */
interface GossipImage {
  gossip: 1;
  winners: Versioned[];
  covered: Digest;
  inc: number;
}

export const NOT_SUPPORTED = 'not supported by gossip: no consensus';

export class GossipCore implements Core<GossipMessage> {
  readonly id: NodeId;
  readonly store = new VersionStore();
  readonly clock = new HybridClock();
  readonly membership: MemberView;
  readonly rumors: RumorMonger;
  private readonly opts: GossipOptions;
  private readonly random: Random;
  private readonly out = new ReadyBuffer<GossipMessage>();
  private now: number;
  private seq: number;
  private nextRumorAt: number;
  private nextAntiEntropyAt: number;
  private nextReplicaPersistAt: number;
  /** Replicated versions installed since the last replica checkpoint. */
  private unpersisted: Versioned[] = [];
  readonly sent: Record<string, number> = {};
  readonly received: Record<string, number> = {};
  private readonly tail: RecordTail<GossipRecord>;
  private compactions = 0;
  /**
   * This incarnation's stamp on its anti-entropy exchanges. A restart may lose replicated
   * versions the previous incarnation's digest claimed (they wait up to replicaPersistMs
   * for their checkpoint), so an answer to that digest, arriving after the restart, ships
   * nothing for them; adopting its digest would then claim them forever and anti-entropy
   * would never send them again (sim seed 218727: a key missing on one node for good).
   */
  private readonly stamp: number;

  constructor(ctx: CoreContext<GossipOptions>) {
    this.id = ctx.id;
    this.opts = ctx.options;
    this.random = ctx.random;
    this.now = ctx.now;
    // The start time in microseconds: a restart comes later (hrtime for real, the simulator's clock), so stamps never repeat.
    this.stamp = Math.round(ctx.now * 1000);
    let lastIncarnation: number | null = null;
    this.tail = new RecordTail(ctx.options.snapshotEntries, ctx.recovered);
    if (ctx.snapshot) {
      const image = JSON.parse(ctx.snapshot) as GossipImage;
      if (image.gossip !== 1) throw new Error('gossip: not a gossip snapshot image');
      for (const v of image.winners) {
        this.store.merge(v);
        this.clock.restore(timestampOf(v));
      }
      // Covered seqs whose versions were overwritten before they arrived are covered still.
      this.store.adopt(image.covered);
      lastIncarnation = image.inc;
    }
    for (const record of ctx.recovered as GossipRecord[]) {
      if ('v' in record || 'vs' in record) {
        for (const v of 'v' in record ? [record.v] : record.vs) {
          this.store.merge(v);
          this.clock.restore(timestampOf(v));
        }
      } else lastIncarnation = Math.max(lastIncarnation ?? 0, record.inc);
    }
    this.seq = this.store.maxSeq(this.id);
    this.rumors = new RumorMonger(this.opts.rumorStop, this.opts.rumorK, this.random);
    this.membership =
      this.opts.membership === 'static'
        ? new StaticMembership(this.id, ctx.members ?? [this.id, ...ctx.peers], this.random)
        : new Membership(this.id, ctx.peers, this.opts, this.random, this.now, lastIncarnation, {
            send: (to, msg) => this.send(to, msg),
            event: (e) => this.out.event(e),
            persist: (r) => this.out.persist(r),
          });
    // Random phases, so N processes started together do not gossip in lockstep.
    this.nextRumorAt = this.now + this.random.float() * this.opts.rumorIntervalMs;
    this.nextAntiEntropyAt = this.now + this.random.float() * this.opts.antiEntropyIntervalMs;
    this.nextReplicaPersistAt = this.now + this.opts.replicaPersistMs;
  }

  step(input: Input<GossipMessage>): void {
    switch (input.type) {
      case 'tick':
        this.now = input.now;
        this.tick();
        return;
      case 'message':
        this.received[input.msg.t] = (this.received[input.msg.t] ?? 0) + 1;
        this.membership.heardFrom(input.from);
        this.membership.applyAll(input.msg.p);
        this.onMessage(input.from, input.msg);
        return;
      case 'client':
        this.out.reply(input.reqId, this.onClient(input.op));
        return;
      case 'clientGone':
        return; // every request is answered in the step that takes it
    }
  }

  ready(): Ready<GossipMessage> {
    this.tail.note(this.out.persisting);
    if (this.tail.due) {
      // What was received and not yet persisted goes into the image: durable from here.
      this.unpersisted = [];
      const image: GossipImage = { gossip: 1, winners: this.store.winnersList(), covered: this.store.digest(), inc: this.membership.incarnation };
      this.out.compact(JSON.stringify(image), this.tail.compact([{ inc: this.membership.incarnation }]));
      this.compactions++;
    }
    return this.out.take();
  }

  status(): Record<string, unknown> {
    return {
      role: 'member',
      leader: null,
      // No log and no terms: the fields the node contract names, honestly empty.
      term: null,
      commitIndex: null,
      keys: this.store.size,
      seq: this.seq,
      hlc: this.clock.current,
      hotRumors: this.rumors.size,
      retiredRumors: this.rumors.retired,
      digestRanges: this.store.digestRanges(),
      compactions: this.compactions,
      logRecordsKept: this.tail.size,
      ...this.membership.status(),
      sent: this.sent,
      received: this.received,
    };
  }

  private onClient(op: ClientOp): ClientReply {
    switch (op.f) {
      case 'read':
        return { status: 200, body: { value: this.store.value(op.key) } };
      case 'write': {
        const [l, c] = this.clock.now(this.now);
        const v: Versioned = [op.key, op.value, l, c, this.id, ++this.seq];
        this.install(v, true);
        return { status: 200, body: { ok: true } };
      }
      case 'cas':
      case 'txn':
        return { status: 501, body: { error: NOT_SUPPORTED } };
    }
  }

  private tick(): void {
    this.membership.tick(this.now);
    if (this.now >= this.nextReplicaPersistAt) {
      this.nextReplicaPersistAt = this.now + this.opts.replicaPersistMs;
      this.persistReplicas();
    }
    if (this.now >= this.nextRumorAt) {
      this.nextRumorAt = this.advance(this.nextRumorAt, this.opts.rumorIntervalMs);
      this.rumorRound();
    }
    if (this.now >= this.nextAntiEntropyAt) {
      this.nextAntiEntropyAt = this.advance(this.nextAntiEntropyAt, this.opts.antiEntropyIntervalMs);
      const digest = this.store.digest();
      const table = this.membership.table();
      for (const peer of this.membership.choose(this.opts.antiEntropyFanout)) this.send(peer, { t: 'aeSyn', d: digest, m: table, x: this.stamp });
    }
  }

  /** Keep a fixed cadence, but never fire a backlog of rounds after a stall. */
  private advance(next: number, interval: number): number {
    const after = next + interval;
    return after <= this.now ? this.now + interval : after;
  }

  private rumorRound(): void {
    if (this.rumors.size === 0) return;
    const batch = this.rumors.batch(this.opts.maxBatch);
    const fresh = this.opts.originFanout !== undefined ? this.rumors.fresh(batch, this.id) : [];
    const wide = fresh.length > 0 ? Math.max(this.opts.originFanout!, this.opts.rumorFanout) : this.opts.rumorFanout;
    const targets = this.membership.choose(wide);
    if (targets.length === 0) return;
    // Every rumor to rumorFanout peers; our own fresh writes also to the rest of the wide set.
    for (const to of targets.slice(0, this.opts.rumorFanout)) this.send(to, { t: 'rumor', v: batch });
    for (const to of targets.slice(this.opts.rumorFanout)) this.send(to, { t: 'rumor', v: fresh });
    this.rumors.pushed(batch);
  }

  private onMessage(from: NodeId, msg: GossipMessage): void {
    switch (msg.t) {
      case 'rumor': {
        const known = this.absorb(msg.v);
        if (known.length > 0 && this.opts.rumorStop === 'feedback') this.send(from, { t: 'rumorAck', known });
        return;
      }
      case 'rumorAck':
        this.rumors.feedback(msg.known);
        return;
      case 'aeSyn': {
        this.membership.applyAll(msg.m);
        const { versions, complete } = this.store.missing(msg.d, this.opts.maxBatch);
        // A continuation (no table: SWIM's always names its sender) gets none back; the tables were swapped when the exchange began.
        const table = msg.m.length > 0 ? this.membership.table() : [];
        this.send(from, { t: 'aeAck', v: versions, d: this.store.digest(), done: complete, m: table, ...(msg.x !== undefined && { x: msg.x }), y: this.stamp });
        return;
      }
      case 'aeAck': {
        this.membership.applyAll(msg.m);
        this.absorb(msg.v);
        const mine = msg.x === this.stamp;
        if (msg.done && mine) this.store.adopt(msg.d);
        const { versions, complete } = this.store.missing(msg.d, this.opts.maxBatch);
        // Nothing the peer lacks: it learns our digest when it next initiates, so skip the third message.
        if (versions.length > 0) this.send(from, { t: 'aeAck2', v: versions, d: this.store.digest(), done: complete, ...(msg.y !== undefined && { x: msg.y }) });
        // maxBatch bounds a message, not the repair: an exchange cut short (either side) goes on
        // at once with the same peer, as Demers' push-pull leaves both sides equal. Waiting for
        // the next interval instead repaired maxBatch winners per antiEntropyIntervalMs, so a
        // backlog took backlog / maxBatch intervals (seed 186006: maxBatch 1, 3 s, 14 s to agree).
        // Only the initiator continues, so each exchange has at most one successor, and every
        // successor exists because a full batch moved: a chain ends when both sides are done.
        // An answer to an earlier incarnation's syn starts no chain: this incarnation's own round will.
        if (mine && (!msg.done || !complete)) this.send(from, { t: 'aeSyn', d: this.store.digest(), m: [], x: this.stamp });
        return;
      }
      case 'aeAck2':
        this.absorb(msg.v);
        if (msg.done && msg.x === this.stamp) this.store.adopt(msg.d);
        return;
      case 'ping':
      case 'pingReq':
      case 'ack':
      case 'nack':
        this.membership.onProbeMessage(from, msg);
        return;
      default: {
        const unknown: never = msg;
        return unknown; // a peer on a newer version: ignore what we do not speak
      }
    }
  }

  /** Merge versions from a peer; returns those this replica already covered (the stop rule's feedback). */
  private absorb(versions: readonly Versioned[]): KnownRumor[] {
    const known: KnownRumor[] = [];
    for (const v of versions) {
      this.clock.observe(timestampOf(v), this.now);
      if (this.store.covers(v)) {
        this.store.merge(v); // records the seq as covered when a newer version had overwritten it
        known.push([v[0], v[4], v[5]]);
      } else this.install(v, false);
    }
    if (this.opts.replicaPersistMs === 0) this.persistReplicas();
    return known;
  }

  /** A version this replica now holds: made durable (now if it is our own write), traced, and mongered. */
  private install(v: Versioned, own: boolean): void {
    this.store.merge(v);
    if (own) this.out.persist({ v } satisfies GossipRecord);
    else this.unpersisted.push(v);
    this.out.applied(v[0], v[1], traceVersion(v));
    this.rumors.heat(v);
  }

  /** One record for the replicated versions still current (an overwritten one would be overwritten again on recovery). */
  private persistReplicas(): void {
    if (this.unpersisted.length === 0) return;
    const vs = this.unpersisted.filter((v) => this.store.get(v[0]) === v);
    this.unpersisted = [];
    if (vs.length > 0) this.out.persist({ vs } satisfies GossipRecord);
  }

  private send(to: NodeId, msg: GossipMessage): void {
    const p = this.membership.piggyback(to);
    this.out.send(to, p.length > 0 ? { ...msg, p } : msg);
    this.sent[msg.t] = (this.sent[msg.t] ?? 0) + 1;
  }
}
