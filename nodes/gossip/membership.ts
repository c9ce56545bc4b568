/**
 * Membership and failure detection by gossip: SWIM (Das, Gupta & Motivala, DSN 2002) with
 * the memberlist conventions our users know.
 *
 * Failure detection (§3.1, §4.3): every protocol period a node pings the next member of a
 * shuffled round-robin list (so every member is probed within one pass: detection time
 * is bounded, not just expected). No ack within `probeTimeoutMs`: it asks `indirectChecks`
 * other members to ping the target for it (ping-req), which tells a dead target from a bad
 * link. No ack, direct or relayed, by the end of the period: the target becomes suspect.
 *
 * Suspicion (§4.2): a suspect that does not refute within the suspicion timeout is declared
 * dead. A member that hears itself suspected or declared dead refutes by raising its
 * incarnation and announcing `alive`; a restarted member comes back with a higher
 * incarnation than it ever used (each raise is persisted before it is announced).
 *
 * The view is a join-semilattice: an update (member, state, incarnation) replaces the
 * current one iff (incarnation, rank) is larger, with alive < suspect < dead at equal
 * incarnation. So views merge in any order to the same result, and the full view can be
 * exchanged during anti-entropy as a backstop to the piggybacked updates.
 *
 * Dissemination (§4.1, §4.4): each update that changed this node's view is piggybacked on
 * the next retransmitMult x ceil(log10(N + 1)) outgoing messages of any kind, fewest-sent
 * first (memberlist's TransmitLimitedQueue).
 *
 * Start-up: the members of a static cluster start seconds apart, and the transport drops
 * messages to a peer whose link is still being dialled. So for `startupGraceMs` after it
 * starts, a node does not suspect a member it has never heard from; after that grace a
 * member that never came up is detected like any other.
 *
 * Local health (Lifeguard, Dadgar, Phillips & Currey 2018; memberlist's "awareness"): a
 * helper that gets no ack for a ping-req answers the prober with a nack, so a prober that
 * hears neither ack nor nacks knows the silence is more likely its own (a starved or paused
 * process) than the target's. Each such missing nack, and each refutation it has to make,
 * raises its health score; each acked probe lowers it; its probe interval and timeout are
 * scaled by score + 1, up to `awarenessMaxMultiplier`. A node stalled for longer than a
 * whole protocol period also drops the probe in progress and pushes its suspicion
 * deadlines back, instead of convicting members of its own stall.
 */
import type { NodeId } from '../common/core.js';
import type { Random } from '../common/random.js';
import type { GossipOptions } from './options.js';

export type MemberState = 'alive' | 'suspect' | 'dead';
const STATES: readonly MemberState[] = ['alive', 'suspect', 'dead'];
export type StateRank = 0 | 1 | 2;

/** Wire form of one member's state: [member, rank of alive/suspect/dead, incarnation]. */
export type MemberUpdate = [member: NodeId, state: StateRank, incarnation: number];

export type ProbeMessage =
  | { t: 'ping'; seq: number }
  /** Ask the receiver to ping `target` on our behalf (indirect probe). */
  | { t: 'pingReq'; seq: number; target: NodeId }
  /** `target` is set when the ack is relayed from an indirect probe. */
  | { t: 'ack'; seq: number; target?: NodeId }
  /** A helper could not reach `target` either (Lifeguard): the prober's own health is fine. */
  | { t: 'nack'; seq: number; target: NodeId };

/** Persisted record: the incarnation this node has announced. */
export interface IncarnationRecord {
  inc: number;
}

export interface MembershipIo {
  send(to: NodeId, msg: ProbeMessage): void;
  event(e: Record<string, unknown>): void;
  persist(record: IncarnationRecord): void;
}

/**
 * What the gossip core asks of a membership: SWIM's (`Membership`) or the static list's
 * (static-membership.ts, `membership=static`).
 */
export interface MemberView {
  readonly incarnation: number;
  readonly counters: Membership['counters'];
  /** Up to k distinct members other than this node, drawn uniformly from those taken as alive. */
  choose(k: number): NodeId[];
  stateOf(id: NodeId): MemberState | undefined;
  /** The whole view for anti-entropy (SWIM's lattice; nothing for a static list). */
  table(): MemberUpdate[];
  heardFrom(id: NodeId): void;
  applyAll(updates: readonly MemberUpdate[] | undefined): void;
  /** Updates to ride on a message to `to`. */
  piggyback(to: NodeId): MemberUpdate[];
  tick(now: number): void;
  onProbeMessage(from: NodeId, msg: ProbeMessage): void;
  status(): Record<string, unknown>;
}

