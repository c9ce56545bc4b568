/**
 * Multi-Paxos (Lamport, "Paxos Made Simple", 2001) as a pure state machine: `step` is the one
 * door in; `ready` hands the runtime what to persist and send. Every node plays all three
 * roles: acceptor and learner (acceptor.ts) and proposer (proposer.ts tracks one ballot's
 * run). This file holds what both modes share; leader.ts (the default: a distinguished
 * proposer, §3) and leaderless.ts (every node proposes) decide when to run phase 1, what to
 * propose, and how to answer clients.
 *
 * What both modes rely on:
 *   - Phase 1 covers every slot above the proposer's chosen point; promises carry what each
 *     acceptor accepted there, in pages (proposer.ts). Phase 2 then re-proposes the
 *     highest-ballot value of each slot and fills gaps with no-ops before anything new (§3).
 *   - A proposer promises itself last, once the peers' promises would make a majority with it,
 *     so a node that cannot reach a majority never raises its own promise (and a healed
 *     partition does not depose a live leader). The Ready that carries that promise sends its
 *     accepts after the fsync; later accepts leave before the proposer's own fsync (`early`,
 *     as Raft's §10.2.1): it counts itself for slots it accepted in an earlier Ready, and the
 *     runtime steps no input before that Ready's fsync (core.ts, Ready order; host.ts
 *     asserts it), so those are durable by the time a peer's answer completes a quorum.
 *   - Learners learn a slot from the chosen point a ballot's proposer piggybacks on its
 *     accepts (for slots accepted at that ballot), or from chosen values sent outright
 *     (decide). They execute the log in slot order (executor.ts). The first way needs the
 *     ballot's value to be the chosen one wherever the point covers it, so a proposer that
 *     learns a higher ballot chose otherwise in one of its slots stops (endOverruledRound).
 *   - Links are FIFO, so a peer's answer to a later accept or heartbeat proves an earlier
 *     accept it never answered was lost: that, not a timer, is when an accept goes again.
 *   - No message carries more than maxBatchOps operations or maxCatchupSlots slots: a frame
 *     has a size limit (codec.ts), as Raft's appends carry at most maxBatchEntries.
 *   - Snapshots of the chosen prefix (as Raft's §7): every `snapshotEntries` slots executed
 *     (or `snapshotBytes`), the state machine becomes an image and the acceptor forgets the
 *     slots up to the previous snapshot (acceptor.ts says why that is safe). A peer that
 *     shows it needs forgotten slots (a learner catching up, a proposer whose phase 1 or
 *     accepts start below them, a leaderless sync) is sent the newest image in chunks
 *     (nodes/common/snapshot-transfer.ts) instead of slot by slot.
 */
import { ReadyBuffer, type ClientOp, type Core, type CoreContext, type Input, type NodeId, type Ready } from '../common/core.js';
import { tracedValue, type KvState } from '../common/kv-state.js';
import { IncomingSnapshot, type HeldSnapshot } from '../common/snapshot-transfer.js';
import { snapshotDue } from '../common/compaction.js';
import type { Random } from '../common/random.js';
import { Acceptor } from './acceptor.js';
import { LogExecutor } from './executor.js';
import { Proposer } from './proposer.js';
import { SnapshotPusher } from './catch-up.js';
import { compareBallots, decodePaxosImage, encodePaxosImage, opsIn, sameBallot, type Ballot, type PaxosMessage, type Proposal, type SlotValue } from './messages.js';
import type { PaxosOptions } from './options.js';

export type Role = 'follower' | 'candidate' | 'leader' | 'proposer' | 'idle';

export type Msg<T extends PaxosMessage['t']> = Extract<PaxosMessage, { t: T }>;

export interface Queued {
  reqId: string;
  op: ClientOp;
}

export abstract class PaxosCore implements Core<PaxosMessage> {
  readonly id: NodeId;
  protected readonly peers: NodeId[];
  private readonly peerSet: Set<NodeId>;
  protected readonly opts: PaxosOptions;
  protected readonly random: Random;
  protected readonly out = new ReadyBuffer<PaxosMessage>();
  readonly acceptor: Acceptor;
  protected readonly executor: LogExecutor;

