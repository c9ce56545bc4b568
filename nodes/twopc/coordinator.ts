/**
 * The coordinator (Gray & Lamport's transaction manager) of two-phase commit, presumed
 * abort. One designated node runs it; every client write and every read that spans
 * several nodes comes to it (other nodes forward them).
 *
 *   phase 1  send prepare to every participant; abort on the first no vote or when
 *            `prepareTimeoutMs` passes without every vote (no log record: presumed abort).
 *   phase 2  on all yes: force the commit record, then send commit and answer the client
 *            (the runtime's Ready order puts the fsync before both); re-send commit every
 *            `retryMs` to whoever has not acknowledged, across restarts, until all have;
 *            then write an end record and forget the transaction.
 *
 * Commit decisions are numbered in the order they are made (`seq`, logged with them). A
 * transaction that only reads is no 2PC transaction at all: it is a snapshot read at the
 * latest number decided when it arrives (versions.ts, participant.ts), served by the
 * shards without locks or log records, so reading every balance never aborts a transfer.
 * It is strictly serializable: every commit acknowledged before the read began has a
 * number at or below its snapshot, and none decided after it began does.
 *
 * Questions about transactions it has no record of (the previous incarnation died before
 * deciding, or it aborted and forgot) are answered abort. Transaction ids carry the
 * incarnation (`epoch`, logged at start-up) so a restarted coordinator never reuses one.
 */
import { reply, type ClientOp, type ClientReply, type Datum, type NodeId } from '../common/core.js';
import type { IndexedOp, NodeEnv, PartOp, Placement, TwoPcMessage, TwoPcRecord, VoteMessage } from './protocol.js';
import { txidOf } from './protocol.js';
import type { TwoPcOptions } from './options.js';

interface ActiveTxn {
  txid: string;
  reqId: string | null;
  op: ClientOp;
  ops: PartOp[];
  participants: NodeId[];
  votes: Map<NodeId, [number, Datum][]>;
  deadline: number;
}

interface PendingCommit {
  participants: NodeId[];
  acked: Set<NodeId>;
  lastSent: number;
}

interface SnapshotRead {
  reqId: string | null;
  op: ClientOp;
  ops: PartOp[];
  at: number;
  waiting: Set<NodeId>;
  values: Map<string, Datum>;
  deadline: number;
}

export class Coordinator {
  epoch = 0;
  private seq = 0;
  /** Number of the latest commit decision. */
  private commitSeq = 0;
  private readonly reads = new Map<string, SnapshotRead>();
  private readonly active = new Map<string, ActiveTxn>();
  private readonly byRequest = new Map<string, string>();
  /** Logged commit decisions not yet acknowledged by every participant. */
  private readonly pending = new Map<string, PendingCommit>();
  /**
   * Every commit decision in the log, ended or not, so that even a stale question (an
   * inquiry delayed past the end record) gets the true answer. Presumed abort would allow
   * "abort" there, since such an asker has already committed, but the trace would then
   * show both decisions. Pruned like the log it mirrors: at a compaction, the ended ones
   * go (every participant acknowledged them, and links are FIFO, so an inquiry sent before
   * an acknowledgement arrived before it). txid -> commit number.
   */
  private readonly committed = new Map<string, number>();
  /** Transactions of earlier incarnations answered abort by presumption, traced once each. */
  private readonly presumed = new Set<string>();
  readonly counters = { begun: 0, committed: 0, aborted: 0, abortedByVote: 0, abortedByTimeout: 0, snapshotReads: 0, snapshotFailures: 0, decisionsResent: 0, presumedAborts: 0 };

  constructor(
    private readonly env: NodeEnv,
    private readonly opts: TwoPcOptions,
    private readonly placement: Placement,
  ) {}

