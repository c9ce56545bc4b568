/**
 * The contract between a pure algorithm core and the runtime that drives it.
 *
 * A core is a deterministic state machine with no I/O: no sockets, no clocks, no disk,
 * no Math.random. The runtime feeds it `Input`s through its one door, `step`, and after a
 * batch of inputs drains one `Ready` and carries it out in this order (the order is the
 * contract; cores rely on it for safety):
 *
 *   1. `early`     messages that may leave before this batch is durable: a leader's own
 *                  AppendEntries/Accept may travel while it writes the same entries to its
 *                  disk (Raft dissertation §10.2.1). A core may count its own log in a
 *                  quorum as if durable: a peer's answer to an early message is a later
 *                  input, and the runtime steps no input until steps 2 and 3 are done
 *                  (host.ts asserts it), so by then what the answer acknowledges is on disk
 *                  here too; and whatever a commit makes visible (steps 4 to 8) leaves
 *                  after step 2 anyway.
 *   2. `persist`   records appended to the node's write-ahead log, then one fdatasync.
 *   3. `compact`   (optional; absent or null in most Readies) a snapshot image of the core's
 *                  state made durable, then the whole log replaced by `tail`, the records
 *                  that must follow the image (snapshots.ts: the order and what a crash at
 *                  each point leaves). The tail is the core's state after this batch, so
 *                  it covers step 2's records. A snapshot installed from a peer comes this
 *                  way too, so the answer that it was installed leaves after it is durable.
 *   4. `messages`  sent to peers: votes, acks and promises leave only after steps 2 and 3.
 *   5. `forwards`  client requests handed to another node (e.g. the leader).
 *   6. `replies`   answers to client requests, local or forwarded.
 *   7. `applied`   writes this node applied to its state machine, traced with the time
 *                  (data/applied.jsonl: exact convergence times) and the log position
 *                  (`at`, for the replica invariants: workloads/checkers/log-safety.ts).
 *   8. `events`    protocol events a checker needs (e.g. 2PC prepared/decided/applied per
 *                  transaction), traced with the time (data/events.jsonl).
 *
 * Everything a core knows about time comes from `tick` inputs; every random choice comes
 * from the seeded `Random` handed to it at creation.
 */
import type { Random } from './random.js';

export type NodeId = string;

/** A register value: any JSON scalar. Values are compared by identity of type and content. */
export type Value = string | number | boolean | null;

/**
 * What a key holds: a scalar, or a list of scalars built by `append` (the list-append
 * workload). Lists are never changed in place, so one may be shared by replies, votes and
 * snapshot versions without copying.
 */
export type Datum = Value | readonly Value[];

/** One operation inside a multi-key transaction (POST /txn). */
export type TxnOp =
  | { f: 'read'; key: string }
  | { f: 'write'; key: string; value: Value }
  /** Add `delta` to a numeric key (missing = 0); the whole transaction aborts if the result is below `floor`. */
  | { f: 'add'; key: string; delta: number; floor?: number }
  /** Append `value` to the list at `key` (missing = empty); the transaction aborts if the key holds a scalar. */
  | { f: 'append'; key: string; value: Value };

/** A client operation, as validated from the HTTP API. */
export type ClientOp =
  | { f: 'read'; key: string }
  | { f: 'write'; key: string; value: Value }
  | { f: 'cas'; key: string; from: Value; to: Value }
  | { f: 'txn'; ops: TxnOp[] };

/**
 * A reply to a client. Status codes follow the node contract: 200 ok, 409 precondition
 * failed or transaction aborted (definite), 501 the algorithm cannot offer this operation
 * at all (gossip has no consensus for cas/txn; definite), 503 definitely not applied, 504 unknown.
 */
export interface ClientReply {
  status: 200 | 400 | 404 | 409 | 413 | 501 | 503 | 504;
  body: Record<string, unknown>;
}

export type Input<M> =
  | { type: 'tick'; now: number }
  | { type: 'message'; from: NodeId; msg: M }
  /** `forwarded` is true when another node handed this request over; cores must not forward it again. */
  | { type: 'client'; reqId: string; op: ClientOp; forwarded: boolean }
  /** The runtime gave up on a request (it answered 504): the core may drop its bookkeeping. */
  | { type: 'clientGone'; reqId: string };

export interface Outbound<M> {
  to: NodeId;
  msg: M;
}

export interface AppliedWrite {
  key: string;
  value: Value;
  /**
   * The writer's last-writer-wins version, for cores that order writes by version rather
   * than by a log (gossip: [hybrid logical clock, origin]). Higher wins; traced as `version`,
   * which the convergence checker reads.
   */
  version?: number | [number, string];
  /**
   * The log position (Raft index, Paxos slot) of the command that made this write, for
   * cores that apply a log: traced as `at`, so a checker can hold every replica to applying
   * the same writes at the same position (workloads/checkers/log-safety.ts).
   */
  at?: number;
}

/** A compaction (Ready step 3): the state as one image, and the log records that must follow it. */
export interface Compaction {
  /** Opaque to the runtime; handed back to the core as `CoreContext.snapshot` at restart. */
  snapshot: string;
  /** The whole log after the image, replacing the log on disk. */
  tail: unknown[];
}

export interface Ready<M> {
  early: Outbound<M>[];
  persist: unknown[];
  /** Added for snapshots; a core that never compacts leaves it out. */
  compact?: Compaction | null;
  messages: Outbound<M>[];
  forwards: { reqId: string; to: NodeId }[];
  replies: { reqId: string; reply: ClientReply }[];
  applied: AppliedWrite[];
  events: Record<string, unknown>[];
}