  abstract role: Role;
  leader: NodeId | null = null;
  proposer: Proposer | null = null;
  protected now: number;
  protected maxRoundSeen: number;
  /** Our promise is in this Ready's persist: accepts must not leave before it (no `early`). */
  protected promiseUnsynced = false;
  /** Requests not yet proposed. */
  protected queue: Queued[] = [];
  /** GET /metrics: what the protocol spent beyond the happy path. */
  readonly counters = { phase1Runs: 0, phase1Pages: 0, ballotsLost: 0, acceptsResent: 0, chosenValuesSent: 0, snapshotsTaken: 0, snapshotsInstalled: 0, snapshotsStarted: 0, snapshotChunksSent: 0 };
  /** The newest snapshot on disk (taken or installed), kept to send to peers that need it. */
  snapshot: HeldSnapshot | null = null;
  private readonly pusher: SnapshotPusher;
  private readonly incoming: IncomingSnapshot;

  constructor(ctx: CoreContext<PaxosOptions>) {
    this.id = ctx.id;
    this.peers = [...ctx.peers].sort();
    this.peerSet = new Set(this.peers);
    this.opts = ctx.options;
    this.random = ctx.random;
    this.now = ctx.now;
    this.incoming = new IncomingSnapshot(ctx.options.electionTimeoutMaxMs);
    this.pusher = new SnapshotPusher(ctx.options, (to, msg) => this.out.early(to, msg), this.counters);
    const image = ctx.snapshot ? decodePaxosImage(ctx.snapshot) : null;
    this.acceptor = new Acceptor(ctx.recovered, (record) => this.out.persist(record), image?.slot ?? 0);
    this.maxRoundSeen = this.acceptor.promised[0];
    this.executor = new LogExecutor(this.acceptor, this.out, ctx.options.mode === 'leaderless', ctx.options.snapshotBytes > 0);
    if (image) {
      // What a snapshot holds was executed (and traced) before: the state resumes silently.
      this.executor.restore(image);
      this.snapshot = { index: image.slot, term: 0, image: ctx.snapshot! };
    }
    this.executor.recover();
  }

  get state(): KvState {
    return this.executor.state;
  }
  get appliedIndex(): number {
    return this.executor.appliedIndex;
  }

  /**
   * A slot is executed only once its value is in this node's durable log or snapshot (Ready
   * order: its accept or decide record is forced before the step's trace), so whatever it
   * executed before a crash it holds again: through its last slot (workloads/checkers/log-safety.ts).
   */
  recoveredThrough(): number {
    return this.acceptor.lastSlot;
  }

  protected get quorum(): number {
    return Math.floor((this.peers.length + 1) / 2) + 1;
  }
  get commitIndex(): number {
    return this.acceptor.chosenUpTo;
  }
  get ballot(): Ballot | null {
    return this.proposer?.ballot ?? null;
  }
  /** Requests this node still has to get chosen. */
  get waiting(): number {
    return this.queue.length;
  }

  // ---------------------------------------------------------------- what each mode decides

  protected abstract tick(): void;
  protected abstract onClient(reqId: string, op: ClientOp, forwarded: boolean): void;
  /** Phase 1 is complete; `recovery` must be proposed first (takeOver). */
  protected abstract takeOver(recovery: { slot: number; value: SlotValue }[]): void;
  /** Our ballot lost: a higher one was promised somewhere, or a live leader was named. */
  protected abstract preempted(leaderHint: NodeId | null): void;
  /** Outputs only known at the end of an input batch (the leader's batch of proposals). */
  protected beforeReady(): void {}
  /** Whether to refuse a prepare from `from` even though its ballot is high enough. */
  protected sticky(_from: NodeId): boolean {
    return false;
  }
  /** We just promised a prepare from `from`. */
  protected onPromised(_from: NodeId): void {}
  /** `from` sent a valid accept (so it completed phase 1 with that ballot). */
  protected onValidAccept(_from: NodeId): void {}
  /** A peer accepted at our ballot (after the slots were counted). */
  protected onAcceptedBy(_from: NodeId, _m: Msg<'accepted'>): void {}
  protected onForget(_reqId: string): void {}

