/**
 * Multi-Paxos (Lamport, "Paxos Made Simple", 2001) as a pure state machine: `step` is the one
 * door in; `ready` hands the runtime what to persist and send. Every node plays all three
 * roles: acceptor and learner (acceptor.ts) and proposer (proposer.ts for one ballot's run).
 *
 * Stable-leader mode (default, §3): the node whose phase 1 completes with a majority runs
 * phase 2 for every later slot with the same ballot. It batches (every request of one input
 * batch goes in one slot, at most maxBatchOps each, and all new slots in one accept per
 * peer) and pipelines (up to maxInflightSlots slots in flight). Its accepts leave before its
 * own fsync (Ready `early`), like Raft's §10.2.1 and for the same reason: it counts itself
 * only towards slots it accepted in an earlier Ready, hence already durable.
 *
 *   - Takeover: phase 1 covers every slot above the new leader's chosen point; promises
 *     carry what each acceptor accepted there (in pages, proposer.ts). The new leader
 *     re-proposes the highest-ballot value of each slot, fills gaps with no-ops, and only
 *     then proposes new values. Its first accepts wait for its own promise to be durable.
 *   - Learning: accepts and heartbeats carry the leader's chosen point; a follower learns the
 *     slots it accepted at that ballot; a follower that reports it still lacks some gets the
 *     chosen values (decide), which is also how a restarted or partitioned acceptor catches up.
 *   - Failure detection: heartbeats every heartbeatMs; a follower that hears none for a
 *     randomized electionTimeout runs phase 1 with a higher ballot; a candidate refused
 *     retries after a new randomized timeout, so duelling proposers do not livelock. With
 *     stickyLeader an acceptor that heard the leader recently refuses other prepares, and
 *     with checkQuorum a leader cut off from a majority steps down (the Raft dissertation's
 *     §4.2.3 and §9.6, transposed).
 *   - Reads are linearized with a read-index confirmation round, not a lease: a read waits
 *     until a majority has answered an accept or heartbeat sent after it arrived, at our
 *     ballot, so none of them had promised a higher one; a leader deposed while paused
 *     (SIGSTOP) or whose clock jumped cannot collect that majority, whereas a lease would
 *     trust a clock across the pause. It also waits until every slot recovered at takeover
 *     is chosen and applied. `readMode=log` chooses reads in slots instead.
 *
 * Leaderless mode: every node proposes its own clients' requests, each batch with a full
 * phase 1 + 2 (recovering and finishing whatever other proposers left in flight), backs
 * off exponentially with randomization when refused, and announces the outcome with decide.
 * A value refused may still be chosen later through someone's recovery, so it is retried
 * with the same id and applied at most once. Reads go through the log.
 *
 * Client requests at a follower are forwarded one hop to the leader; with no leader known
 * the answer is 503; a leader that steps down answers its proposed writes 504 (unknown).
 */
import { ReadyBuffer, reply, type ClientOp, type Core, type CoreContext, type Input, type NodeId, type Ready } from '../common/core.js';
import { KvState } from '../common/kv-state.js';
import type { Random } from '../common/random.js';
import { Acceptor } from './acceptor.js';
import { Proposer } from './proposer.js';
import { compareBallots, sameBallot, type Ballot, type PaxosMessage, type Proposal, type SlotValue } from './messages.js';
import type { PaxosOptions } from './options.js';

export type Role = 'follower' | 'candidate' | 'leader' | 'proposer' | 'idle';

type Msg<T extends PaxosMessage['t']> = Extract<PaxosMessage, { t: T }>;

interface Queued {
  reqId: string;
  op: ClientOp;
}

interface PeerProgress {
  /** Heard from since the last CheckQuorum. */
  active: boolean;
  /** Highest read-confirmation round answered at our ballot. */
  ackedSeq: number;
  /** Last slot of the catch-up in flight, and when to send it again if it is lost. */
  catchupTo: number;
  catchupAt: number;
}

