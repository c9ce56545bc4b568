/**
 * Multi-Paxos with a distinguished proposer (Paxos Made Simple §3), the default mode: the
 * node whose phase 1 completes runs phase 2 for every later slot with the same ballot.
 *
 *   - Batching and pipelining: every request of one input batch goes in one slot (at most
 *     maxBatchOps each), the new slots in one accept per peer (more only past maxBatchOps
 *     operations, core.ts `runs`), up to maxInflightSlots slots proposed and not yet chosen.
 *   - Failure detection: heartbeats (empty accepts) every heartbeatMs; a follower that hears
 *     none for a randomized electionTimeout runs phase 1 with a higher ballot; a candidate
 *     refused retries after a new randomized timeout, so duelling proposers do not livelock.
 *     With probe a candidate first asks whether a majority would promise, so one cut off
 *     with a minority raises nobody's promise; with stickyLeader an acceptor that heard the
 *     leader recently refuses other candidates; with checkQuorum a leader cut off from a
 *     majority steps down (PreVote, §4.2.3 and CheckQuorum of the Raft dissertation,
 *     transposed: the same failure detector as nodes/raft, so the two compare fairly).
 *   - Catch-up: a follower reports the chosen point it reached and the one it was told; when
 *     they differ it cannot learn those slots alone (it accepted them at another ballot, or
 *     never), and the leader sends it the chosen values (decide), or its snapshot when the
 *     follower is behind the slots the leader forgot (core.ts). Accepts a peer lost are
 *     sent again when its answer to a later message shows the gap (core.ts).
 *   - Reads are linearized with a read-index confirmation round, not a lease: a read waits
 *     until a majority has answered an accept or heartbeat sent after it arrived, at our
 *     ballot, so none of them had promised a higher one by then; it also waits until every
 *     slot recovered at takeover is chosen and applied. A leader deposed while paused
 *     (SIGSTOP) or whose clock jumped cannot collect that majority, whereas a lease would trust
 *     a clock across the pause. `readMode=log` chooses reads in slots instead.
 *   - Clients: a follower forwards to the leader it knows (one hop), or answers 503; a leader
 *     that steps down answers its proposed writes 504 (they may yet be chosen by its
 *     successor) and what it never proposed 503.
 */
import { reply, type ClientOp, type CoreContext, type NodeId } from '../common/core.js';
import { KvState } from '../common/kv-state.js';
import { PaxosCore, type Msg, type Role } from './core.js';
import type { Proposal, SlotValue } from './messages.js';
import type { PaxosOptions } from './options.js';
import { ReadIndexQueue, quorumValue } from '../common/read-index.js';
import { CheckQuorum } from '../common/check-quorum.js';

interface PeerProgress {
  /** Highest read-confirmation round answered at our ballot. */
  ackedSeq: number;
  /** Last slot of the catch-up in flight, and when to send it again if it is lost. */
  catchupTo: number;
  catchupAt: number;
}

export class StableLeaderCore extends PaxosCore {
  role: Role = 'follower';
  private electionDeadline = 0;
  private lastHeardLeader = -Infinity;
  private readonly progress = new Map<NodeId, PeerProgress>();
  /** The last slot phase 1 recovered: reads wait until it is applied. */
  private takeoverSlot = 0;
  private nextHeartbeat = 0;
  private readonly quorumCheck: CheckQuorum;
  private seq = 0;
  private readsAwaitingSeq = false;
  private readonly reads = new ReadIndexQueue();

  constructor(ctx: CoreContext<PaxosOptions>) {
    super(ctx);
    this.quorumCheck = new CheckQuorum(ctx.options.electionTimeoutMaxMs);
    this.resetElectionTimer();
  }

  protected override get readSeq(): number {
    return this.seq;
  }

  private resetElectionTimer(): void {
    this.electionDeadline = this.now + this.random.int(this.opts.electionTimeoutMinMs, this.opts.electionTimeoutMaxMs);
  }

  protected tick(): void {
    if (this.role !== 'leader') {
      if (this.now >= this.electionDeadline) {
        this.role = 'candidate';
        this.leader = null;
        this.resetElectionTimer(); // phase 1 not done by then: try again with a higher ballot
        this.campaign(this.opts.probe);
      }
      return;
    }
    if (this.opts.checkQuorum && !this.quorumCheck.holds(this.now, this.quorum)) return this.stepDown(null);
    if (this.now >= this.nextHeartbeat) {
      this.nextHeartbeat = this.now + this.opts.heartbeatMs;
      this.heartbeat(); // its answer also reveals accepts a peer lost (core.ts resendLost)
    }
  }

  protected takeOver(recovery: { slot: number; value: SlotValue }[]): void {
    const p = this.proposer!;
    this.role = 'leader';
    this.leader = this.id;
    this.takeoverSlot = p.maxSlot;
    this.seq = 0;
    this.quorumCheck.start(this.now, this.peers);
    this.nextHeartbeat = this.now + this.opts.heartbeatMs;
    this.progress.clear();
    for (const peer of this.peers) this.progress.set(peer, { ackedSeq: 0, catchupTo: 0, catchupAt: 0 });
    if (!this.proposeAll(recovery)) return;
    if (recovery.length === 0) this.heartbeat(); // followers learn who leads without waiting a heartbeat interval
  }

