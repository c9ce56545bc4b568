/**
 * Raft (Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm", 2014,
 * and Ongaro's dissertation, 2014) as a pure state machine: `step` is the one door in;
 * `ready` hands the runtime what to persist and send.
 *
 * `step` reads like etcd's raft: a peer message first settles terms (a newer term makes
 * this node a follower, an older one gets the newer term back), vote requests are answered
 * whatever the role, and everything else goes to the role's own handler, `stepLeader`,
 * `stepCandidate` or `stepFollower`, which names every message that role acts on. Ticks
 * and client requests split by role the same way.
 *
 * Beyond the paper's Figure 2 this core implements:
 *   - PreVote and CheckQuorum (dissertation §9.6), and ignoring RequestVote within the
 *     minimum election timeout of hearing from a leader (§4.2.3), so a partitioned node
 *     that rejoins does not depose a healthy leader and a cut-off leader steps down;
 *   - batching (all proposals of one input batch travel in one AppendEntries per peer) and
 *     pipelining (etcd-style probe/replicate progress with a bounded in-flight window);
 *   - the leader sends AppendEntries before its own fsync (§10.2.1; see core.ts `early`);
 *   - linearizable reads by ReadIndex (§6.4): a read waits until the leader has committed
 *     an entry of its term, then until a majority has answered a heartbeat sent after the
 *     read arrived, then until the state machine has applied up to the read index. A
 *     deposed leader cannot collect that majority, so it never serves a stale read.
 *     `readMode=log` sends reads through the log instead, for comparison.
 */
import { ReadyBuffer, reply, type ClientOp, type Core, type CoreContext, type Input, type NodeId, type Ready } from '../common/core.js';
import { KvState } from '../common/kv-state.js';
import { ReadIndexQueue, quorumValue } from '../common/read-index.js';
import { CheckQuorum } from '../common/check-quorum.js';
import type { Random } from '../common/random.js';
import type { RaftOptions } from './options.js';

export type Role = 'follower' | 'precandidate' | 'candidate' | 'leader';

/** A log entry: its term and the client operation (null for the leader's no-op). */
export type Entry = [term: number, op: ClientOp | null];

export type RaftMessage =
  | { t: 'prevote'; term: number; lastIndex: number; lastTerm: number }
  | { t: 'prevoteResp'; term: number; granted: boolean }
  | { t: 'vote'; term: number; lastIndex: number; lastTerm: number }
  | { t: 'voteResp'; term: number; granted: boolean }
  | { t: 'append'; term: number; prevIndex: number; prevTerm: number; entries: Entry[]; commit: number; seq: number }
  /** On success `index` is the follower's match; on rejection it is the hint where the leader should retry. */
  | { t: 'appendResp'; term: number; success: boolean; index: number; prevIndex: number; seq: number };

/** Persisted records: hard state, or entries starting at index `a` (replacing any suffix from there). */
export type RaftRecord = { hs: [term: number, votedFor: NodeId | null] } | { a: number; e: Entry[] };

interface Progress {
  match: number;
  next: number;
  state: 'probe' | 'replicate';
  /** Probe state: an append is outstanding; wait for its answer or the next heartbeat. */
  probeSent: boolean;
  /** Replicate state: last index of each outstanding append, oldest first. */
  inflight: number[];
  /** Highest read-confirmation round this follower has answered in this term. */
  ackedSeq: number;
}


export class RaftCore implements Core<RaftMessage> {
  readonly id: NodeId;
  private readonly peers: NodeId[];
  private readonly opts: RaftOptions;
  private readonly random: Random;
  private readonly out = new ReadyBuffer<RaftMessage>();

  // Persistent state (Figure 2).
  term = 0;
  votedFor: NodeId | null = null;
  /** log[0] is a sentinel so indices are 1-based as in the paper. */
  readonly log: Entry[] = [[0, null]];

  // Volatile state.
  role: Role = 'follower';
  leader: NodeId | null = null;
  commitIndex = 0;
  appliedIndex = 0;
  readonly state = new KvState();

  private now: number;
  private electionDeadline = 0;
  private lastHeardLeader = -Infinity;
  private votes = new Set<NodeId>();

  // Leader state.
  private progress = new Map<NodeId, Progress>();
  private termStartIndex = 0;
  private nextHeartbeat = 0;
  private readonly quorumCheck: CheckQuorum;
  private readSeq = 0;
  private readSeqToBroadcast = false;
  private replicateDirty = false;
  private readonly pendingWrites = new Map<number, { reqId: string; term: number }>();
  private readonly reads = new ReadIndexQueue();

