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
 *     `readMode=log` sends reads through the log instead, for comparison;
 *   - snapshots and log compaction (§7): every `snapshotEntries` entries (or
 *     `snapshotBytes`) applied, the state machine becomes a snapshot image and the log
 *     keeps only what follows the *previous* snapshot (log.ts; so a torn newest snapshot
 *     can be passed over, and a follower up to one snapshot interval behind still catches
 *     up by AppendEntries). A follower behind the leader's first retained entry gets the
 *     leader's newest snapshot instead (InstallSnapshot, chunked and resumable:
 *     nodes/common/snapshot-transfer.ts), installs it, and follows on from there.
 */
import { ReadyBuffer, reply, type ClientOp, type Core, type CoreContext, type Input, type NodeId, type Ready } from '../common/core.js';
import { KvState, tracedValue } from '../common/kv-state.js';
import { IncomingSnapshot, OutgoingSnapshot, type HeldSnapshot } from '../common/snapshot-transfer.js';
import { snapshotDue } from '../common/compaction.js';
import { RaftLog, decodeImage, encodeImage, recoverRaft, type Entry, type RaftRecord } from './log.js';
import { ReadIndexQueue, quorumValue } from '../common/read-index.js';
import { CheckQuorum } from '../common/check-quorum.js';
import type { Random } from '../common/random.js';
import type { RaftOptions } from './options.js';

export type Role = 'follower' | 'precandidate' | 'candidate' | 'leader';

export type { Entry, RaftRecord } from './log.js';

export type RaftMessage =
  | { t: 'prevote'; term: number; lastIndex: number; lastTerm: number }
  | { t: 'prevoteResp'; term: number; granted: boolean }
  | { t: 'vote'; term: number; lastIndex: number; lastTerm: number }
  | { t: 'voteResp'; term: number; granted: boolean }
  | { t: 'append'; term: number; prevIndex: number; prevTerm: number; entries: Entry[]; commit: number; seq: number }
  /** On success `index` is the follower's match; on rejection it is the hint where the leader should retry. */
  | { t: 'appendResp'; term: number; success: boolean; index: number; prevIndex: number; seq: number }
  /**
   * InstallSnapshot (§7), one chunk: characters offset.. of the image of the state after
   * entry `index` (of term `lastTerm`), `total` characters in all. Installed, it is answered
   * with a successful appendResp at `index`; before that, each chunk with snapshotResp.
   */
  | { t: 'snapshot'; term: number; index: number; lastTerm: number; offset: number; data: string; total: number; seq: number }
  /** How much of the image of `index` the follower holds: the leader sends the chunk from there. */
  | { t: 'snapshotResp'; term: number; index: number; received: number; seq: number };

interface Progress {
  match: number;
  next: number;
  /** etcd's progress states; `snapshot`: the follower needs entries this log no longer holds. */
  state: 'probe' | 'replicate' | 'snapshot';
  /** Snapshot state: the transfer under way. */
  sending: OutgoingSnapshot | null;
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

  // Persistent state (Figure 2), and the newest snapshot (§7).
  term = 0;
  votedFor: NodeId | null = null;
  readonly log: RaftLog;
  /** The newest snapshot on disk (taken or installed), kept to send to followers that need it. */
  snapshot: HeldSnapshot | null = null;

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

  // Compaction.
  /** Bytes (as JSON) of the operations applied since the last snapshot. */
  private appliedBytes = 0;
  private readonly incoming: IncomingSnapshot;
  readonly counters = { snapshotsTaken: 0, snapshotsInstalled: 0, snapshotsStarted: 0, snapshotChunksSent: 0 };

  constructor(ctx: CoreContext<RaftOptions>) {
    this.id = ctx.id;
    this.peers = [...ctx.peers].sort();
    this.opts = ctx.options;
    this.random = ctx.random;
    this.now = ctx.now;
    this.quorumCheck = new CheckQuorum(ctx.options.electionTimeoutMaxMs);
    this.incoming = new IncomingSnapshot(ctx.options.electionTimeoutMaxMs);
    const recovered = recoverRaft(ctx.recovered, ctx.snapshot ?? null);
    this.log = recovered.log;
    [this.term, this.votedFor] = recovered.hs;
    if (recovered.snapshot) {
      // What a snapshot holds was applied (and traced) before: the state resumes silently.
      const { kv, ...held } = recovered.snapshot;
      this.snapshot = held;
      this.state.restore(kv);
      this.commitIndex = this.appliedIndex = held.index;
    }
    this.resetElectionTimer();
  }