interface PendingRead {
  reqId: string;
  op: ClientOp;
  index: number;
  seq: number;
}

export class PaxosCore implements Core<PaxosMessage> {
  readonly id: NodeId;
  private readonly peers: NodeId[];
  private readonly peerSet: Set<NodeId>;
  private readonly opts: PaxosOptions;
  private readonly random: Random;
  private readonly out = new ReadyBuffer<PaxosMessage>();
  readonly acceptor: Acceptor;
  readonly state = new KvState();

  role: Role;
  leader: NodeId | null = null;
  proposer: Proposer | null = null;
  appliedIndex = 0;
  /** Proposal ids applied: a leaderless value chosen in two slots takes effect once. */
  private readonly appliedIds = new Set<string>();
  private now: number;
  private maxRoundSeen: number;
  /** Our promise is in this Ready's persist: accepts must not leave before it (no `early`). */
  private promiseUnsynced = false;

  private electionDeadline = 0;
  private lastHeardLeader = -Infinity;

  // Leader.
  private readonly progress = new Map<NodeId, PeerProgress>();
  private takeoverSlot = 0;
  private nextHeartbeat = 0;
  private lastQuorumCheck = 0;
  private readSeq = 0;
  private readsAwaitingSeq = false;
  private pendingReads: PendingRead[] = [];

  // Proposer (both modes): requests not yet proposed, and proposals awaiting their outcome.
  private queue: Queued[] = [];
  private readonly pending = new Map<string, (string | null)[]>();

  // Leaderless.
  private inDoubt: Proposal[] = [];
  private roundValues: Proposal[] = [];
  private roundDeadline = 0;
  private backoffUntil = 0;
  private conflicts = 0;
  private nextSync = 0;

  constructor(ctx: CoreContext<PaxosOptions>) {
    this.id = ctx.id;
    this.peers = [...ctx.peers].sort();
    this.peerSet = new Set(this.peers);
    this.opts = ctx.options;
    this.random = ctx.random;
    this.now = ctx.now;
    this.acceptor = new Acceptor(ctx.recovered, (record) => this.out.persist(record));
    this.maxRoundSeen = this.acceptor.promised[0];
    this.role = this.leaderless ? 'idle' : 'follower';
    this.applyRecovered();
    this.resetElectionTimer();
  }

  private get leaderless(): boolean {
    return this.opts.mode === 'leaderless';
  }
  private get quorum(): number {
    return Math.floor((this.peers.length + 1) / 2) + 1;
  }
  get commitIndex(): number {
    return this.acceptor.chosenUpTo;
  }
  get ballot(): Ballot | null {
    return this.proposer?.ballot ?? null;
  }
  /** Requests this node still has to get chosen (queued, or leaderless values in doubt). */
  get waiting(): number {
    return this.queue.length + this.inDoubt.length;
  }

  step(input: Input<PaxosMessage>): void {
    switch (input.type) {
      case 'tick':
        this.now = input.now;
        return this.leaderless ? this.tickLeaderless() : this.tick();
      case 'message':
        return this.onMessage(input.from, input.msg);
      case 'client':
        return this.onClient(input.reqId, input.op, input.forwarded);
      case 'clientGone':
        return this.forget(input.reqId);
    }
  }

  ready(): Ready<PaxosMessage> {
    if (this.role === 'leader') {
      const confirm = this.readsAwaitingSeq;
      if (confirm) this.readSeq++;
      this.readsAwaitingSeq = false;
      if (!this.proposeQueued() && confirm) this.heartbeat();
    }
    this.acceptor.logChosen();
    this.promiseUnsynced = false;
    return this.out.take();
  }

  status(): Record<string, unknown> {
    return {
      role: this.role,
      leader: this.leader,
      term: this.proposer?.ballot[0] ?? this.acceptor.promised[0],
      ballot: this.acceptor.promised,
      commitIndex: this.acceptor.chosenUpTo,
      appliedIndex: this.appliedIndex,
      lastSlot: this.acceptor.lastSlot,
      mode: this.opts.mode,
    };
  }