  /** Replay one log record; `retrace`: it belongs to the batch whose trace events the crash may have lost. */
  recover(record: TwoPcRecord, retrace: boolean): void {
    if (record.k === 'epoch') this.epoch = Math.max(this.epoch, record.n);
    else if (record.k === 'commit') {
      this.committed.set(record.txid, record.seq);
      this.commitSeq = Math.max(this.commitSeq, record.seq);
      this.pending.set(record.txid, { participants: record.participants, acked: new Set(), lastSent: -Infinity });
      if (retrace) this.env.event(record.txid, 'coordinator', 'decided-commit', record.participants);
    } else if (record.k === 'end') this.pending.delete(record.txid);
  }

  /** Start a new incarnation; commits that were never fully acknowledged go out again at the first tick. */
  finishRecovery(): void {
    this.epoch++;
    this.env.persist({ k: 'epoch', n: this.epoch });
  }

  begin(reqId: string, op: ClientOp): void {
    const ops: PartOp[] = op.f === 'txn' ? op.ops : [op];
    const parts = new Map<NodeId, IndexedOp[]>();
    ops.forEach((o, i) => {
      for (const holder of this.placement.holders(o.key)) {
        const list = parts.get(holder);
        if (list) list.push({ i, op: o });
        else parts.set(holder, [{ i, op: o }]);
      }
    });
    const participants = this.placement.members.filter((m) => parts.has(m));
    const txid = txidOf(this.env.id, this.epoch, ++this.seq);
    this.byRequest.set(reqId, txid);
    if (ops.every((o) => o.f === 'read')) return this.snapshot(txid, reqId, op, ops, parts);
    this.active.set(txid, { txid, reqId, op, ops, participants, votes: new Map(), deadline: this.env.now() + this.opts.prepareTimeoutMs });
    this.counters.begun++;
    const low = this.lowestActive();
    const ended = this.endedUpTo();
    for (const p of participants) this.env.send(p, { t: 'prepare', txid, ops: parts.get(p)!, participants, low, ended });
  }

  /** Every transaction of this incarnation numbered below this is decided (outcomes.ts). */
  private lowestActive(): number {
    let low = this.seq + 1;
    for (const txid of this.active.keys()) low = Math.min(low, Number(txid.slice(txid.lastIndexOf('.') + 1)));
    return low;
  }

  /** Every commit numbered up to this was acknowledged by all its participants. */
  private endedUpTo(): number {
    let ended = this.commitSeq;
    for (const txid of this.pending.keys()) ended = Math.min(ended, this.committed.get(txid)! - 1);
    return ended;
  }

  // ---------------------------------------------------------------- compaction

  image(): { epoch: number; commitSeq: number } {
    // What the log no longer holds, memory need not either.
    for (const txid of this.committed.keys()) if (!this.pending.has(txid)) this.committed.delete(txid);
    this.presumed.clear();
    return { epoch: this.epoch, commitSeq: this.commitSeq };
  }

  restore(image: { epoch: number; commitSeq: number }): void {
    this.epoch = Math.max(this.epoch, image.epoch);
    this.commitSeq = Math.max(this.commitSeq, image.commitSeq);
  }

  /** The records of what a snapshot leaves open: this incarnation, and the commits not yet acknowledged by everyone. */
  openRecords(): TwoPcRecord[] {
    const out: TwoPcRecord[] = [{ k: 'epoch', n: this.epoch }];
    for (const [txid, p] of this.pending) out.push({ k: 'commit', txid, participants: p.participants, seq: this.committed.get(txid)! });
    return out;
  }

  private snapshot(rid: string, reqId: string, op: ClientOp, ops: PartOp[], parts: Map<NodeId, IndexedOp[]>): void {
    this.counters.snapshotReads++;
    // Replicated, every node holds every key: one of them is enough.
    const asked = this.placement.layout === 'replicated' ? [this.env.id] : [...parts.keys()];
    const at = this.commitSeq;
    this.reads.set(rid, { reqId, op, ops, at, waiting: new Set(asked), values: new Map(), deadline: this.env.now() + this.opts.prepareTimeoutMs });
    for (const p of asked) this.env.send(p, { t: 'snapRead', rid, at, keys: [...new Set(parts.get(p)!.map(({ op: o }) => o.key))] });
  }