  constructor(ctx: CoreContext<RaftOptions>) {
    this.id = ctx.id;
    this.peers = [...ctx.peers].sort();
    this.opts = ctx.options;
    this.random = ctx.random;
    this.now = ctx.now;
    this.quorumCheck = new CheckQuorum(ctx.options.electionTimeoutMaxMs);
    for (const record of ctx.recovered as RaftRecord[]) {
      if ('hs' in record) [this.term, this.votedFor] = record.hs;
      else {
        this.log.length = record.a;
        for (const entry of record.e) this.log.push(entry);
      }
    }
    this.resetElectionTimer();
  }

  get lastIndex(): number {
    return this.log.length - 1;
  }
  get lastTerm(): number {
    return this.log[this.lastIndex]![0];
  }
  private get quorum(): number {
    return Math.floor((this.peers.length + 1) / 2) + 1;
  }

  step(input: Input<RaftMessage>): void {
    switch (input.type) {
      case 'tick':
        this.now = input.now;
        if (this.role === 'leader') this.tickLeader();
        else this.tickElection();
        return;
      case 'message':
        this.stepMessage(input.from, input.msg);
        return;
      case 'client':
        if (this.role === 'leader') this.propose(input.reqId, input.op);
        else this.out.toLeader(input.reqId, this.leader, input.forwarded);
        return;
      case 'clientGone':
        this.reads.forget(input.reqId);
        for (const [index, w] of this.pendingWrites) if (w.reqId === input.reqId) this.pendingWrites.delete(index);
        return;
    }
  }

  ready(): Ready<RaftMessage> {
    if (this.role === 'leader') {
      if (this.readSeqToBroadcast) {
        this.readSeqToBroadcast = false;
        this.readSeq++;
        this.broadcastAppend(true);
      } else if (this.replicateDirty) {
        this.broadcastAppend(false);
      }
      this.replicateDirty = false;
    }
    return this.out.take();
  }

  status(): Record<string, unknown> {
    return {
      role: this.role,
      leader: this.leader,
      term: this.term,
      commitIndex: this.commitIndex,
      appliedIndex: this.appliedIndex,
      lastIndex: this.lastIndex,
      votedFor: this.votedFor,
    };
  }

  // ---------------------------------------------------------------- timers

  private resetElectionTimer(): void {
    this.electionDeadline = this.now + this.random.int(this.opts.electionTimeoutMinMs, this.opts.electionTimeoutMaxMs);
  }

  private tickLeader(): void {
    if (this.opts.checkQuorum && !this.quorumCheck.holds(this.now, this.quorum)) {
      this.becomeFollower(this.term, null); // CheckQuorum (§9.6): cut off from a majority
      return;
    }
    if (this.now >= this.nextHeartbeat) {
      this.nextHeartbeat = this.now + this.opts.heartbeatMs;
      this.broadcastAppend(true);
    }
  }

  /** Followers and candidates: no leader heard within the election timeout starts an election (§5.2). */
  private tickElection(): void {
    if (this.now < this.electionDeadline) return;
    if (this.opts.preVote) this.becomePreCandidate();
    else this.becomeCandidate();
  }

  // ---------------------------------------------------------------- role changes

  private persistHardState(): void {
    this.out.persist({ hs: [this.term, this.votedFor] } satisfies RaftRecord);
  }

  private becomeFollower(term: number, leader: NodeId | null): void {
    const wasLeader = this.role === 'leader';
    if (term !== this.term) {
      this.term = term;
      this.votedFor = null;
      this.persistHardState();
    }
    this.role = 'follower';
    this.leader = leader;
    this.resetElectionTimer();
    if (wasLeader) this.abandonLeadership();
  }

  /** A deposed leader cannot know the fate of uncommitted writes (504), and serves no reads (503). */
  private abandonLeadership(): void {
    for (const { reqId } of this.pendingWrites.values()) this.out.reply(reqId, reply.unknown('leadership lost before the write committed'));
    this.pendingWrites.clear();
    this.reads.failAll((reqId, r) => this.out.reply(reqId, r), reply.unavailable('leadership lost before the read was confirmed'));
    this.progress.clear();
  }