  // ---------------------------------------------------------------- timers and roles

  private resetElectionTimer(): void {
    this.electionDeadline = this.now + this.random.int(this.opts.electionTimeoutMinMs, this.opts.electionTimeoutMaxMs);
  }

  private tick(): void {
    if (this.role === 'leader') {
      if (this.opts.checkQuorum && this.now - this.lastQuorumCheck >= this.opts.electionTimeoutMaxMs) {
        this.lastQuorumCheck = this.now;
        let active = 1;
        for (const p of this.progress.values()) {
          if (p.active) active++;
          p.active = false;
        }
        if (active < this.quorum) return this.stepDown(null);
      }
      if (this.now >= this.nextHeartbeat) {
        this.nextHeartbeat = this.now + this.opts.heartbeatMs;
        this.heartbeat();
        this.retransmit();
      }
      return;
    }
    if (this.now >= this.electionDeadline) this.campaign();
  }

  /** Start phase 1 with a ballot above every round seen (§2.2: a proposer picks a new, higher number). */
  private campaign(): void {
    const round = Math.max(this.acceptor.promised[0], this.maxRoundSeen) + 1;
    this.maxRoundSeen = round;
    this.proposer = new Proposer([round, this.id], this.acceptor.chosenUpTo + 1, this.quorum);
    if (this.leaderless) {
      this.role = 'proposer';
      this.roundDeadline = this.now + this.opts.electionTimeoutMaxMs;
    } else {
      this.role = 'candidate';
      this.leader = null;
      this.resetElectionTimer();
    }
    this.sendPrepares();
    this.tallyPromises();
  }

  private sendPrepares(): void {
    const p = this.proposer!;
    for (const peer of this.peers) this.out.send(peer, { t: 'prepare', ballot: p.ballot, from: p.pageFrom });
  }

  private tallyPromises(): void {
    const p = this.proposer;
    while (p && this.proposer === p && p.phase === 'prepare') {
      if (!p.selfPromised && p.promiseCount >= this.quorum - 1) {
        if (!this.acceptor.promise(p.ballot)) return this.preempted(null);
        p.selfPromised = true;
        this.promiseUnsynced = true;
      }
      if (p.selfPromised && !p.hasPromiseFrom(this.id)) {
        p.addPromise(this.id, { from: p.pageFrom, ...this.acceptor.report(p.pageFrom, this.opts.maxCatchupSlots) });
      }
      if (p.promiseCount < this.quorum) return;
      const { chosen, next } = p.closePage((s) => this.acceptor.isChosen(s));
      if (chosen.size > 0) {
        this.acceptor.learnSlots(chosen);
        this.apply();
      }
      if (next !== null) this.sendPrepares();
      else this.takeOver();
    }
  }

  /** Phase 1 is complete: decide every slot it covered, then (leaderless) our own values. */
  private takeOver(): void {
    const p = this.proposer!;
    const recovery = p.recovery((s) => this.acceptor.isChosen(s));
    p.nextSlot = Math.max(p.maxSlot, this.acceptor.chosenUpTo) + 1;
    if (!this.leaderless) {
      this.role = 'leader';
      this.leader = this.id;
      this.takeoverSlot = p.maxSlot;
      this.readSeq = 0;
      this.lastQuorumCheck = this.now;
      this.nextHeartbeat = this.now + this.opts.heartbeatMs;
      this.progress.clear();
      for (const peer of this.peers) this.progress.set(peer, { active: true, ackedSeq: 0, catchupTo: 0, catchupAt: 0 });
    }
    const proposals: { slot: number; value: SlotValue }[] = [...recovery];
    if (this.leaderless) {
      const recoveredIds = new Set(recovery.map((r) => r.value?.id));
      const own = this.inDoubt.filter((v) => !recoveredIds.has(v.id) && !this.appliedIds.has(v.id));
      this.inDoubt = [];
      while (this.queue.length > 0) own.push(this.newProposal(this.queue.splice(0, this.opts.maxBatchOps)));
      this.roundValues = own;
      for (const value of own) proposals.push({ slot: p.nextSlot++, value });
    }
    for (let i = 0; i < proposals.length; ) {
      let j = i;
      while (j + 1 < proposals.length && j + 1 - i < this.opts.maxCatchupSlots && proposals[j + 1]!.slot === proposals[j]!.slot + 1) j++;
      if (!this.proposeSlots(proposals[i]!.slot, proposals.slice(i, j + 1).map((r) => r.value))) return;
      i = j + 1;
    }
    if (this.leaderless) this.finishRound();
    else if (recovery.length === 0) this.heartbeat(); // followers learn who leads without waiting a heartbeat interval
  }