  protected preempted(leaderHint: NodeId | null): void {
    this.stepDown(leaderHint);
  }

  private stepDown(leaderHint: NodeId | null): void {
    if (this.role === 'leader') this.abandonLeadership();
    this.role = 'follower';
    this.proposer = null;
    this.leader = leaderHint === this.id ? null : leaderHint;
    this.resetElectionTimer();
  }

  private abandonLeadership(): void {
    for (const reqIds of this.executor.pending.values()) {
      for (const reqId of reqIds) if (reqId !== null) this.out.reply(reqId, reply.unknown('leadership lost before the proposal was chosen'));
    }
    this.executor.pending.clear();
    for (const q of this.queue) this.out.reply(q.reqId, reply.unavailable('leadership lost before the request was proposed'));
    this.queue = [];
    this.reads.failAll((reqId, r) => this.out.reply(reqId, r), reply.unavailable('leadership lost before the read was confirmed'));
    this.progress.clear();
  }

  // ---------------------------------------------------------------- as acceptor and learner

  protected override sticky(from: NodeId): boolean {
    if (!this.opts.stickyLeader) return false;
    if (this.role === 'leader') return true;
    return this.leader !== null && this.leader !== from && this.now - this.lastHeardLeader < this.opts.electionTimeoutMinMs;
  }

  protected override onPromised(): void {
    this.leader = null;
    this.resetElectionTimer(); // give the proposer we promised time to finish
  }

  protected override onValidAccept(from: NodeId): void {
    if (this.proposer) this.stepDown(from); // only a proposer whose phase 1 completed sends accepts: it leads now
    this.leader = from;
    this.lastHeardLeader = this.now;
    this.resetElectionTimer();
  }

  // ---------------------------------------------------------------- as leader

  protected override onAcceptedBy(from: NodeId, m: Msg<'accepted'>): void {
    const progress = this.progress.get(from);
    if (!progress) return;
    this.quorumCheck.heardFrom(from);
    if (m.seq > progress.ackedSeq) progress.ackedSeq = m.seq;
    if (m.chosen < m.seen) this.catchUp(from, progress, m.chosen + 1);
    this.serveReads();
  }

  private catchUp(peer: NodeId, progress: PeerProgress, from: number): void {
    if (from <= this.acceptor.base) return this.pushSnapshot(peer); // behind what we forgot
    if (from <= progress.catchupTo && this.now < progress.catchupAt) return;
    if (this.acceptor.chosenUpTo < from) return;
    progress.catchupTo = this.sendChosen(peer, from, this.acceptor.chosenUpTo);
    progress.catchupAt = this.now + this.opts.retransmitMs;
  }

  protected override beforeReady(): void {
    if (this.role !== 'leader') return;
    const confirm = this.readsAwaitingSeq;
    if (confirm) this.seq++;
    this.readsAwaitingSeq = false;
    if (!this.proposeQueued() && confirm) this.heartbeat();
  }

  /** Every request of this input batch into slots, in one accept per peer (or a few, if they are large). */
  private proposeQueued(): boolean {
    const p = this.proposer!;
    const proposals: { slot: number; value: Proposal }[] = [];
    while (this.queue.length > 0 && p.unchosen + proposals.length < this.opts.maxInflightSlots) {
      proposals.push({ slot: p.nextSlot + proposals.length, value: this.newProposal(this.queue.splice(0, this.opts.maxBatchOps)) });
    }
    if (proposals.length === 0 || !this.proposeAll(proposals)) return false;
    p.nextSlot += proposals.length;
    return true;
  }

  private heartbeat(): void {
    const p = this.proposer!;
    const msg: Msg<'accept'> = { t: 'accept', ballot: p.ballot, from: p.nextSlot, values: [], chosen: this.acceptor.chosenUpTo, seq: this.seq };
    for (const peer of this.peers) this.sendAccept(peer, msg);
  }

  // ---------------------------------------------------------------- clients

  protected onClient(reqId: string, op: ClientOp, forwarded: boolean): void {
    if (this.role !== 'leader') return this.out.toLeader(reqId, this.leader, forwarded);
    if (this.opts.readMode === 'readindex' && KvState.isReadOnly(op)) {
      const index = Math.max(this.acceptor.chosenUpTo, this.takeoverSlot);
      const confirm = this.peers.length > 0;
      this.reads.add({ reqId, op, index, seq: confirm ? this.seq + 1 : this.seq });
      if (confirm) this.readsAwaitingSeq = true;
      this.serveReads();
      return;
    }
    this.queue.push({ reqId, op });
  }

  protected override onForget(reqId: string): void {
    this.reads.forget(reqId);
  }

  protected override afterApply(): void {
    this.serveReads();
  }

  private serveReads(): void {
    if (this.reads.size === 0 || this.role !== 'leader') return;
    const confirmed = quorumValue([this.seq, ...[...this.progress.values()].map((p) => p.ackedSeq)], this.quorum);
    this.reads.serve(confirmed, this.appliedIndex, (r) => this.out.reply(r.reqId, this.state.apply(r.op).reply));
  }
}