  private becomePreCandidate(): void {
    this.role = 'precandidate';
    this.leader = null;
    this.votes = new Set([this.id]);
    this.resetElectionTimer();
    if (this.votes.size >= this.quorum) return this.becomeCandidate();
    for (const peer of this.peers) {
      this.out.send(peer, { t: 'prevote', term: this.term + 1, lastIndex: this.lastIndex, lastTerm: this.lastTerm });
    }
  }

  private becomeCandidate(): void {
    this.role = 'candidate';
    this.term++;
    this.votedFor = this.id;
    this.leader = null;
    this.persistHardState();
    this.votes = new Set([this.id]);
    this.resetElectionTimer();
    if (this.votes.size >= this.quorum) return this.becomeLeader();
    for (const peer of this.peers) {
      this.out.send(peer, { t: 'vote', term: this.term, lastIndex: this.lastIndex, lastTerm: this.lastTerm });
    }
  }

  private becomeLeader(): void {
    this.role = 'leader';
    this.leader = this.id;
    this.progress.clear();
    for (const peer of this.peers) {
      this.progress.set(peer, { match: 0, next: this.lastIndex + 1, state: 'probe', probeSent: false, inflight: [], ackedSeq: 0 });
    }
    this.readSeq = 0;
    this.quorumCheck.start(this.now, this.peers);
    this.nextHeartbeat = this.now + this.opts.heartbeatMs;
    // A no-op of the new term: committing it commits everything before it (§5.4.2) and
    // lets ReadIndex know the commit index is current (§6.4).
    this.appendLocal(null);
    this.termStartIndex = this.lastIndex;
    this.maybeCommit();
  }

  // ---------------------------------------------------------------- messages

  /** Settle terms (§5.1), answer vote requests in any role, and hand the rest to the role. */
  private stepMessage(from: NodeId, m: RaftMessage): void {
    if (!this.peers.includes(from)) return;
    if (m.term > this.term) {
      // PreVote (§9.6) asks about, and grants, a term nobody has entered: it changes no term.
      const preVote = m.t === 'prevote' || (m.t === 'prevoteResp' && m.granted);
      // §4.2.3: with CheckQuorum on, a live leader holds a lease; a vote inside it is ignored.
      if (m.t === 'vote' && this.opts.checkQuorum && this.inLease()) return;
      if (!preVote) this.becomeFollower(m.term, m.t === 'append' ? from : null);
    } else if (m.term < this.term) {
      // Tell a stale leader or candidate about the newer term so it steps down.
      if (m.t === 'append') this.out.send(from, { t: 'appendResp', term: this.term, success: false, index: 0, prevIndex: m.prevIndex, seq: m.seq });
      else if (m.t === 'vote') this.out.send(from, { t: 'voteResp', term: this.term, granted: false });
      else if (m.t === 'prevote') this.out.send(from, { t: 'prevoteResp', term: this.term, granted: false });
      return;
    }
    switch (m.t) {
      case 'prevote':
        return this.onPreVote(from, m);
      case 'vote':
        return this.onVote(from, m);
    }
    switch (this.role) {
      case 'leader':
        return this.stepLeader(from, m);
      case 'precandidate':
      case 'candidate':
        return this.stepCandidate(from, m);
      case 'follower':
        return this.stepFollower(from, m);
    }
  }

  private stepLeader(from: NodeId, m: RaftMessage): void {
    switch (m.t) {
      case 'appendResp':
        return this.onAppendResp(from, m);
      case 'append':
        // Another leader of this very term contradicts Election Safety (§5.2); should a bug
        // make one, following it is what the other roles do.
        this.becomeFollower(this.term, from);
        return this.onAppend(from, m);
      default:
        return; // late answers to an election this node already won
    }
  }

  private stepCandidate(from: NodeId, m: RaftMessage): void {
    switch (m.t) {
      case 'prevoteResp':
        return this.onPreVoteResp(from, m);
      case 'voteResp':
        return this.onVoteResp(from, m);
      case 'append':
        // A leader of this term won the election (§5.2): step down and follow it.
        this.becomeFollower(this.term, from);
        return this.onAppend(from, m);
      default:
        return;
    }
  }

  private stepFollower(from: NodeId, m: RaftMessage): void {
    switch (m.t) {
      case 'append':
        return this.onAppend(from, m);
      default:
        return; // answers to an election or a leadership this node gave up
    }
  }

  private inLease(): boolean {
    return this.role === 'leader' || this.now - this.lastHeardLeader < this.opts.electionTimeoutMinMs;
  }