  /** Our ballot lost: a higher one was promised somewhere, or a live leader was named. */
  private preempted(leaderHint: NodeId | null): void {
    if (this.leaderless) this.abandonRound();
    else this.stepDown(leaderHint);
  }

  private stepDown(leaderHint: NodeId | null): void {
    if (this.role === 'leader') this.abandonLeadership();
    this.role = 'follower';
    this.proposer = null;
    this.leader = leaderHint === this.id ? null : leaderHint;
    this.resetElectionTimer();
  }

  /** A deposed leader cannot know the fate of its proposals (504); what it never proposed failed (503). */
  private abandonLeadership(): void {
    for (const reqIds of this.pending.values()) {
      for (const reqId of reqIds) if (reqId !== null) this.out.reply(reqId, reply.unknown('leadership lost before the proposal was chosen'));
    }
    this.pending.clear();
    for (const q of this.queue) this.out.reply(q.reqId, reply.unavailable('leadership lost before the request was proposed'));
    this.queue = [];
    for (const r of this.pendingReads) this.out.reply(r.reqId, reply.unavailable('leadership lost before the read was confirmed'));
    this.pendingReads = [];
    this.progress.clear();
  }

  // ---------------------------------------------------------------- messages

  private onMessage(from: NodeId, m: PaxosMessage): void {
    if (!this.peerSet.has(from)) return;
    switch (m.t) {
      case 'prepare':
        return this.onPrepare(from, m);
      case 'promise':
        return this.onPromise(from, m);
      case 'reject':
        return this.onReject(m);
      case 'accept':
        return this.onAccept(from, m);
      case 'accepted':
        return this.onAccepted(from, m);
      case 'decide':
        this.acceptor.learn(m.from, m.values);
        return this.apply();
      case 'sync':
        return this.onSync(from, m);
    }
  }

  private noteRound(b: Ballot): void {
    if (b[0] > this.maxRoundSeen) this.maxRoundSeen = b[0];
  }

  /** Whether we follow a live leader and so refuse to help another proposer depose it. */
  private sticky(from: NodeId): boolean {
    if (this.leaderless || !this.opts.stickyLeader) return false;
    if (this.role === 'leader') return true;
    return this.leader !== null && this.leader !== from && this.now - this.lastHeardLeader < this.opts.electionTimeoutMinMs;
  }

  private onPrepare(from: NodeId, m: Msg<'prepare'>): void {
    this.noteRound(m.ballot);
    if (this.sticky(from) || !this.acceptor.promise(m.ballot)) {
      this.out.send(from, { t: 'reject', ballot: m.ballot, promised: this.acceptor.promised, leader: this.leader });
      return;
    }
    // Having promised a higher ballot, our own (if lower) can never be accepted here.
    if (this.proposer && compareBallots(this.proposer.ballot, m.ballot) < 0) this.preempted(null);
    if (!this.leaderless) {
      this.leader = null;
      this.resetElectionTimer(); // give the proposer we promised time to finish
    }
    this.out.send(from, { t: 'promise', ballot: m.ballot, from: m.from, ...this.acceptor.report(m.from, this.opts.maxCatchupSlots) });
  }