  get lastIndex(): number {
    return this.log.lastIndex;
  }

  /** Entries are applied only once they are in this node's durable log (Ready order), so what it applied it recovers. */
  recoveredThrough(): number {
    return this.log.lastIndex;
  }
  get lastTerm(): number {
    return this.log.lastTerm;
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
    this.maybeSnapshot();
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
      snapshotIndex: this.snapshot?.index ?? 0,
      firstIndex: this.log.offset + 1,
    };
  }

  metrics(): Record<string, unknown> {
    return { raft: { ...this.counters, logEntries: this.log.length, snapshotIndex: this.snapshot?.index ?? 0 } };
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
    // Traced for the election-safety check (at most one leader per term; log-safety.ts).
    this.out.event({ event: 'leader', term: this.term });
    this.progress.clear();
    for (const peer of this.peers) {
      this.progress.set(peer, { match: 0, next: this.lastIndex + 1, state: 'probe', sending: null, probeSent: false, inflight: [], ackedSeq: 0 });
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
      if (!preVote) this.becomeFollower(m.term, m.t === 'append' || m.t === 'snapshot' ? from : null);
    } else if (m.term < this.term) {
      // Tell a stale leader or candidate about the newer term so it steps down.
      if (m.t === 'append') this.out.send(from, { t: 'appendResp', term: this.term, success: false, index: 0, prevIndex: m.prevIndex, seq: m.seq });
      else if (m.t === 'snapshot') this.out.send(from, { t: 'snapshotResp', term: this.term, index: m.index, received: 0, seq: m.seq });
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
      case 'snapshotResp':
        return this.onSnapshotResp(from, m);
      case 'append':
      case 'snapshot':
        // Another leader of this very term contradicts Election Safety (§5.2); should a bug
        // make one, following it is what the other roles do.
        this.becomeFollower(this.term, from);
        return this.stepFollower(from, m);
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
      case 'snapshot':
        // A leader of this term won the election (§5.2): step down and follow it.
        this.becomeFollower(this.term, from);
        return this.stepFollower(from, m);
      default:
        return;
    }
  }

  private stepFollower(from: NodeId, m: RaftMessage): void {
    switch (m.t) {
      case 'append':
        return this.onAppend(from, m);
      case 'snapshot':
        return this.onSnapshot(from, m);
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

  private heardLeader(from: NodeId): void {
    this.leader = from;
    this.lastHeardLeader = this.now;
    this.resetElectionTimer();
  }

  private onAppend(from: NodeId, msg: Extract<RaftMessage, { t: 'append' }>): void {
    this.heardLeader(from);
    let m = msg;
    const reject = (hint: number) =>
      this.out.send(from, { t: 'appendResp', term: this.term, success: false, index: hint, prevIndex: m.prevIndex, seq: m.seq });

    if (m.prevIndex < this.log.offset) {
      // Our snapshot covers the start of this append: those entries are committed, hence
      // the leader's too (§5.4 Leader Completeness). Check and keep only what follows it.
      const covered = this.log.offset - m.prevIndex;
      if (m.entries.length <= covered) {
        this.out.send(from, { t: 'appendResp', term: this.term, success: true, index: this.log.offset, prevIndex: m.prevIndex, seq: m.seq });
        return;
      }
      m = { ...m, prevIndex: this.log.offset, prevTerm: this.log.term(this.log.offset), entries: m.entries.slice(covered) };
    }
    if (m.prevIndex > this.lastIndex) return reject(this.lastIndex + 1);
    if (this.log.term(m.prevIndex) !== m.prevTerm) {
      // Skip the whole conflicting term in one round trip (§5.3, "the leader can
      // decrement nextIndex to bypass all of the conflicting entries in that term").
      const conflictTerm = this.log.term(m.prevIndex);
      let first = m.prevIndex;
      while (first > this.commitIndex + 1 && this.log.term(first - 1) === conflictTerm) first--;
      return reject(first);
    }
    // Log Matching: keep what agrees, cut at the first conflict, append the rest.
    let firstNew = -1;
    for (let i = 0; i < m.entries.length; i++) {
      const index = m.prevIndex + 1 + i;
      if (index <= this.lastIndex && this.log.term(index) === m.entries[i]![0]) continue;
      if (index <= this.commitIndex) throw new Error(`raft invariant: leader ${from} conflicts with committed entry ${index}`);
      firstNew = i;
      break;
    }
    if (firstNew >= 0) {
      const start = m.prevIndex + 1 + firstNew;
      const fresh = m.entries.slice(firstNew);
      this.log.replaceFrom(start, fresh);
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
    if (p.state === 'snapshot') {
      // Answers to appends sent before the transfer began say nothing about it; the
      // follower's answer that it installed the image (or already held it) ends it.
      if (!m.success || m.index < p.sending!.snapshot.index) return this.serveReads();
      p.state = 'probe';
      p.sending = null;
    }
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
    const index = this.log.append(entry);
    this.out.persist({ a: index, e: [entry] } satisfies RaftRecord);
    this.replicateDirty = true;
    return index;
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
    if (p.state !== 'snapshot' && p.next <= this.log.offset) this.startSnapshot(p);
    if (p.state === 'snapshot') {
      // Stop and wait: the next chunk goes when the last is answered; a heartbeat sends it
      // again in case it or its answer was lost.
      if (heartbeat) this.sendChunk(peer, p);
      return;
    }
    const windowOpen = p.state === 'probe' ? !p.probeSent : p.inflight.length < this.opts.maxInflight;
    const hasEntries = p.next <= this.lastIndex;
    if (!heartbeat && !(windowOpen && hasEntries)) return;
    const prevIndex = p.next - 1;
    let entries: Entry[] = [];
    if (windowOpen && hasEntries) {
      entries = this.log.slice(p.next, Math.min(this.lastIndex, prevIndex + this.opts.maxBatchEntries));
      if (p.state === 'replicate') {
        p.next += entries.length;
        p.inflight.push(p.next - 1);
      } else {
        p.probeSent = true;
      }
    }
    this.out.early(peer, { t: 'append', term: this.term, prevIndex, prevTerm: this.log.term(prevIndex), entries, commit: this.commitIndex, seq: this.readSeq });
  }

  /** Commit by counting replicas only entries of the current term (§5.4.2, Figure 8). */
  private maybeCommit(): void {
    const candidate = quorumValue([this.lastIndex, ...[...this.progress.values()].map((p) => p.match)], this.quorum);
    if (candidate > this.commitIndex && this.log.term(candidate) === this.term) {
      this.commitIndex = candidate;
      this.apply();
      this.replicateDirty = true; // followers learn the new commit index
    }
  }

  private apply(): void {
    while (this.appliedIndex < this.commitIndex) {
      const index = ++this.appliedIndex;
      const [term, op] = this.log.entry(index)!;
      if (op === null) continue;
      if (this.opts.snapshotBytes > 0) this.appliedBytes += JSON.stringify(op).length;
      const result = this.state.apply(op);
      for (const [key, value] of result.writes) this.out.appliedAt(index, key, value);
      const waiting = this.pendingWrites.get(index);
      if (waiting) {
        this.pendingWrites.delete(index);
        if (waiting.term === term) this.out.reply(waiting.reqId, result.reply);
      }
    }
    this.serveReads();
  }

  // ---------------------------------------------------------------- snapshots (§7)

  /** The log the disk must hold after a compaction: hard state, then the log from its base. */
  private tail(): RaftRecord[] {
    return [{ hs: [this.term, this.votedFor] }, ...this.log.records()];
  }

  /**
   * Every `snapshotEntries` applied entries (or `snapshotBytes`): the state machine as an
   * image, the log kept from the previous snapshot on (the compacted log then still covers
   * what a torn newest snapshot would lose, and followers that far behind still get
   * entries). Taken at the end of a batch, so the image is what this batch applied.
   */
  private maybeSnapshot(): void {
    const last = this.snapshot?.index ?? 0;
    if (!snapshotDue(this.opts, this.appliedIndex - last, this.appliedBytes)) return;
    const index = this.appliedIndex;
    const term = this.log.term(index);
    this.snapshot = { index, term, image: encodeImage({ index, term, kv: this.state.entries() }) };
    this.log.compactTo(last);
    this.appliedBytes = 0;
    this.counters.snapshotsTaken++;
    this.out.compact(this.snapshot.image, this.tail());
  }

  private startSnapshot(p: Progress): void {
    if (!this.snapshot) throw new Error(`raft invariant: the log starts after ${this.log.offset} but no snapshot covers it`);
    p.state = 'snapshot';
    p.sending = new OutgoingSnapshot(this.snapshot, this.opts.snapshotChunkBytes);
    p.inflight = [];
    p.probeSent = false;
    this.counters.snapshotsStarted++;
  }

  private sendChunk(peer: NodeId, p: Progress): void {
    // Nothing of it delivered yet (or the follower started over): send the newest image instead.
    if (p.sending!.acked === 0 && this.snapshot!.index > p.sending!.snapshot.index) p.sending = new OutgoingSnapshot(this.snapshot!, this.opts.snapshotChunkBytes);
    const { snapshot } = p.sending!;
    const chunk = p.sending!.chunk();
    this.counters.snapshotChunksSent++;
    // The image is on disk already: like an append, it may leave before this batch's fsync.
    this.out.early(peer, { t: 'snapshot', term: this.term, index: snapshot.index, lastTerm: snapshot.term, ...chunk, seq: this.readSeq });
  }

  private onSnapshotResp(from: NodeId, m: Extract<RaftMessage, { t: 'snapshotResp' }>): void {
    const p = this.progress.get(from)!;
    this.quorumCheck.heardFrom(from);
    if (m.seq > p.ackedSeq) p.ackedSeq = m.seq;
    if (p.state === 'snapshot' && m.index === p.sending!.snapshot.index && p.sending!.onAnswer(m.received)) this.sendChunk(from, p);
    this.serveReads();
  }

  private onSnapshot(from: NodeId, m: Extract<RaftMessage, { t: 'snapshot' }>): void {
    this.heardLeader(from);
    const done = (index: number) => this.out.send(from, { t: 'appendResp', term: this.term, success: true, index, prevIndex: m.index, seq: m.seq });
    // Already there (installed before, or committed since): committed entries match the leader's.
    if (m.index <= this.commitIndex) return done(this.commitIndex);
    const { received, image } = this.incoming.take(`${from}/${m.term}/${m.index}`, [m.term, m.index], m, this.now);
    if (image === null) {
      this.out.send(from, { t: 'snapshotResp', term: this.term, index: m.index, received, seq: m.seq });
      return;
    }
    this.install(image, m.index, m.lastTerm);
    done(m.index);
  }

  /**
   * §7: the state becomes the image; "if existing log entry has same index and term as
   * snapshot's last included entry, retain log entries following it", else discard the log.
   * The image is durable (Ready step 3) before the answer that it was installed leaves.
   */
  private install(text: string, index: number, term: number): void {
    const image = decodeImage(text);
    if (image.index !== index || image.term !== term) throw new Error(`raft invariant: snapshot image of ${image.index}/${image.term} sent as ${index}/${term}`);
    if (this.lastIndex >= index && this.log.term(index) === term) this.log.compactTo(index);
    else this.log.reset(index, term);
    this.state.restore(image.kv);
    this.commitIndex = this.appliedIndex = index;
    this.snapshot = { index, term, image: text };
    this.appliedBytes = 0;
    this.counters.snapshotsInstalled++;
    // The node now holds these values: the convergence trace says when it first did.
    for (const [key, datum] of image.kv) this.out.applied(key, tracedValue(datum));
    this.out.compact(text, this.tail());
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