  private logUpToDate(lastIndex: number, lastTerm: number): boolean {
    return lastTerm > this.lastTerm || (lastTerm === this.lastTerm && lastIndex >= this.lastIndex);
  }

  private onPreVote(from: NodeId, m: Extract<RaftMessage, { t: 'prevote' }>): void {
    // PreVote (§9.6): grant only if we would grant a real vote and have no live leader.
    // Granting changes nothing here: no term bump, no votedFor.
    const granted = m.term > this.term && !this.inLease() && this.logUpToDate(m.lastIndex, m.lastTerm);
    this.out.send(from, { t: 'prevoteResp', term: granted ? m.term : this.term, granted });
  }

  private onPreVoteResp(from: NodeId, m: Extract<RaftMessage, { t: 'prevoteResp' }>): void {
    if (this.role !== 'precandidate' || !m.granted || m.term !== this.term + 1) return;
    this.votes.add(from);
    if (this.votes.size >= this.quorum) this.becomeCandidate();
  }

  private onVote(from: NodeId, m: Extract<RaftMessage, { t: 'vote' }>): void {
    const granted = (this.votedFor === null || this.votedFor === from) && this.logUpToDate(m.lastIndex, m.lastTerm);
    if (granted && this.votedFor !== from) {
      this.votedFor = from;
      this.persistHardState(); // the vote is durable before the reply leaves (Ready order)
    }
    if (granted) this.resetElectionTimer();
    this.out.send(from, { t: 'voteResp', term: this.term, granted });
  }

  private onVoteResp(from: NodeId, m: Extract<RaftMessage, { t: 'voteResp' }>): void {
    if (this.role !== 'candidate' || !m.granted) return;
    this.votes.add(from);
    if (this.votes.size >= this.quorum) this.becomeLeader();
  }

  private onAppend(from: NodeId, m: Extract<RaftMessage, { t: 'append' }>): void {
    this.leader = from;
    this.lastHeardLeader = this.now;
    this.resetElectionTimer();
    const reject = (hint: number) =>
      this.out.send(from, { t: 'appendResp', term: this.term, success: false, index: hint, prevIndex: m.prevIndex, seq: m.seq });

    if (m.prevIndex > this.lastIndex) return reject(this.lastIndex + 1);
    if (this.log[m.prevIndex]![0] !== m.prevTerm) {
      // Skip the whole conflicting term in one round trip (§5.3, "the leader can
      // decrement nextIndex to bypass all of the conflicting entries in that term").
      const conflictTerm = this.log[m.prevIndex]![0];
      let first = m.prevIndex;
      while (first > this.commitIndex + 1 && this.log[first - 1]![0] === conflictTerm) first--;
      return reject(first);
    }
    // Log Matching: keep what agrees, cut at the first conflict, append the rest.
    let firstNew = -1;
    for (let i = 0; i < m.entries.length; i++) {
      const index = m.prevIndex + 1 + i;
      if (index <= this.lastIndex && this.log[index]![0] === m.entries[i]![0]) continue;
      if (index <= this.commitIndex) throw new Error(`raft invariant: leader ${from} conflicts with committed entry ${index}`);
      firstNew = i;
      break;
    }
    if (firstNew >= 0) {
      const start = m.prevIndex + 1 + firstNew;
      const fresh = m.entries.slice(firstNew);
      this.log.length = start;
      for (const entry of fresh) this.log.push(entry);
      this.out.persist({ a: start, e: fresh } satisfies RaftRecord);
    }
    const matched = m.prevIndex + m.entries.length;
    const commit = Math.min(m.commit, matched);
    if (commit > this.commitIndex) {
      this.commitIndex = commit;
      this.apply();
    }
    this.out.send(from, { t: 'appendResp', term: this.term, success: true, index: matched, prevIndex: m.prevIndex, seq: m.seq });
  }