  // ---------------------------------------------------------------- the Core contract

  step(input: Input<PaxosMessage>): void {
    switch (input.type) {
      case 'tick':
        this.now = input.now;
        this.pusher.tick(this.now);
        return this.tick();
      case 'message':
        return this.onMessage(input.from, input.msg);
      case 'client':
        return this.onClient(input.reqId, input.op, input.forwarded);
      case 'clientGone':
        return this.forget(input.reqId);
    }
  }

  ready(): Ready<PaxosMessage> {
    this.beforeReady();
    this.maybeSnapshot();
    this.acceptor.endReady();
    this.promiseUnsynced = false;
    return this.out.take();
  }

  leaderId(): NodeId | null {
    return this.leader;
  }

  status(): Record<string, unknown> {
    return {
      role: this.role,
      leader: this.leader,
      term: this.proposer?.ballot[0] ?? this.acceptor.promised[0],
      ballot: this.acceptor.promised,
      commitIndex: this.acceptor.chosenUpTo,
      appliedIndex: this.executor.appliedIndex,
      lastSlot: this.acceptor.lastSlot,
      mode: this.opts.mode,
      snapshotSlot: this.snapshot?.index ?? 0,
      firstSlot: this.acceptor.base + 1,
    };
  }

  metrics(): Record<string, unknown> {
    return {
      paxos: {
        ...this.counters,
        inflightSlots: this.proposer?.unchosen ?? 0,
        queued: this.queue.length,
        awaitingOutcome: this.executor.pending.size,
        slotsHeld: this.acceptor.lastSlot - this.acceptor.base,
      },
    };
  }

  private lose(leaderHint: NodeId | null): void {
    this.counters.ballotsLost++;
    this.preempted(leaderHint);
  }

  /**
   * Chosen values from slot `from` to a learner that lacks them, one message's worth (at most
   * up to `last`): returns the last slot sent.
   */
  protected sendChosen(to: NodeId, first: number, last: number): number {
    // Only values this node holds chosen: a slot it forgot is a snapshot's to send
    // (pushSnapshot), and one a promise said others forgot (phase 1's `compacted`) is
    // chosen with a value this node does not have. Nothing to send: done up to `last`.
    let from = Math.max(first, this.acceptor.base + 1);
    while (from <= last && !this.acceptor.slot(from)?.chosen) from++;
    const items = [];
    for (let s = from; s <= last && items.length < this.opts.maxCatchupSlots && this.acceptor.slot(s)?.chosen; s++) items.push({ slot: s, value: this.acceptor.value(s) });
    if (items.length === 0) return last;
    const run = this.runs(items).next().value!;
    this.counters.chosenValuesSent += run.values.length;
    this.out.early(to, { t: 'decide', from, values: run.values });
    return from + run.values.length - 1;
  }

  /**
   * Consecutive slots grouped into messages of at most maxCatchupSlots slots and maxBatchOps
   * operations, as Raft's appends carry at most maxBatchEntries: a frame has a size limit.
   */
  protected *runs(items: readonly { slot: number; value: SlotValue }[]): Generator<{ from: number; values: SlotValue[] }> {
    for (let i = 0; i < items.length; ) {
      const values = [items[i]!.value];
      let ops = opsIn(items[i]!.value);
      let j = i;
      while (
        j + 1 < items.length &&
        items[j + 1]!.slot === items[j]!.slot + 1 &&
        values.length < this.opts.maxCatchupSlots &&
        ops + opsIn(items[j + 1]!.value) <= this.opts.maxBatchOps
      ) {
        j++;
        values.push(items[j]!.value);
        ops += opsIn(items[j]!.value);
      }
      yield { from: items[i]!.slot, values };
      i = j + 1;
    }
  }

  // ---------------------------------------------------------------- phase 1