  private onPromise(from: NodeId, m: Msg<'promise'>): void {
    const p = this.proposer;
    if (!p || p.phase !== 'prepare' || !sameBallot(m.ballot, p.ballot)) return;
    p.addPromise(from, m);
    this.tallyPromises();
  }

  private onReject(m: Msg<'reject'>): void {
    this.noteRound(m.promised);
    const p = this.proposer;
    if (!p || !sameBallot(m.ballot, p.ballot)) return;
    // A leader's accepts are refused only for a higher promise; a candidate yields to a named leader too.
    if (this.role === 'leader' && compareBallots(m.promised, p.ballot) <= 0) return;
    this.preempted(m.leader);
  }

  private onAccept(from: NodeId, m: Msg<'accept'>): void {
    this.noteRound(m.ballot);
    if (!this.acceptor.accept(m.ballot, m.from, m.values)) {
      this.out.send(from, { t: 'reject', ballot: m.ballot, promised: this.acceptor.promised, leader: this.leader });
      return;
    }
    if (!this.leaderless) {
      // Only a proposer whose phase 1 completed sends accepts: it leads now.
      if (this.proposer) this.stepDown(from);
      this.leader = from;
      this.lastHeardLeader = this.now;
      this.resetElectionTimer();
    }
    this.acceptor.learnAt(m.ballot, m.chosen);
    this.apply();
    this.out.send(from, {
      t: 'accepted',
      ballot: m.ballot,
      from: m.from,
      count: m.values.length,
      chosen: this.acceptor.chosenUpTo,
      seen: m.chosen,
      seq: m.seq,
    });
  }

  private onAccepted(from: NodeId, m: Msg<'accepted'>): void {
    const p = this.proposer;
    if (!p || p.phase !== 'accept' || !sameBallot(m.ballot, p.ballot)) return;
    let chosen = false;
    for (let s = m.from; s < m.from + m.count; s++) {
      if (p.accepted(s, from)) {
        this.acceptor.markChosen(s);
        chosen = true;
      }
    }
    if (chosen) this.apply();
    if (this.leaderless) return this.finishRound();
    const progress = this.progress.get(from);
    if (!progress) return;
    progress.active = true;
    if (m.seq > progress.ackedSeq) progress.ackedSeq = m.seq;
    if (m.chosen < m.seen) this.catchUp(from, progress, m.chosen + 1);
    this.serveReads();
  }

  /** The follower was told of chosen slots it cannot learn alone (it accepted them at another ballot, or never). */
  private catchUp(peer: NodeId, progress: PeerProgress, from: number): void {
    if (from <= progress.catchupTo && this.now < progress.catchupAt) return;
    const to = Math.min(this.acceptor.chosenUpTo, from + this.opts.maxCatchupSlots - 1);
    if (to < from) return;
    this.out.early(peer, { t: 'decide', from, values: this.acceptor.chosenValues(from, to) });
    progress.catchupTo = to;
    progress.catchupAt = this.now + this.opts.retransmitMs;
  }

  private onSync(from: NodeId, m: Msg<'sync'>): void {
    if (this.acceptor.chosenUpTo <= m.chosen) return;
    const to = Math.min(this.acceptor.chosenUpTo, m.chosen + this.opts.maxCatchupSlots);
    this.out.early(from, { t: 'decide', from: m.chosen + 1, values: this.acceptor.chosenValues(m.chosen + 1, to) });
  }

  // ---------------------------------------------------------------- phase 2

  /** Phase 2a: accept locally at our ballot, then ask every peer. False if our own acceptor refused. */
  private proposeSlots(from: number, values: SlotValue[]): boolean {
    const p = this.proposer!;
    if (!this.acceptor.accept(p.ballot, from, values)) {
      this.preempted(null);
      return false;
    }
    let chosen = false;
    for (let i = 0; i < values.length; i++) {
      if (p.track(from + i, this.now, this.id)) {
        this.acceptor.markChosen(from + i);
        chosen = true;
      }
    }
    const msg: PaxosMessage = { t: 'accept', ballot: p.ballot, from, values, chosen: this.acceptor.chosenUpTo, seq: this.readSeq };
    for (const peer of this.peers) {
      if (this.promiseUnsynced) this.out.send(peer, msg);
      else this.out.early(peer, msg);
    }
    if (chosen) this.apply();
    return true;
  }

