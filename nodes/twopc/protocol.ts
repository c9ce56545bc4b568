/**
 * What two-phase commit nodes say to each other, what they write to their logs, and where
 * keys live.
 *
 * The log follows presumed abort (Mohan, Lindsay & Obermarck, "Transaction Management in
 * the R* Distributed Database Management System", TODS 1986): the coordinator writes only
 * commit decisions (before it sends them) and an end record once every participant has
 * acknowledged one; an abort leaves no coordinator record, and a question about a
 * transaction the coordinator has no record of is answered "abort". A participant writes
 * its prepare record, with the values it will install, before it votes yes, and its
 * commit record before it acknowledges.
 */
import type { ClientReply, Datum, NodeId, TxnOp, Value } from '../common/core.js';

/** One of the client's operations, as a participant executes it: a txn op, or a single-key cas. */
export type PartOp = TxnOp | { f: 'cas'; key: string; from: Value; to: Value };

/** An op and its position in the client's request, so the coordinator can put results back in order. */
export interface IndexedOp {
  i: number;
  op: PartOp;
}

export type TwoPcMessage =
  /**
   * Phase 1 (Gray & Lamport 2006, §3: "prepare"). `participants` lets an in-doubt
   * participant ask its peers (cooperative termination). `low` and `ended` (added for
   * compaction): how far the coordinator's transactions are settled, so participants can
   * forget outcomes no question can need (outcomes.ts).
   */
  | { t: 'prepare'; txid: string; ops: IndexedOp[]; participants: NodeId[]; low?: number; ended?: number }
  | { t: 'vote'; txid: string; yes: true; results: [number, Datum][] }
  /** `current` is set when a cas found another value: the client gets it back with its 409. */
  | { t: 'vote'; txid: string; yes: false; reason: string; current?: Datum }
  /**
   * Phase 2. Commits are re-sent until acknowledged; aborts are sent once (presumed abort).
   * A commit carries its sequence number and the coordinator's snapshot horizon (versions.ts).
   */
  | { t: 'decide'; txid: string; commit: true; seq: number; horizon: number }
  | { t: 'decide'; txid: string; commit: false }
  | { t: 'ack'; txid: string }
  /** An in-doubt participant asks the coordinator for the outcome (recovery, or a lost decision). */
  | { t: 'inquire'; txids: string[] }
  /** Cooperative termination: an in-doubt participant asks the other participants. */
  | { t: 'peerAsk'; txids: string[] }
  /** `prepared`: the peer is in doubt too, and cannot help. */
  | { t: 'peerAnswer'; answers: PeerAnswer[] }
  /** A read-only transaction spanning shards: the values of `keys` in snapshot `at` (no locks, no log). */
  | { t: 'snapRead'; rid: string; at: number; keys: string[] }
  | { t: 'snapValues'; rid: string; values: [string, Datum][] }
  | { t: 'snapValues'; rid: string; error: string };

export type PeerAnswer = [txid: string, answer: 'commit', seq: number] | [txid: string, answer: 'abort' | 'prepared'];

export type VoteMessage = Extract<TwoPcMessage, { t: 'vote' }>;

export type TwoPcRecord =
  /** Coordinator: a new incarnation; transaction ids carry it, so none is ever reused after a crash. */
  | { k: 'epoch'; n: number }
  /** Coordinator: the commit decision, forced before any participant hears it; `seq` numbers it among all commits. */
  | { k: 'commit'; txid: string; participants: NodeId[]; seq: number }
  /** Coordinator: every participant acknowledged the commit; the decision may be forgotten. */
  | { k: 'end'; txid: string }
  /**
   * Participant: voted yes. `writes` are the values to install on commit (computed under
   * the locks, so still right at commit time); `reads` are the keys only read-locked.
   * `at` is when it prepared (monotonic ms, shared by the machine's processes), so a
   * restarted participant still reports how long it has been in doubt.
   */
  | { k: 'prepared'; txid: string; coordinator: NodeId; participants: NodeId[]; at: number; writes: [string, Datum][]; reads: string[] }
  | { k: 'committed'; txid: string; seq: number }
  /** Participant: aborted after a prepare, or refused a transaction it never voted on (cooperative termination). */
  | { k: 'aborted'; txid: string }
  /**
   * The end of one Ready's records. The runtime writes the trace after the WAL, so a
   * kill -9 can keep a batch's records and lose its trace events (the page cache survives
   * the kill even before the fsync); on restart the events of the last complete batch and
   * of any partial one after it are traced again. Duplicates are harmless: the checker
   * takes the first time of each event.
   *
   * `retraced`: this is the first batch of a restarted node, whose Ready also carried the
   * events traced again from the batches before it. A kill during its fsync loses those
   * too, so the next restart traces that earlier window again as well (core.ts
   * `retraceStart`); otherwise a restart killed before its first fsync completed would
   * leave a durable commit decision without its event for good.
   */
  | { k: 'batch'; retraced?: true };

export function txidOf(coordinator: NodeId, epoch: number, seq: number): string {
  return `${coordinator}.${epoch}.${seq}`;
}

/** Node ids in their natural order: shortest first, then alphabetical, so n2 < n10. */
export function compareIds(a: NodeId, b: NodeId): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** FNV-1a, 32 bits: the same on every node and every run, unlike anything seeded. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Which nodes hold a key. Sharded: exactly one, `members[fnv1a(key) mod N]` with members
 * in natural id order (a fixed membership: changing N moves keys, and there is no
 * rebalancing). Replicated: all of them.
 */
export class Placement {
  readonly members: NodeId[];

  constructor(
    readonly layout: 'sharded' | 'replicated',
    members: readonly NodeId[],
  ) {
    this.members = [...members].sort(compareIds);
  }

  owner(key: string): NodeId {
    return this.members[fnv1a(key) % this.members.length]!;
  }

  holders(key: string): NodeId[] {
    return this.layout === 'replicated' ? this.members : [this.owner(key)];
  }

  holds(id: NodeId, key: string): boolean {
    return this.layout === 'replicated' ? this.members.includes(id) : this.owner(key) === id;
  }

  /** Every node that holds one of `keys`, in natural order. */
  participantsOf(keys: readonly string[]): NodeId[] {
    if (this.layout === 'replicated') return this.members;
    const owners = new Set(keys.map((k) => this.owner(k)));
    return this.members.filter((m) => owners.has(m));
  }
}

export type CommitEventName = 'prepared' | 'voted-no' | 'decided-commit' | 'decided-abort' | 'applied-commit' | 'applied-abort';

/**
 * What the coordinator and the participant of one node share: the clock, the node's
 * outbound channels (a message to the node itself is delivered within the same step, so
 * the coordinator's own participant speaks the same protocol as every other) and its options.
 */
export interface NodeEnv {
  readonly id: NodeId;
  now(): number;
  send(to: NodeId, msg: TwoPcMessage): void;
  persist(record: TwoPcRecord): void;
  reply(reqId: string, reply: ClientReply): void;
  applied(key: string, value: Value): void;
  /** A trace event for the atomic-commitment checker: `{txid, role, event}` (+ `participants` on decisions). */
  event(txid: string, role: 'coordinator' | 'participant', event: CommitEventName, participants?: NodeId[]): void;
}
