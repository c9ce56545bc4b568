/**
 * The participant (Gray & Lamport's resource manager) of a two-phase commit node: it holds
 * the keys placement.ts gives it, votes on prepares, installs decisions, and resolves what
 * it is in doubt about.
 *
 * Voting yes is a promise it cannot take back: from the prepare record on, the transaction
 * is in doubt here, its locks are held (across a crash too, since the record names them),
 * and only the outcome can release them. This is 2PC's blocking (Gray & Lamport 2006, §3.3):
 *
 *   - blocking termination: the in-doubt participant asks the coordinator, again every
 *     `retryMs`, for as long as it takes; while the coordinator is down it stays in doubt.
 *   - cooperative termination (Bernstein, Hadzilacos & Goodman 1987, ch. 7): it also asks
 *     the other participants. A peer that committed or aborted tells it the outcome; a
 *     peer that never voted yes refuses the transaction (it logs the refusal first, so a
 *     late prepare gets a no) and answers abort. That resolves every case in which some
 *     reachable participant knows the outcome or has not voted yes. It cannot resolve the
 *     case in which every reachable participant is prepared: the coordinator may have
 *     decided either way, and only its log knows. (The coordinator's own participant is
 *     down with it, so if the coordinator's node holds keys of the transaction, that node
 *     is never a helpful peer while it is down.)
 *
 * Reads are served locally when this node holds every key they touch: a read waits while
 * a key is write-locked by a prepared transaction, because that transaction may already
 * have been acknowledged to its client; an unlocked key here reflects every committed
 * transaction, since none can commit without this node's yes vote. Hence single-node
 * reads are linearizable without a round trip to the coordinator.
 *
 * A read spanning shards is a snapshot at a commit sequence number `s` (versions.ts): it
 * waits only for the transactions prepared here when it arrives that write its keys,
 * since only those can still be numbered <= s (any later prepare is decided after the
 * snapshot was taken, so it is numbered above s); then it reads version <= s. It takes no
 * lock, so it never makes a transfer abort.
 */
import { reply, type ClientOp, type Datum, type NodeId } from '../common/core.js';
import { KvState, tracedValue } from '../common/kv-state.js';
import { LockTable } from './locks.js';
import type { NodeEnv, PeerAnswer, TwoPcMessage, TwoPcRecord } from './protocol.js';
import type { TwoPcOptions } from './options.js';
import { Versions } from './versions.js';
import { evaluate } from './evaluate.js';
import { Outcomes, parseTxid, type OutcomesImage } from './outcomes.js';

interface PreparedTxn {
  txid: string;
  coordinator: NodeId;
  participants: NodeId[];
  at: number;
  writes: [string, Datum][];
  reads: string[];
  /** The vote's results, in memory only, for a prepare that arrives twice. */
  results: [number, Datum][];
  lastInquiry: number;
  lastPeerAsk: number;
}

/** A local read waiting for write locks to clear. */
interface Waiter {
  holder: string;
  keys: string[];
  deadline: number;
  resume(): void;
  expire(why: string): void;
}

/** A snapshot read waiting for the transactions that were in doubt here when it arrived. */
interface SnapshotWaiter {
  rid: string;
  from: NodeId;
  at: number;
  keys: string[];
  blockers: Set<string>;
  deadline: number;
}

type Decision = { outcome: 'commit'; seq: number; horizon: number } | { outcome: 'abort' };

export class Participant {
  readonly state = new KvState();
  private readonly versions = new Versions();
  private readonly locks = new LockTable();
  private readonly prepared = new Map<string, PreparedTxn>();
  /** Outcomes known here (decided, voted no, refused): for late prepares and peers' questions, until no question can need them. */
  private readonly outcomes = new Outcomes();
  /** The newest snapshot horizon a coordinator sent: versions older than it serve no read. */
  private lastHorizon = -Infinity;
  private waiters: Waiter[] = [];
  private snapshots: SnapshotWaiter[] = [];
  readonly counters = {
    prepared: 0, votedNo: 0, conflicts: 0, committed: 0, aborted: 0, inquiries: 0, peerAsks: 0, resolvedByPeers: 0, refused: 0,
    readWaits: 0, readTimeouts: 0, snapshotReads: 0, snapshotWaits: 0, snapshotFailures: 0,
  };