  private newProposal(batch: Queued[]): Proposal {
    const p = this.proposer!;
    const id = `${p.ballot[0]}.${this.id}.${++p.proposals}`;
    this.pending.set(
      id,
      batch.map((q) => q.reqId),
    );
    return { id, ops: batch.map((q) => q.op) };
  }

  /** Leader: every request of this input batch into slots, all of them in one accept per peer. */
  private proposeQueued(): boolean {
    const p = this.proposer!;
    const values: Proposal[] = [];
    while (this.queue.length > 0 && p.unchosen + values.length < this.opts.maxInflightSlots) {
      values.push(this.newProposal(this.queue.splice(0, this.opts.maxBatchOps)));
    }
    if (values.length === 0 || !this.proposeSlots(p.nextSlot, values)) return false;
    p.nextSlot += values.length;
    return true;
  }

  private heartbeat(): void {
    const p = this.proposer!;
    const msg: PaxosMessage = { t: 'accept', ballot: p.ballot, from: p.nextSlot, values: [], chosen: this.acceptor.chosenUpTo, seq: this.readSeq };
    for (const peer of this.peers) {
      if (this.promiseUnsynced) this.out.send(peer, msg);
      else this.out.early(peer, msg);
    }
  }

  /** Accepts lost on a dead link or dropped by a full one are sent again to whoever has not answered. */
  private retransmit(): void {
    const p = this.proposer!;
    const overdue = p.overdue(this.now, this.opts.retransmitMs);
    if (overdue.length === 0) return;
    for (const peer of this.peers) {
      const missing = overdue.filter((s) => !p.hasAccepted(s, peer));
      for (let i = 0; i < missing.length; ) {
        let j = i;
        while (j + 1 < missing.length && missing[j + 1] === missing[j]! + 1 && j + 1 - i < this.opts.maxCatchupSlots) j++;
        const from = missing[i]!;
        const values = missing.slice(i, j + 1).map((s) => this.acceptor.value(s));
        this.out.early(peer, { t: 'accept', ballot: p.ballot, from, values, chosen: this.acceptor.chosenUpTo, seq: this.readSeq });
        i = j + 1;
      }
    }
  }

  // ---------------------------------------------------------------- leaderless rounds

  private tickLeaderless(): void {
    if (this.now >= this.nextSync) {
      this.nextSync = this.now + this.opts.heartbeatMs;
      for (const peer of this.peers) this.out.send(peer, { t: 'sync', chosen: this.acceptor.chosenUpTo });
    }
    if (this.proposer) {
      if (this.now >= this.roundDeadline) this.abandonRound();
      return;
    }
    if (this.now >= this.backoffUntil && (this.queue.length > 0 || this.inDoubt.length > 0)) this.campaign();
  }

  /** When every slot of the round is chosen: tell the learners, and start the next round if work waits. */
  private finishRound(): void {
    const p = this.proposer;
    if (!p || p.phase !== 'accept' || p.unchosen > 0) return;
    const last = p.nextSlot - 1;
    if (last >= p.firstSlot) {
      const msg: PaxosMessage = { t: 'decide', from: p.firstSlot, values: this.acceptor.chosenValues(p.firstSlot, last) };
      for (const peer of this.peers) this.out.send(peer, msg);
    }
    this.proposer = null;
    this.role = 'idle';
    this.roundValues = [];
    this.conflicts = 0;
    if (this.queue.length > 0 || this.inDoubt.length > 0) this.campaign();
  }