  onSnapValues(from: NodeId, m: Extract<TwoPcMessage, { t: 'snapValues' }>): void {
    const r = this.reads.get(m.rid);
    if (!r || !r.waiting.delete(from)) return;
    if ('error' in m) {
      this.counters.snapshotFailures++;
      return this.finishRead(m.rid, reply.unavailable(`snapshot read failed at ${from}: ${m.error}`));
    }
    for (const [key, value] of m.values) r.values.set(key, value);
    if (r.waiting.size > 0) return;
    const results = r.ops.map((o) => r.values.get(o.key) ?? null);
    this.finishRead(m.rid, r.op.f === 'read' ? reply.ok({ value: results[0]! }) : reply.ok({ ok: true, results, snapshot: r.at }));
  }

  private finishRead(rid: string, answer: ClientReply): void {
    const r = this.reads.get(rid)!;
    this.reads.delete(rid);
    if (r.reqId === null) return;
    this.byRequest.delete(r.reqId);
    this.env.reply(r.reqId, answer);
  }

  /** The oldest snapshot still being read (participants may forget versions below it). */
  private horizon(): number {
    let h = this.commitSeq;
    for (const r of this.reads.values()) h = Math.min(h, r.at);
    return h;
  }

  onVote(from: NodeId, m: VoteMessage): void {
    const txn = this.active.get(m.txid);
    if (!txn) {
      // A vote for a transaction already decided (it timed out) or of an earlier
      // incarnation: tell a yes voter the outcome, so it need not wait to ask.
      if (m.yes) this.tellOutcome(from, m.txid);
      return;
    }
    if (!txn.participants.includes(from) || txn.votes.has(from)) return;
    if (!m.yes) {
      this.counters.abortedByVote++;
      return this.abort(txn, this.refusal(txn, from, m), from);
    }
    txn.votes.set(from, m.results);
    if (txn.votes.size === txn.participants.length) this.allVotedYes(txn);
  }

  /**
   * The client's answer to a no vote from participant `from`, as the node contract spells
   * it. A multi-key txn aborts with 409, which means only "aborted", whatever the reason.
   * On a cas, 409 `precondition` is the contract's "precondition failed": the client records
   * that the cas saw another value than its expected one, and the linearizability checker
   * relies on that, so only a cas whose own comparison failed gets it. A PUT or cas refused
   * for anything else (a lock held by a transaction in doubt, say one whose abort a
   * partition swallowed) compared nothing and the key may well hold the expected value: it
   * definitely did not apply, 503.
   */
  private refusal(txn: ActiveTxn, from: NodeId, m: Extract<VoteMessage, { yes: false }>): ClientReply {
    if (txn.op.f === 'txn') return reply.conflict({ error: 'aborted', reason: `${from} voted no: ${m.reason}`, txid: txn.txid });
    if (txn.op.f === 'cas' && m.reason === 'precondition') return reply.conflict({ error: 'precondition', value: m.current ?? null, txid: txn.txid });
    return reply.unavailable(`aborted: ${from} voted no: ${m.reason}`, { txid: txn.txid });
  }

  private allVotedYes(txn: ActiveTxn): void {
    this.finish(txn);
    this.counters.committed++;
    const seq = ++this.commitSeq;
    this.env.persist({ k: 'commit', txid: txn.txid, participants: txn.participants, seq });
    this.committed.set(txn.txid, seq);
    this.env.event(txn.txid, 'coordinator', 'decided-commit', txn.participants);
    this.pending.set(txn.txid, { participants: txn.participants, acked: new Set(), lastSent: this.env.now() });
    const horizon = this.horizon();
    for (const p of txn.participants) this.env.send(p, { t: 'decide', txid: txn.txid, commit: true, seq, horizon });
    if (txn.reqId !== null) this.env.reply(txn.reqId, this.success(txn));
  }