export interface Core<M> {
  step(input: Input<M>): void;
  /** Drain the outputs accumulated since the last call. */
  ready(): Ready<M>;
  /** Fields for GET /status beyond id and algo: role, leader, term, commitIndex, ... */
  status(): Record<string, unknown>;
  /** Algorithm counters merged into GET /metrics (e.g. 2PC's in-doubt transactions); optional. */
  metrics?(): Record<string, unknown>;
  /**
   * The node this one hands requests it cannot serve to (the leader or coordinator it
   * knows), for cores that forward. When it changes, the runtime answers the requests
   * still forwarded to the old one at once (504) instead of at their timeout.
   */
  leaderId?(): NodeId | null;
  /**
   * The highest log position (Raft index, Paxos slot) this node recovered from its own files,
   * log or snapshot, read once at start-up; for cores that apply only what they made durable
   * first. Every position it applied before it stopped must be here again (the invariants
   * checker's "no node forgets what it applied"); cores that cannot promise that leave it out.
   */
  recoveredThrough?(): number;
}

export interface CoreContext<O> {
  id: NodeId;
  /** Every other member of the cluster. */
  peers: NodeId[];
  /**
   * Every member, this one included, when the runtime has them in one array it may share
   * between cores (the simulator's 10,000 nodes do): read-only. A core that only draws from
   * the membership reads this rather than `peers`, which the host then never builds.
   */
  members?: readonly NodeId[];
  options: O;
  /**
   * Records this node persisted before it last stopped, in order (torn tail already cut):
   * the log after `snapshot` when there is one. It may also hold records the snapshot
   * already covers (a crash between the two steps of a compaction), which cores skip.
   */
  recovered: unknown[];
  /**
   * The newest intact snapshot image this node made durable (`Ready.compact`), or null or
   * absent when it has none. Added for snapshots: a core that never compacts ignores it.
   */
  snapshot?: string | null;
  random: Random;
  /** The time of creation, in the same units as tick.now (milliseconds). */
  now: number;
}

export function emptyReady<M>(): Ready<M> {
  return { early: [], persist: [], messages: [], forwards: [], replies: [], applied: [], events: [] };
}

/** What an idle step leaves to do: one shared, frozen Ready (most ticks of most nodes produce nothing). */
const NOTHING_READY: Ready<never> = Object.freeze({
  early: Object.freeze([]) as never[],
  persist: Object.freeze([]) as never[],
  messages: Object.freeze([]) as never[],
  forwards: Object.freeze([]) as never[],
  replies: Object.freeze([]) as never[],
  applied: Object.freeze([]) as never[],
  events: Object.freeze([]) as never[],
});

/**
 * Collects outputs between two `ready()` calls; cores compose it rather than re-implement it.
 * A Ready taken is read, never modified (with nothing collected it is a shared frozen one):
 * what a core decides at `ready()` (a batch marker, a compaction) goes into the buffer
 * before `take()`, seeing the batch so far through `persisting`.
 */
export class ReadyBuffer<M> {
  private pending: Ready<M> | null = null;

  private get r(): Ready<M> {
    return (this.pending ??= emptyReady<M>());
  }

  early(to: NodeId, msg: M): void {
    this.r.early.push({ to, msg });
  }
  persist(record: unknown): void {
    this.r.persist.push(record);
  }
  /** The records this batch persists so far. */
  get persisting(): readonly unknown[] {
    return this.pending?.persist ?? NOTHING_READY.persist;
  }
  /** Snapshot `snapshot` and replace the log by `tail` (the last call of a batch wins: it is the newest state). */
  compact(snapshot: string, tail: unknown[]): void {
    this.r.compact = { snapshot, tail };
  }
  send(to: NodeId, msg: M): void {
    this.r.messages.push({ to, msg });
  }
  forward(reqId: string, to: NodeId): void {
    this.r.forwards.push({ reqId, to });
  }
  /**
   * A request this node cannot serve: hand it to the leader, one hop only; with no leader
   * known, or when it was already handed over once, it definitely did not happen (503).
   */
  toLeader(reqId: string, leader: NodeId | null, forwarded: boolean): void {
    if (leader !== null && !forwarded) this.forward(reqId, leader);
    else this.reply(reqId, reply.unavailable('no leader known', { leader }));
  }
  reply(reqId: string, reply: ClientReply): void {
    this.r.replies.push({ reqId, reply });
  }
  applied(key: string, value: Value, version?: AppliedWrite['version']): void {
    this.r.applied.push(version === undefined ? { key, value } : { key, value, version });
  }
  /** A write made by the command at log position `at` (AppliedWrite.at). */
  appliedAt(at: number, key: string, value: Value): void {
    this.r.applied.push({ key, value, at });
  }
  event(event: Record<string, unknown>): void {
    this.r.events.push(event);
  }
  take(): Ready<M> {
    const out = this.pending ?? (NOTHING_READY as Ready<M>);
    this.pending = null;
    return out;
  }
}

export const reply = {
  ok: (body: Record<string, unknown> = { ok: true }): ClientReply => ({ status: 200, body }),
  /** Definitely not applied: the client may retry elsewhere. */
  unavailable: (error: string, extra: Record<string, unknown> = {}): ClientReply => ({ status: 503, body: { error, ...extra } }),
  /** Outcome unknown: it may or may not have taken effect. */
  unknown: (error: string): ClientReply => ({ status: 504, body: { error } }),
  conflict: (body: Record<string, unknown>): ClientReply => ({ status: 409, body: { ok: false, ...body } }),
};