interface Member {
  rank: StateRank;
  incarnation: number;
  /** When a suspect is declared dead, unless it refutes first. */
  deadline: number;
}

interface Probe {
  target: NodeId;
  seq: number;
  /** When to ask for indirect probes: the timeout scaled like the period it belongs to. */
  indirectAt: number;
  indirect: boolean;
  acked: boolean;
  helpers: number;
  nacks: number;
}

interface Relay {
  requester: NodeId;
  seq: number;
  target: NodeId;
  /** When to tell the requester we got no ack either (before its protocol period ends). */
  nackAt: number;
  expires: number;
}

export class Membership implements MemberView {
  incarnation: number;
  private readonly members = new Map<NodeId, Member>();
  private readonly pending = new Map<NodeId, { update: MemberUpdate; transmits: number }>();
  private readonly relays = new Map<number, Relay>();
  private probe: Probe | null = null;
  private order: NodeId[] = [];
  private orderIndex = 0;
  private nextSeq = 1;
  private now: number;
  private lastTick: number;
  private nextProbeAt: number;
  private nextReconnectAt: number;
  /** Not-dead members other than this node, rebuilt only when a state changes (read every round). */
  private liveCache: NodeId[] | null = null;
  private readonly heard = new Set<NodeId>();
  private readonly graceUntil: number;
  private suspects = 0;
  /** Lifeguard's local health multiplier minus one: 0 when healthy. */
  private health = 0;
  private readonly suspicionMs: number;
  private readonly transmitLimit: number;
  readonly counters = { probes: 0, indirectProbes: 0, failedProbes: 0, graceProbes: 0, nacks: 0, refutations: 0, stalls: 0 };

  constructor(
    readonly self: NodeId,
    peers: readonly NodeId[],
    private readonly opts: GossipOptions,
    private readonly random: Random,
    now: number,
    lastIncarnation: number | null,
    private readonly io: MembershipIo,
  ) {
    this.now = now;
    this.lastTick = now;
    for (const p of peers) this.members.set(p, { rank: 0, incarnation: 0, deadline: Infinity });
    const n = peers.length + 1;
    this.suspicionMs = opts.suspicionTimeoutMs ?? opts.suspicionMult * Math.max(1, Math.log10(n)) * opts.probeIntervalMs;
    this.transmitLimit = opts.retransmitMult * Math.ceil(Math.log10(n + 1));
    // A restart takes an incarnation above any it announced before, so `alive` beats the
    // `dead` the others may hold for its previous life.
    this.incarnation = lastIncarnation === null ? 0 : lastIncarnation + 1;
    if (lastIncarnation !== null) this.announceSelf();
    else io.persist({ inc: 0 });
    this.graceUntil = now + opts.startupGraceMs;
    this.nextProbeAt = now + random.float() * opts.probeIntervalMs;
    this.nextReconnectAt = now + opts.reconnectIntervalMs;
  }

  /** Members other than this node that are not dead: gossip and probe targets. */
  live(): readonly NodeId[] {
    if (this.liveCache === null) {
      this.liveCache = [];
      for (const [id, m] of this.members) if (m.rank !== 2) this.liveCache.push(id);
    }
    return this.liveCache;
  }

  /** Up to k distinct live members chosen uniformly (a partial Fisher-Yates: O(k) draws, not a full shuffle). */
  choose(k: number, exclude?: (id: NodeId) => boolean): NodeId[] {
    return choose(this.random, exclude ? this.live().filter((id) => !exclude(id)) : this.live(), k);
  }

  stateOf(id: NodeId): MemberState | undefined {
    if (id === this.self) return 'alive';
    const m = this.members.get(id);
    return m ? STATES[m.rank] : undefined;
  }

  /** The whole view, this node included, for anti-entropy. */
  table(): MemberUpdate[] {
    const out: MemberUpdate[] = [[this.self, 0, this.incarnation]];
    for (const [id, m] of this.members) out.push([id, m.rank, m.incarnation]);
    return out;
  }