  /** Refused or timed out: our values are in doubt (they may yet be chosen); retry after a randomized backoff. */
  private abandonRound(): void {
    for (const v of this.roundValues) if (this.pending.has(v.id)) this.inDoubt.push(v);
    this.roundValues = [];
    this.proposer = null;
    this.role = 'idle';
    this.conflicts++;
    const cap = Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** Math.min(this.conflicts, 16));
    this.backoffUntil = this.now + this.random.int(0, cap);
  }

  // ---------------------------------------------------------------- clients and the state machine

  private onClient(reqId: string, op: ClientOp, forwarded: boolean): void {
    if (this.leaderless) {
      this.queue.push({ reqId, op });
      if (!this.proposer && this.now >= this.backoffUntil) this.campaign();
      return;
    }
    if (this.role !== 'leader') {
      if (this.leader !== null && !forwarded) this.out.forward(reqId, this.leader);
      else this.out.reply(reqId, reply.unavailable('no leader known', { leader: this.leader }));
      return;
    }
    if (this.opts.readMode === 'readindex' && KvState.isReadOnly(op)) {
      const index = Math.max(this.acceptor.chosenUpTo, this.takeoverSlot);
      const confirm = this.peers.length > 0;
      this.pendingReads.push({ reqId, op, index, seq: confirm ? this.readSeq + 1 : this.readSeq });
      if (confirm) this.readsAwaitingSeq = true;
      this.serveReads();
      return;
    }
    this.queue.push({ reqId, op });
  }

  private forget(reqId: string): void {
    this.queue = this.queue.filter((q) => q.reqId !== reqId);
    this.pendingReads = this.pendingReads.filter((r) => r.reqId !== reqId);
    for (const [id, reqIds] of this.pending) {
      const i = reqIds.indexOf(reqId);
      if (i < 0) continue;
      reqIds[i] = null;
      if (reqIds.every((r) => r === null)) {
        this.pending.delete(id);
        this.inDoubt = this.inDoubt.filter((v) => v.id !== id); // nobody waits for it: stop retrying
      }
    }
  }

  /** Rebuild the state machine from the chosen prefix on disk, silently: it was applied and traced before the crash. */
  private applyRecovered(): void {
    while (this.appliedIndex < this.acceptor.chosenUpTo) {
      const v = this.acceptor.value(++this.appliedIndex);
      if (v === null || this.appliedIds.has(v.id)) continue;
      this.appliedIds.add(v.id);
      for (const op of v.ops) this.state.apply(op);
    }
  }

  /** Apply chosen slots in slot order (learners execute the log as a state machine, §3). */
  private apply(): void {
    while (this.appliedIndex < this.acceptor.chosenUpTo) {
      const v = this.acceptor.value(++this.appliedIndex);
      if (v === null || this.appliedIds.has(v.id)) continue;
      this.appliedIds.add(v.id);
      const waiting = this.pending.get(v.id);
      if (waiting) {
        this.pending.delete(v.id);
        if (this.leaderless) this.inDoubt = this.inDoubt.filter((x) => x.id !== v.id);
      }
      for (let i = 0; i < v.ops.length; i++) {
        const result = this.state.apply(v.ops[i]!);
        for (const [key, value] of result.writes) this.out.applied(key, value);
        const reqId = waiting?.[i];
        if (reqId) this.out.reply(reqId, result.reply);
      }
    }
    this.serveReads();
  }

  private serveReads(): void {
    if (this.pendingReads.length === 0 || this.role !== 'leader') return;
    const acked = [this.readSeq];
    for (const p of this.progress.values()) acked.push(p.ackedSeq);
    acked.sort((a, b) => b - a);
    const confirmed = acked[this.quorum - 1]!;
    const still: PendingRead[] = [];
    for (const r of this.pendingReads) {
      if (r.seq <= confirmed && r.index <= this.appliedIndex) this.out.reply(r.reqId, this.state.apply(r.op).reply);
      else still.push(r);
    }
    this.pendingReads = still;
  }
}