  constructor(
    private readonly env: NodeEnv,
    private readonly opts: TwoPcOptions,
  ) {}

  // ---------------------------------------------------------------- recovery

  /** Replay one log record; `retrace`: it belongs to the batch whose trace events the crash may have lost. */
  recover(record: TwoPcRecord, retrace: boolean): void {
    switch (record.k) {
      case 'prepared':
        // `at` is machine-monotonic; after a reboot the clock starts again below it.
        this.prepared.set(record.txid, { ...record, at: Math.min(record.at, this.env.now()), results: [], lastInquiry: -Infinity, lastPeerAsk: -Infinity });
        if (retrace) this.env.event(record.txid, 'participant', 'prepared');
        return;
      case 'committed': {
        const p = this.prepared.get(record.txid);
        for (const [key, value] of p?.writes ?? []) {
          this.state.put(key, value);
          // Only the latest version survives a restart: older snapshots are refused, not misread.
          this.versions.install(key, record.seq, value, record.seq);
        }
        this.prepared.delete(record.txid);
        this.outcomes.set(record.txid, { outcome: 'commit', seq: record.seq });
        if (retrace) this.env.event(record.txid, 'participant', 'applied-commit');
        return;
      }
      case 'aborted': {
        const wasPrepared = this.prepared.delete(record.txid);
        this.outcomes.set(record.txid, { outcome: 'abort' });
        if (retrace) this.env.event(record.txid, 'participant', wasPrepared ? 'applied-abort' : 'voted-no');
        return;
      }
      default:
        return;
    }
  }

  /** Take the in-doubt transactions' locks again, and trace them as prepared (the crash may have beaten the trace write). */
  finishRecovery(): void {
    for (const p of this.prepared.values()) {
      this.locks.lock(p.txid, p.reads, p.writes.map(([key]) => key));
      this.env.event(p.txid, 'participant', 'prepared');
    }
  }

  // ---------------------------------------------------------------- phase 1

  onPrepare(from: NodeId, m: Extract<TwoPcMessage, { t: 'prepare' }>): void {
    const id = parseTxid(m.txid);
    if (id && m.low !== undefined && m.ended !== undefined) this.outcomes.watermark(id.coordinator, { epoch: id.epoch, low: m.low, ended: m.ended });
    const again = this.prepared.get(m.txid);
    if (again) return this.env.send(from, { t: 'vote', txid: m.txid, yes: true, results: again.results });
    if (this.outcomes.has(m.txid)) return this.voteNo(from, m.txid, 'already decided here');
    const writes = [...new Set(m.ops.filter(({ op }) => op.f !== 'read').map(({ op }) => op.key))];
    const reads = [...new Set(m.ops.filter(({ op }) => op.f === 'read' && !writes.includes(op.key)).map(({ op }) => op.key))];
    const conflict = this.locks.conflict(m.txid, reads, writes);
    if (conflict) {
      this.counters.conflicts++;
      return this.voteNo(from, m.txid, `conflict: ${conflict.key} is locked by ${conflict.holder}`);
    }
    this.prepareNow(from, m, reads, writes);
  }

  private prepareNow(from: NodeId, m: Extract<TwoPcMessage, { t: 'prepare' }>, reads: string[], writeKeys: string[]): void {
    const result = evaluate(this.state, m.ops);
    if ('problem' in result) return this.voteNo(from, m.txid, result.problem, result.current);
    const at = this.env.now();
    this.locks.lock(m.txid, reads, writeKeys);
    this.env.persist({ k: 'prepared', txid: m.txid, coordinator: from, participants: m.participants, at, writes: result.writes, reads });
    this.prepared.set(m.txid, {
      txid: m.txid, coordinator: from, participants: m.participants, at, writes: result.writes, reads,
      results: result.results, lastInquiry: at, lastPeerAsk: at,
    });
    this.counters.prepared++;
    this.env.event(m.txid, 'participant', 'prepared');
    this.env.send(from, { t: 'vote', txid: m.txid, yes: true, results: result.results });
  }