  view(): Record<MemberState, NodeId[]> {
    const out: Record<MemberState, NodeId[]> = { alive: [this.self], suspect: [], dead: [] };
    for (const [id, m] of this.members) out[STATES[m.rank]!].push(id);
    for (const list of Object.values(out)) list.sort();
    return out;
  }

  /** Any message from a member: it is up, and past its start-up. */
  heardFrom(id: NodeId): void {
    if (this.heard.size < this.members.size) this.heard.add(id);
  }

  applyAll(updates: readonly MemberUpdate[] | undefined): void {
    if (updates) for (const u of updates) this.apply(u);
  }

  /** Merge one update into the view (the lattice join); re-gossip it if it changed anything. */
  apply([id, rank, incarnation]: MemberUpdate): void {
    if (id === this.self) {
      if (rank !== 0 ? incarnation >= this.incarnation : incarnation > this.incarnation) {
        // Suspected or declared dead (or an older life of ours is still talked about): refute (§4.2).
        this.incarnation = incarnation + 1;
        this.counters.refutations++;
        this.adjustHealth(1); // others could not hear us: we may be the slow one
        this.announceSelf();
      }
      return;
    }
    const m = this.members.get(id);
    if (!m) return; // not in this cluster's configuration: nobody could reach it anyway
    if (incarnation < m.incarnation || (incarnation === m.incarnation && rank <= m.rank)) return;
    const before = m.rank;
    if (before !== rank) {
      if (before === 2 || rank === 2) this.liveCache = null;
      this.suspects += (rank === 1 ? 1 : 0) - (before === 1 ? 1 : 0);
    }
    m.rank = rank;
    m.incarnation = incarnation;
    // A suspect at a higher incarnation refuted and was suspected again: a fresh timeout.
    m.deadline = rank === 1 ? this.now + this.suspicionMs : Infinity;
    this.enqueue([id, rank, incarnation]);
    if (before !== rank) this.io.event({ event: 'member', member: id, state: STATES[rank], incarnation });
  }

  /**
   * Updates to piggyback on a message to `to`: the least-sent queued ones, and `to`'s own
   * entry when we hold it suspect or dead, so it can refute at once.
   */
  piggyback(to: NodeId): MemberUpdate[] {
    const out: MemberUpdate[] = [];
    if (this.pending.size > 0) {
      const queued = [...this.pending.values()].sort((a, b) => a.transmits - b.transmits).slice(0, this.opts.maxPiggyback);
      for (const q of queued) {
        out.push(q.update);
        if (++q.transmits >= this.transmitLimit) this.pending.delete(q.update[0]);
      }
    }
    const m = this.members.get(to);
    if (m && m.rank !== 0 && !out.some((u) => u[0] === to)) out.push([to, m.rank, m.incarnation]);
    return out;
  }

  tick(now: number): void {
    if (now - this.lastTick > this.opts.probeIntervalMs) this.stalled(now - this.lastTick, now);
    this.now = now;
    this.lastTick = now;
    const probe = this.probe;
    if (probe && !probe.acked && !probe.indirect && now >= probe.indirectAt) {
      probe.indirect = true;
      const helpers = this.choose(this.opts.indirectChecks, (id) => id === probe.target || this.members.get(id)!.rank !== 0);
      for (const h of helpers) this.io.send(h, { t: 'pingReq', seq: probe.seq, target: probe.target });
      probe.helpers = helpers.length;
      this.counters.indirectProbes += helpers.length;
    }
    if (now >= this.nextProbeAt) {
      // Conclude first: its verdict sets the health that scales both the next period and its
      // timeout, which must stay in proportion or the helpers' nacks arrive after the verdict.
      this.concludeProbe();
      this.nextProbeAt = now + this.scaled(this.opts.probeIntervalMs);
      this.startProbe();
    }
    if (this.suspects > 0) {
      for (const [id, m] of this.members) if (m.rank === 1 && now >= m.deadline) this.apply([id, 2, m.incarnation]);
    }
    if (now >= this.nextReconnectAt) {
      this.nextReconnectAt = now + this.opts.reconnectIntervalMs;
      const dead = [...this.members].filter(([, m]) => m.rank === 2).map(([id]) => id);
      // The ping carries the target's dead entry (piggyback), so a live one refutes in its ack.
      if (dead.length > 0) this.io.send(this.random.pick(dead), { t: 'ping', seq: this.nextSeq++ });
    }
    if (this.relays.size > 0) {
      for (const [seq, r] of this.relays) {
        if (now >= r.expires) this.relays.delete(seq);
        else if (now >= r.nackAt) {
          r.nackAt = Infinity;
          this.io.send(r.requester, { t: 'nack', seq: r.seq, target: r.target });
        }
      }
    }
  }