  private onAppendResp(from: NodeId, m: Extract<RaftMessage, { t: 'appendResp' }>): void {
    const p = this.progress.get(from)!;
    this.quorumCheck.heardFrom(from);
    if (m.seq > p.ackedSeq) p.ackedSeq = m.seq;
    if (m.success) {
      if (m.index > p.match) p.match = m.index;
      if (p.next <= p.match) p.next = p.match + 1;
      p.probeSent = false;
      while (p.inflight.length > 0 && p.inflight[0]! <= p.match) p.inflight.shift();
      if (p.state === 'probe') {
        p.state = 'replicate';
        p.inflight = [];
      }
      this.maybeCommit();
    } else if (m.prevIndex >= p.match) {
      // A rejection that is not stale: fall back to probing from the follower's hint.
      p.state = 'probe';
      p.inflight = [];
      p.probeSent = false;
      p.next = Math.max(p.match + 1, Math.min(m.index, m.prevIndex));
      this.sendAppend(from, false);
    }
    this.serveReads();
    if (p.next <= this.lastIndex) this.replicateDirty = true;
  }

  // ---------------------------------------------------------------- replication

  private appendLocal(op: ClientOp | null): number {
    const entry: Entry = [this.term, op];
    this.log.push(entry);
    this.out.persist({ a: this.lastIndex, e: [entry] } satisfies RaftRecord);
    this.replicateDirty = true;
    return this.lastIndex;
  }

  private broadcastAppend(heartbeat: boolean): void {
    for (const peer of this.peers) this.sendAppend(peer, heartbeat);
  }

  /**
   * Send what `peer` lacks, within its window; with `heartbeat`, send an (empty if need be)
   * append even when the window is full, which also re-probes a link that lost messages.
   */
  private sendAppend(peer: NodeId, heartbeat: boolean): void {
    const p = this.progress.get(peer)!;
    const windowOpen = p.state === 'probe' ? !p.probeSent : p.inflight.length < this.opts.maxInflight;
    const hasEntries = p.next <= this.lastIndex;
    if (!heartbeat && !(windowOpen && hasEntries)) return;
    const prevIndex = p.next - 1;
    let entries: Entry[] = [];
    if (windowOpen && hasEntries) {
      entries = this.log.slice(p.next, Math.min(this.lastIndex, prevIndex + this.opts.maxBatchEntries) + 1);
      if (p.state === 'replicate') {
        p.next += entries.length;
        p.inflight.push(p.next - 1);
      } else {
        p.probeSent = true;
      }
    }
    this.out.early(peer, { t: 'append', term: this.term, prevIndex, prevTerm: this.log[prevIndex]![0], entries, commit: this.commitIndex, seq: this.readSeq });
  }

  /** Commit by counting replicas only entries of the current term (§5.4.2, Figure 8). */
  private maybeCommit(): void {
    const candidate = quorumValue([this.lastIndex, ...[...this.progress.values()].map((p) => p.match)], this.quorum);
    if (candidate > this.commitIndex && this.log[candidate]![0] === this.term) {
      this.commitIndex = candidate;
      this.apply();
      this.replicateDirty = true; // followers learn the new commit index
    }
  }

  private apply(): void {
    while (this.appliedIndex < this.commitIndex) {
      const index = ++this.appliedIndex;
      const [term, op] = this.log[index]!;
      if (op === null) continue;
      const result = this.state.apply(op);
      for (const [key, value] of result.writes) this.out.applied(key, value);
      const waiting = this.pendingWrites.get(index);
      if (waiting) {
        this.pendingWrites.delete(index);
        if (waiting.term === term) this.out.reply(waiting.reqId, result.reply);
      }
    }
    this.serveReads();
  }

  // ---------------------------------------------------------------- clients

  /** A client request at the leader: a read waits for its read index, anything else is appended. */
  private propose(reqId: string, op: ClientOp): void {
    if (this.opts.readMode === 'readindex' && KvState.isReadOnly(op)) {
      // ReadIndex (§6.4): until this term's no-op commits, the commit index may be stale.
      const index = Math.max(this.commitIndex, this.termStartIndex);
      if (this.peers.length === 0) this.reads.add({ reqId, op, index, seq: 0 });
      else {
        this.reads.add({ reqId, op, index, seq: this.readSeq + 1 });
        this.readSeqToBroadcast = true;
      }
      this.serveReads();
      return;
    }
    const index = this.appendLocal(op);
    this.pendingWrites.set(index, { reqId, term: this.term });
    this.maybeCommit();
  }

  private serveReads(): void {
    if (this.reads.size === 0 || this.role !== 'leader') return;
    const confirmed = quorumValue([this.readSeq, ...[...this.progress.values()].map((p) => p.ackedSeq)], this.quorum);
    this.reads.serve(confirmed, this.appliedIndex, (r) => this.out.reply(r.reqId, this.state.apply(r.op).reply));
  }
}