  /** No vote, no log record: under presumed abort a participant that votes no forgets the transaction. */
  private voteNo(to: NodeId, txid: string, reason: string, current?: Datum): void {
    this.counters.votedNo++;
    this.outcomes.set(txid, { outcome: 'abort' });
    this.env.event(txid, 'participant', 'voted-no');
    this.env.send(to, current === undefined ? { t: 'vote', txid, yes: false, reason } : { t: 'vote', txid, yes: false, reason, current });
  }

  // ---------------------------------------------------------------- phase 2

  onDecide(from: NodeId, m: Extract<TwoPcMessage, { t: 'decide' }>): void {
    if (m.commit && m.horizon > this.lastHorizon) this.lastHorizon = m.horizon;
    if (this.prepared.has(m.txid)) this.resolve(m.txid, m.commit ? { outcome: 'commit', seq: m.seq, horizon: m.horizon } : { outcome: 'abort' });
    // A commit is acknowledged even when it was installed long ago: the coordinator re-sends
    // it until every participant has said so, and a participant only forgets after installing.
    if (m.commit) this.env.send(from, { t: 'ack', txid: m.txid });
  }

  private resolve(txid: string, decision: Decision): void {
    const p = this.prepared.get(txid)!;
    this.prepared.delete(txid);
    this.outcomes.set(txid, decision.outcome === 'commit' ? { outcome: 'commit', seq: decision.seq } : decision);
    if (decision.outcome === 'commit') {
      this.env.persist({ k: 'committed', txid, seq: decision.seq });
      for (const [key, value] of p.writes) {
        this.state.put(key, value);
        this.versions.install(key, decision.seq, value, decision.horizon);
        this.env.applied(key, tracedValue(value));
      }
      this.counters.committed++;
    } else {
      // Not needed for safety (an in-doubt restart would ask and be told abort), but it
      // keeps a restarted participant from holding these locks while it waits to ask.
      this.env.persist({ k: 'aborted', txid });
      this.counters.aborted++;
    }
    this.env.event(txid, 'participant', decision.outcome === 'commit' ? 'applied-commit' : 'applied-abort');
    this.locks.release(txid, [...p.reads, ...p.writes.map(([key]) => key)]);
    this.wakeWaiters();
    for (const w of [...this.snapshots]) {
      if (!w.blockers.delete(txid) || w.blockers.size > 0) continue;
      this.snapshots = this.snapshots.filter((x) => x !== w);
      this.answerSnapshot(w.from, w.rid, w.at, w.keys);
    }
  }

  // ---------------------------------------------------------------- termination

  onPeerAsk(from: NodeId, txids: string[]): void {
    const answers: PeerAnswer[] = [];
    for (const txid of txids) {
      const known = this.outcomes.get(txid);
      if (this.prepared.has(txid)) answers.push([txid, 'prepared']);
      else if (known?.outcome === 'commit') answers.push([txid, 'commit', known.seq]);
      else if (known) answers.push([txid, 'abort']);
      else {
        // Never voted yes: refuse it for good, durably, before saying so (Ready order:
        // persist, then messages), so a prepare still on its way gets a no.
        this.outcomes.set(txid, { outcome: 'abort' });
        this.env.event(txid, 'participant', 'voted-no');
        this.env.persist({ k: 'aborted', txid });
        this.counters.refused++;
        answers.push([txid, 'abort']);
      }
    }
    this.env.send(from, { t: 'peerAnswer', answers });
  }