  /**
   * Start phase 1 with a ballot above every round seen (§2.2: a proposer picks a new, higher
   * number); with `probe`, first ask whether a majority would promise it.
   */
  protected campaign(probe = false): void {
    const round = Math.max(this.acceptor.promised[0], this.maxRoundSeen) + 1;
    this.maxRoundSeen = round;
    const p = new Proposer([round, this.id], this.acceptor.chosenUpTo + 1, this.quorum);
    this.proposer = p;
    this.counters.phase1Runs++;
    if (probe && this.quorum > 1) {
      p.probing = true;
      for (const peer of this.peers) this.out.send(peer, { t: 'probe', ballot: p.ballot });
      return;
    }
    this.sendPrepares();
    this.tallyPromises();
  }

  private sendPrepares(): void {
    const p = this.proposer!;
    this.counters.phase1Pages++;
    for (const peer of this.peers) this.out.send(peer, { t: 'prepare', ballot: p.ballot, from: p.pageFrom });
  }

  private tallyPromises(): void {
    const p = this.proposer;
    while (p && this.proposer === p && p.phase === 'prepare') {
      if (!p.selfPromised && p.promiseCount >= this.quorum - 1) {
        if (!this.acceptor.promise(p.ballot)) return this.lose(null);
        p.selfPromised = true;
        this.promiseUnsynced = true;
      }
      if (p.selfPromised && !p.hasPromiseFrom(this.id)) {
        p.addPromise(this.id, { from: p.pageFrom, ...this.acceptor.report(p.pageFrom, this.opts.maxCatchupSlots, this.opts.maxBatchOps) });
      }
      if (p.promiseCount < this.quorum) return;
      const { chosen, next } = p.closePage((s) => this.acceptor.isChosen(s));
      if (chosen.size > 0) {
        this.acceptor.learnSlots(chosen);
        this.apply();
      }
      if (next !== null) this.sendPrepares();
      else {
        const recovery = p.recovery((s) => this.acceptor.isChosen(s));
        p.nextSlot = Math.max(p.maxSlot, this.acceptor.chosenUpTo) + 1;
        this.takeOver(recovery);
      }
    }
  }

  // ---------------------------------------------------------------- messages

  private onMessage(from: NodeId, m: PaxosMessage): void {
    if (!this.peerSet.has(from)) return;
    switch (m.t) {
      case 'probe':
        this.noteRound(m.ballot);
        // Granting changes nothing here: no promise, no timer.
        if (!this.sticky(from) && compareBallots(m.ballot, this.acceptor.promised) > 0) this.out.send(from, { t: 'probeOk', ballot: m.ballot });
        else this.reject(from, m.ballot);
        return;
      case 'probeOk':
        return this.onProbeOk(from, m);
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
        this.endOverruledRound();
        return this.apply();
      case 'sync':
        return this.onSync(from, m);
      case 'snapshot':
        return this.onSnapshotChunk(from, m);
      case 'snapshotAck':
        return this.pusher.onAck(from, m, this.now);
    }
  }

  /**
   * Our chosen point rides on every accept we send, and an acceptor takes it to mean that what
   * it accepted at our ballot up to that point is chosen (acceptor.ts learnAt). That holds only
   * while each slot our ballot proposed in is either not known chosen or chosen with our value
   * (§2.3: a learner learns a value from a majority that accepted it at one ballot, or from
   * someone who knows it chosen). A decide can tell us that a higher ballot chose another value
   * in one of our slots; then our ballot can never be chosen there, and the next accept we sent
   * at it would announce a chosen point covering a slot our acceptors hold the losing value in.
   * So the round ends here, as if a higher promise had refused it.
   */
  private endOverruledRound(): void {
    const p = this.proposer;
    if (!p) return;
    // A slot of ours that is forgotten here was chosen with a value we cannot compare: end the round, as if overruled.
    if (p.proposedUpTo(this.acceptor.base) || p.overruled((s) => this.acceptor.isChosen(s), (s) => this.acceptor.value(s))) this.lose(null);
  }

  private noteRound(b: Ballot): void {
    if (b[0] > this.maxRoundSeen) this.maxRoundSeen = b[0];
  }

  private reject(to: NodeId, ballot: Ballot): void {
    this.out.send(to, { t: 'reject', ballot, promised: this.acceptor.promised, leader: this.leader });
  }