  onProbeMessage(from: NodeId, msg: ProbeMessage): void {
    switch (msg.t) {
      case 'ping':
        this.io.send(from, { t: 'ack', seq: msg.seq });
        return;
      case 'pingReq': {
        const seq = this.nextSeq++;
        // memberlist nacks at 80 % of the probe timeout: early enough to land within the requester's period.
        const nackAt = this.now + 0.8 * this.opts.probeTimeoutMs;
        this.relays.set(seq, { requester: from, seq: msg.seq, target: msg.target, nackAt, expires: this.now + this.opts.probeIntervalMs });
        this.io.send(msg.target, { t: 'ping', seq });
        return;
      }
      case 'ack': {
        const relay = this.relays.get(msg.seq);
        if (relay && relay.target === from) {
          this.relays.delete(msg.seq);
          this.io.send(relay.requester, { t: 'ack', seq: relay.seq, target: from });
          return;
        }
        const probe = this.probe;
        if (probe && probe.seq === msg.seq && probe.target === (msg.target ?? from)) probe.acked = true;
        return;
      }
      case 'nack': {
        const probe = this.probe;
        if (probe && probe.seq === msg.seq && probe.target === msg.target) probe.nacks++;
        this.counters.nacks++;
        return;
      }
    }
  }

  status(): Record<string, unknown> {
    return { incarnation: this.incarnation, members: this.view(), suspicionTimeoutMs: this.suspicionMs, health: this.health, ...this.counters };
  }

  private concludeProbe(): void {
    const probe = this.probe;
    this.probe = null;
    if (!probe) return;
    if (probe.acked) {
      this.adjustHealth(-1);
      return;
    }
    // Helpers that did not even nack: the messages that went missing were probably ours.
    this.adjustHealth(probe.helpers - probe.nacks);
    const m = this.members.get(probe.target)!;
    if (m.rank !== 0) return;
    if (this.now < this.graceUntil && !this.heard.has(probe.target)) {
      this.counters.graceProbes++;
      return;
    }
    this.counters.failedProbes++;
    this.apply([probe.target, 1, m.incarnation]);
  }

  private startProbe(): void {
    const target = this.nextTarget();
    if (target === null) return;
    const seq = this.nextSeq++;
    this.probe = { target, seq, indirectAt: this.now + this.scaled(this.opts.probeTimeoutMs), indirect: false, acked: false, helpers: 0, nacks: 0 };
    this.counters.probes++;
    this.io.send(target, { t: 'ping', seq });
  }

  /** Round-robin over a shuffled list, reshuffled after each pass (§4.3), skipping the dead. */
  private nextTarget(): NodeId | null {
    for (let attempts = 0; attempts < 2; attempts++) {
      while (this.orderIndex < this.order.length) {
        const id = this.order[this.orderIndex++]!;
        if (this.members.get(id)!.rank !== 2) return id;
      }
      this.order = this.random.shuffle([...this.live()]);
      this.orderIndex = 0;
    }
    return null;
  }

  private stalled(gap: number, now: number): void {
    this.counters.stalls++;
    this.probe = null;
    this.nextProbeAt = now;
    for (const m of this.members.values()) if (m.rank === 1) m.deadline += gap;
  }

  private scaled(ms: number): number {
    return ms * (this.health + 1);
  }

  private adjustHealth(delta: number): void {
    this.health = Math.max(0, Math.min(this.opts.awarenessMaxMultiplier - 1, this.health + delta));
  }

  private announceSelf(): void {
    this.io.persist({ inc: this.incarnation });
    this.enqueue([this.self, 0, this.incarnation]);
  }

  private enqueue(update: MemberUpdate): void {
    this.pending.set(update[0], { update, transmits: 0 });
  }
}

/** Up to k distinct items chosen uniformly from `items`, in random order. */
export function choose<T>(random: Random, items: readonly T[], k: number): T[] {
  const pool = items.slice();
  const n = Math.min(k, pool.length);
  for (let i = 0; i < n; i++) {
    const j = random.int(i, pool.length - 1);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, n);
}