  onPeerAnswer(answers: PeerAnswer[]): void {
    for (const answer of answers) {
      const txid = answer[0];
      if (answer[1] === 'prepared' || !this.prepared.has(txid)) continue;
      this.counters.resolvedByPeers++;
      // A peer does not know the coordinator's snapshot horizon: keep what the last one we heard keeps.
      this.resolve(txid, answer[1] === 'commit' ? { outcome: 'commit', seq: answer[2], horizon: this.lastHorizon } : { outcome: 'abort' });
    }
  }

  tick(now: number): void {
    for (const w of [...this.waiters]) {
      if (now < w.deadline) continue;
      const key = this.locks.blocked(w.holder, w.keys)[0];
      this.waiters = this.waiters.filter((x) => x !== w);
      if (key === undefined) w.resume();
      else w.expire(`waited ${this.opts.lockWaitMs} ms for key ${key}, write-locked by transaction ${this.locks.writerOf(key)!} (prepared, awaiting its decision)`);
    }
    for (const w of [...this.snapshots]) {
      if (now < w.deadline) continue;
      this.snapshots = this.snapshots.filter((x) => x !== w);
      this.counters.snapshotFailures++;
      const error = `waited ${this.opts.lockWaitMs} ms for in-doubt transaction(s) ${[...w.blockers].join(', ')} (prepared, awaiting a decision)`;
      this.env.send(w.from, { t: 'snapValues', rid: w.rid, error });
    }
    const inquiries = new Map<NodeId, string[]>();
    const asks = new Map<NodeId, string[]>();
    const push = (m: Map<NodeId, string[]>, to: NodeId, txid: string) => {
      const list = m.get(to);
      if (list) list.push(txid);
      else m.set(to, [txid]);
    };
    for (const p of this.prepared.values()) {
      const age = now - p.at;
      if (age >= this.opts.inquireAfterMs && now - p.lastInquiry >= this.opts.retryMs) {
        p.lastInquiry = now;
        push(inquiries, p.coordinator, p.txid);
      }
      if (this.opts.termination === 'cooperative' && age >= this.opts.cooperativeAfterMs && now - p.lastPeerAsk >= this.opts.retryMs) {
        p.lastPeerAsk = now;
        for (const peer of p.participants) if (peer !== this.env.id) push(asks, peer, p.txid);
      }
    }
    for (const [to, txids] of inquiries) {
      this.counters.inquiries += txids.length;
      this.env.send(to, { t: 'inquire', txids });
    }
    for (const [to, txids] of asks) {
      this.counters.peerAsks += txids.length;
      this.env.send(to, { t: 'peerAsk', txids });
    }
  }

  // ---------------------------------------------------------------- local reads

  /** Serve a read of keys this node holds, once none of them is write-locked (or fail after lockWaitMs). */
  read(reqId: string, op: ClientOp): void {
    const keys = KvState.keysOf(op);
    const holder = `read:${reqId}`;
    const serve = () => {
      this.locks.release(holder, keys);
      this.env.reply(reqId, this.state.apply(op).reply);
    };
    if (this.locks.share(holder, keys).length === 0) return serve();
    this.counters.readWaits++;
    this.wait(holder, keys, serve, (why) => {
      this.locks.release(holder, keys);
      this.counters.readTimeouts++;
      this.env.reply(reqId, reply.unavailable(why));
    });
  }

  readGone(reqId: string): void {
    const w = this.waiters.find((x) => x.holder === `read:${reqId}`);
    if (!w) return;
    this.waiters = this.waiters.filter((x) => x !== w);
    this.locks.release(w.holder, w.keys);
  }

  private wait(holder: string, keys: string[], resume: () => void, expire: Waiter['expire']): void {
    const deadline = this.env.now() + this.opts.lockWaitMs;
    this.waiters.push({ holder, keys, deadline, resume, expire });
  }

  private wakeWaiters(): void {
    for (const w of [...this.waiters]) {
      if (this.locks.blocked(w.holder, w.keys).length > 0) continue;
      this.waiters = this.waiters.filter((x) => x !== w);
      w.resume();
    }
  }