  private onPrepare(from: NodeId, m: Msg<'prepare'>): void {
    this.noteRound(m.ballot);
    if (this.sticky(from) || !this.acceptor.promise(m.ballot)) return this.reject(from, m.ballot);
    // Having promised a higher ballot, our own (if lower) can never be accepted here.
    if (this.proposer && compareBallots(this.proposer.ballot, m.ballot) < 0) this.lose(null);
    this.onPromised(from);
    this.out.send(from, { t: 'promise', ballot: m.ballot, from: m.from, ...this.acceptor.report(m.from, this.opts.maxCatchupSlots, this.opts.maxBatchOps) });
    // Its phase 1 starts among slots we forgot: it learns they are chosen, and gets their state.
    if (m.from <= this.acceptor.base) this.pushSnapshot(from);
  }

  private onProbeOk(from: NodeId, m: Msg<'probeOk'>): void {
    const p = this.proposer;
    if (!p || !p.probing || !sameBallot(m.ballot, p.ballot)) return;
    p.probeGrants.add(from);
    if (p.probeGrants.size < this.quorum - 1) return;
    p.probing = false;
    this.sendPrepares();
    this.tallyPromises();
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
    // Phase 2 is refused only for a higher promise; phase 1 also yields to a named live leader.
    if (p.phase === 'accept' && compareBallots(m.promised, p.ballot) <= 0) return;
    this.lose(m.leader);
  }