  private success(txn: ActiveTxn): ClientReply {
    const results: Datum[] = new Array<Datum>(txn.ops.length).fill(null);
    for (const votes of txn.votes.values()) for (const [i, value] of votes) results[i] = value;
    switch (txn.op.f) {
      case 'txn':
        return reply.ok({ ok: true, results, txid: txn.txid });
      default:
        return reply.ok({ ok: true, txid: txn.txid });
    }
  }

  /** Abort: no log record (presumed abort); tell everyone who may have prepared, once. */
  private abort(txn: ActiveTxn, answer: ClientReply, votedNo?: NodeId): void {
    this.finish(txn);
    this.counters.aborted++;
    this.env.event(txn.txid, 'coordinator', 'decided-abort', txn.participants);
    for (const p of txn.participants) if (p !== votedNo) this.env.send(p, { t: 'decide', txid: txn.txid, commit: false });
    if (txn.reqId !== null) this.env.reply(txn.reqId, answer);
  }

  private finish(txn: ActiveTxn): void {
    this.active.delete(txn.txid);
    if (txn.reqId !== null) this.byRequest.delete(txn.reqId);
  }

  onAck(from: NodeId, txid: string): void {
    const p = this.pending.get(txid);
    if (!p || !p.participants.includes(from)) return;
    p.acked.add(from);
    if (p.acked.size < p.participants.length) return;
    this.pending.delete(txid);
    this.env.persist({ k: 'end', txid });
  }

  onInquire(from: NodeId, txids: string[]): void {
    for (const txid of txids) {
      // Still collecting votes: the decision will come by itself.
      if (!this.active.has(txid)) this.tellOutcome(from, txid);
    }
  }

  private tellOutcome(to: NodeId, txid: string): void {
    const seq = this.committed.get(txid);
    if (seq !== undefined) return this.env.send(to, { t: 'decide', txid, commit: true, seq, horizon: this.horizon() });
    if (!txid.startsWith(`${this.env.id}.${this.epoch}.`) && !this.presumed.has(txid)) {
      this.presumed.add(txid);
      this.counters.presumedAborts++;
      this.env.event(txid, 'coordinator', 'decided-abort');
    }
    this.env.send(to, { t: 'decide', txid, commit: false });
  }

  /** The client gave up (the runtime answered 504); the transaction goes on without it. */
  clientGone(reqId: string): void {
    const id = this.byRequest.get(reqId);
    if (id === undefined) return;
    this.byRequest.delete(reqId);
    const work = this.active.get(id) ?? this.reads.get(id);
    if (work) work.reqId = null;
  }

  tick(now: number): void {
    for (const txn of [...this.active.values()]) {
      if (now < txn.deadline) continue;
      this.counters.abortedByTimeout++;
      const missing = txn.participants.filter((p) => !txn.votes.has(p));
      this.abort(txn, reply.unavailable(`aborted: no vote from ${missing.join(', ')} within ${this.opts.prepareTimeoutMs} ms`, { txid: txn.txid }));
    }
    for (const [rid, r] of this.reads) {
      if (now < r.deadline) continue;
      this.counters.snapshotFailures++;
      this.finishRead(rid, reply.unavailable(`snapshot read: no answer from ${[...r.waiting].join(', ')} within ${this.opts.prepareTimeoutMs} ms`));
    }
    for (const [txid, p] of this.pending) {
      if (now - p.lastSent < this.opts.retryMs) continue;
      p.lastSent = now;
      for (const q of p.participants) {
        if (p.acked.has(q)) continue;
        this.counters.decisionsResent++;
        this.env.send(q, { t: 'decide', txid, commit: true, seq: this.committed.get(txid)!, horizon: this.horizon() });
      }
    }
  }

  status(): { epoch: number; commitSeq: number; activeTxns: number; activeReads: number; awaitingAcks: number } {
    return { epoch: this.epoch, commitSeq: this.commitSeq, activeTxns: this.active.size, activeReads: this.reads.size, awaitingAcks: this.pending.size };
  }
}