  onSnapRead(from: NodeId, m: Extract<TwoPcMessage, { t: 'snapRead' }>): void {
    this.counters.snapshotReads++;
    const blockers = new Set<string>();
    for (const p of this.prepared.values()) if (p.writes.some(([key]) => m.keys.includes(key))) blockers.add(p.txid);
    if (blockers.size === 0) return this.answerSnapshot(from, m.rid, m.at, m.keys);
    this.counters.snapshotWaits++;
    this.snapshots.push({ rid: m.rid, from, at: m.at, keys: m.keys, blockers, deadline: this.env.now() + this.opts.lockWaitMs });
  }

  private answerSnapshot(to: NodeId, rid: string, at: number, keys: string[]): void {
    const values: [string, Datum][] = [];
    for (const key of keys) {
      const value = this.versions.at(key, at);
      if (value === undefined) {
        this.counters.snapshotFailures++;
        return this.env.send(to, { t: 'snapValues', rid, error: `snapshot ${at} is older than the versions of ${key} kept here` });
      }
      values.push([key, value]);
    }
    this.env.send(to, { t: 'snapValues', rid, values });
  }

  // ---------------------------------------------------------------- compaction

  /** What a snapshot keeps of this participant: its keys, their newest versions, the outcomes still needed. */
  image(): { kv: [string, Datum][]; versions: [string, number][]; outcomes: OutcomesImage; horizon: number | null } {
    this.outcomes.prune();
    return { kv: this.state.entries(), versions: this.versions.newest(), outcomes: this.outcomes.image(), horizon: Number.isFinite(this.lastHorizon) ? this.lastHorizon : null };
  }

  /** Start from a snapshot image (records after it are replayed on top: recover). */
  restore(image: ReturnType<Participant['image']>): void {
    this.state.restore(image.kv);
    // As after a restart from the log: only the newest version survives, older snapshots are refused.
    for (const [key, seq] of image.versions) this.versions.install(key, seq, this.state.get(key), seq);
    this.outcomes.restore(image.outcomes);
    if (image.horizon !== null) this.lastHorizon = image.horizon;
  }

  /** The records of what a snapshot leaves open: the transactions in doubt here. */
  openRecords(): TwoPcRecord[] {
    return [...this.prepared.values()].map(({ txid, coordinator, participants, at, writes, reads }) => ({ k: 'prepared', txid, coordinator, participants, at, writes, reads }));
  }

  get outcomesRemembered(): number {
    return this.outcomes.size;
  }

  // ---------------------------------------------------------------- observation

  /** How many transactions are prepared and undecided here, and since when (monotonic ms). */
  inDoubt(now: number): { inDoubt: number; inDoubtSince: number | null; inDoubtOldestMs: number; lockedKeys: number; waitingReads: number } {
    let since = Infinity;
    for (const p of this.prepared.values()) since = Math.min(since, p.at);
    return {
      inDoubt: this.prepared.size,
      inDoubtSince: since === Infinity ? null : Math.round(since),
      inDoubtOldestMs: since === Infinity ? 0 : Math.round(now - since),
      lockedKeys: this.locks.lockedKeys,
      waitingReads: this.waiters.length + this.snapshots.length,
    };
  }

  inDoubtTxids(): string[] {
    return [...this.prepared.keys()];
  }

  /** The oldest in-doubt transactions and the keys they hold: what is blocked, for GET /status. */
  inDoubtSample(limit: number): { txid: string; coordinator: NodeId; since: number; keys: string[] }[] {
    return [...this.prepared.values()]
      .sort((x, y) => x.at - y.at)
      .slice(0, limit)
      .map((p) => ({ txid: p.txid, coordinator: p.coordinator, since: Math.round(p.at), keys: [...p.writes.map(([key]) => key), ...p.reads] }));
  }

  writerOf(key: string): string | undefined {
    return this.locks.writerOf(key);
  }
}