  private onAccept(from: NodeId, m: Msg<'accept'>): void {
    this.noteRound(m.ballot);
    const held = this.acceptor.accept(m.ballot, m.from, m.values);
    if (held === null) return this.reject(from, m.ballot);
    // As for a prepare: our acceptor is now bound above our ballot (and may learn that ballot's
    // values chosen below), so our own ballot is done.
    if (this.proposer && compareBallots(this.proposer.ballot, m.ballot) < 0) this.lose(null);
    this.onValidAccept(from);
    // Its proposer works among slots we forgot (it is behind them): it needs our state.
    if (m.from <= this.acceptor.base) this.pushSnapshot(from);
    this.acceptor.learnAt(m.ballot, m.chosen);
    this.apply();
    this.out.send(from, {
      t: 'accepted',
      ballot: m.ballot,
      from: m.from,
      count: held,
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
    this.resendLost(from, m.from);
    this.onAcceptedBy(from, m);
  }

  /** What `peer` lost of our accepts sent before slot `before` goes again, in runs. */
  private resendLost(peer: NodeId, before: number): void {
    const p = this.proposer;
    if (!p || p.phase !== 'accept') return;
    const lost = p.lostBy(peer, before, this.now, this.opts.retransmitMs);
    this.counters.acceptsResent += lost.length;
    for (const { from, values } of this.runs(lost.map((slot) => ({ slot, value: p.proposed(slot)! })))) {
      this.sendAccept(peer, { t: 'accept', ballot: p.ballot, from, values, chosen: this.acceptor.chosenUpTo, seq: this.readSeq });
    }
  }

  private onSync(from: NodeId, m: Msg<'sync'>): void {
    if (this.acceptor.chosenUpTo <= m.chosen) return;
    if (m.chosen < this.acceptor.base) this.pushSnapshot(from);
    else this.sendChosen(from, m.chosen + 1, this.acceptor.chosenUpTo);
  }

  // ---------------------------------------------------------------- snapshots

  /**
   * Every `snapshotEntries` slots executed (or `snapshotBytes`): the state machine as an
   * image, and the acceptor keeps the slots after the previous snapshot (so a torn newest
   * snapshot can be passed over, and a learner that far behind still gets values).
   */
  private maybeSnapshot(): void {
    const last = this.snapshot?.index ?? 0;
    if (!snapshotDue(this.opts, this.executor.appliedIndex - last, this.executor.appliedBytes)) return;
    const image = this.executor.image();
    this.snapshot = { index: image.slot, term: 0, image: encodePaxosImage(image) };
    this.acceptor.forget(last);
    this.executor.appliedBytes = 0;
    this.counters.snapshotsTaken++;
    this.out.compact(this.snapshot.image, this.acceptor.records());
  }

  /** `peer` needs slots we forgot: send it our newest image (catch-up.ts). */
  protected pushSnapshot(peer: NodeId): void {
    if (!this.snapshot) throw new Error(`paxos invariant: slots up to ${this.acceptor.base} forgotten but no snapshot holds them`);
    this.pusher.push(peer, this.snapshot, this.now);
  }

  private onSnapshotChunk(from: NodeId, m: Msg<'snapshot'>): void {
    const ack = (received: number) => this.out.send(from, { t: 'snapshotAck', slot: m.slot, received });
    if (m.slot <= this.acceptor.chosenUpTo) return ack(m.total); // covered already
    const { received, image } = this.incoming.take(`${from}/${m.slot}`, [m.slot], m, this.now);
    if (image !== null) this.install(image, m.slot);
    ack(received);
  }

  /**
   * The state after every slot up to `slot` (all chosen) replaces ours; the acceptor forgets
   * those slots. Durable (Ready step 3) before the answer that says it was installed.
   */
  private install(text: string, slot: number): void {
    const image = decodePaxosImage(text);
    if (image.slot !== slot) throw new Error(`paxos invariant: snapshot image of slot ${image.slot} sent as ${slot}`);
    // Our ballot proposed in slots the image covers: chosen there, with values we cannot see.
    if (this.proposer?.proposedUpTo(slot)) this.lose(null);
    this.acceptor.forget(slot);
    this.executor.restore(image);
    this.snapshot = { index: slot, term: 0, image: text };
    this.counters.snapshotsInstalled++;
    // The node now holds these values: the convergence trace says when it first did.
    for (const [key, datum] of image.kv) this.out.applied(key, tracedValue(datum));
    this.out.compact(text, this.acceptor.records());
    this.apply();
  }

  // ---------------------------------------------------------------- phase 2

  /** The seq a leader's accepts carry for read confirmation (0 when unused). */
  protected get readSeq(): number {
    return 0;
  }

  protected sendAccept(to: NodeId, msg: Msg<'accept'>): void {
    if (this.promiseUnsynced) this.out.send(to, msg);
    else this.out.early(to, msg);
  }

  /** Phase 2a: accept locally at our ballot, then ask every peer. False if our own acceptor refused. */
  protected proposeSlots(from: number, values: SlotValue[]): boolean {
    const p = this.proposer!;
    if (this.acceptor.accept(p.ballot, from, values) !== values.length) {
      this.lose(null); // promised higher, or a slot was chosen under a higher ballot
      return false;
    }
    for (let i = 0; i < values.length; i++) if (p.track(from + i, values[i]!, this.id)) this.acceptor.markChosen(from + i);
    const msg: Msg<'accept'> = { t: 'accept', ballot: p.ballot, from, values, chosen: this.acceptor.chosenUpTo, seq: this.readSeq };
    for (const peer of this.peers) this.sendAccept(peer, msg);
    this.apply();
    return true;
  }

  /** Propose (slot, value) pairs, each run in one accept per peer (runs). False if preempted. */
  protected proposeAll(proposals: readonly { slot: number; value: SlotValue }[]): boolean {
    for (const { from, values } of this.runs(proposals)) if (!this.proposeSlots(from, values)) return false;
    return true;
  }

  /** A batch of queued requests as one slot value. Ids are unique: a node never reuses a ballot it proposed in. */
  protected newProposal(batch: Queued[]): Proposal {
    const p = this.proposer!;
    const id = `${p.ballot[0]}.${this.id}.${++p.proposals}`;
    this.executor.pending.set(
      id,
      batch.map((q) => q.reqId),
    );
    return { id, ops: batch.map((q) => q.op) };
  }

  // ---------------------------------------------------------------- clients and the state machine

  private forget(reqId: string): void {
    this.queue = this.queue.filter((q) => q.reqId !== reqId);
    this.executor.forget(reqId);
    this.onForget(reqId);
  }

  /** Execute newly chosen slots (executor.ts), then whatever waited for them. */
  protected apply(): void {
    this.executor.apply();
    this.afterApply();
  }

  /** Reads waiting for the applied index (the leader's read index). */
  protected afterApply(): void {}
}
