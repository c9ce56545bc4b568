/**
 * What Multi-Paxos nodes say to each other and write to their logs: ballots, slot values,
 * the phase 1 / phase 2 messages of Paxos Made Simple (Lamport 2001, §2.2), the learners'
 * messages (§2.3) and the write-ahead-log records.
 */
import type { ClientOp, Datum, NodeId } from '../common/core.js';

/**
 * A ballot ("proposal number", §2.2): a round, with the proposer's id to break ties.
 * Totally ordered, and unique per node because "different proposers choose their numbers
 * from disjoint sets of numbers".
 */
export type Ballot = readonly [round: number, node: NodeId];

/** Below every real ballot: what an acceptor has promised before it promised anything. */
export const NO_BALLOT: Ballot = [0, ''];

export function compareBallots(a: Ballot, b: Ballot): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

export function sameBallot(a: Ballot | null, b: Ballot | null): boolean {
  return a !== null && b !== null && a[0] === b[0] && a[1] === b[1];
}

/**
 * A batch of client operations proposed together for one slot. `id` is unique in the
 * cluster's history ("<ballot round>.<proposer>.<n>": a proposer never reuses a round, see
 * core.ts), so a value chosen twice (a leaderless retry) is applied once.
 */
export interface Proposal {
  id: string;
  ops: ClientOp[];
}

/** What a slot holds: a batch, or null for the no-op a new leader fills a gap with (§3). */
export type SlotValue = Proposal | null;

export function sameValue(a: SlotValue, b: SlotValue): boolean {
  return a === null || b === null ? a === b : a.id === b.id;
}

/** Operations a slot carries, for bounding messages: a frame has a size limit (codec.ts). A no-op counts one. */
export function opsIn(v: SlotValue): number {
  return v === null ? 1 : Math.max(1, v.ops.length);
}

/** One slot in a promise: the value accepted there at `ballot`, or known chosen when `ballot` is null. */
export type ReportedSlot = [slot: number, ballot: Ballot | null, value: SlotValue];

export type PaxosMessage =
  /**
   * Would you promise `ballot`? It changes nothing at the acceptor, so a candidate that cannot
   * reach a majority raises nobody's promise (Raft's PreVote, dissertation §9.6, transposed).
   * Refused with `reject`.
   */
  | { t: 'probe'; ballot: Ballot }
  | { t: 'probeOk'; ballot: Ballot }
  /** Phase 1a for every slot from `from` on (Multi-Paxos: one prepare for all future slots). */
  | { t: 'prepare'; ballot: Ballot; from: number }
  /**
   * Phase 1b: a promise for `ballot`, reporting each slot from `from` to `upTo` that holds a
   * value. `upTo` null: every slot from `from` on. A page ends early only when it is long.
   * `compacted` (added for snapshots): every slot up to it is chosen, and this acceptor
   * forgot them (acceptor.ts); the proposer gets a snapshot of them from it.
   */
  | { t: 'promise'; ballot: Ballot; from: number; upTo: number | null; entries: ReportedSlot[]; compacted?: number }
  /** A prepare or accept refused: the acceptor promised `promised`, or follows a live `leader`. */
  | { t: 'reject'; ballot: Ballot; promised: Ballot; leader: NodeId | null }
  /**
   * Phase 2a for slots from..from+values.length-1; with no values, a heartbeat. `chosen`:
   * every slot up to it is chosen (the learners' piggybacked commit point); `seq`: the
   * leader's read-confirmation round.
   */
  | { t: 'accept'; ballot: Ballot; from: number; values: SlotValue[]; chosen: number; seq: number }
  /** Phase 2b, with what the acceptor has learned (`chosen`) and what it was told (`seen`). */
  | { t: 'accepted'; ballot: Ballot; from: number; count: number; chosen: number; seen: number; seq: number }
  /** Chosen values for slots from..: a leader catching up a learner, or a leaderless proposer's decision. */
  | { t: 'decide'; from: number; values: SlotValue[] }
  /** Leaderless anti-entropy: "I know every slot up to `chosen`"; a peer that knows more answers with decide. */
  | { t: 'sync'; chosen: number }
  /**
   * A chunk of a snapshot image (characters offset.. of `total`): the state machine after
   * every slot up to `slot` was executed, for a peer behind the sender's forgotten slots
   * (nodes/common/snapshot-transfer.ts).
   */
  | { t: 'snapshot'; slot: number; offset: number; data: string; total: number }
  /** How much of the image of `slot` the receiver holds; `total` once installed (or already covered). */
  | { t: 'snapshotAck'; slot: number; received: number };

/**
 * Write-ahead-log records, replayed in order at start: a promise, values accepted at a
 * ballot for consecutive slots, values learned chosen, or `b`, the base of a compacted log
 * (every slot up to it is chosen and in a snapshot). `c`, the learner's chosen prefix,
 * rides on the last record of a Ready (it holds once that record's values are in).
 */
export type PaxosRecord = ({ p: Ballot } | { b: number } | { a: Ballot; s: number; v: SlotValue[] } | { d: number; v: SlotValue[] }) & { c?: number };

/** What a Multi-Paxos snapshot image holds: the state machine after every slot up to `slot`. */
export interface PaxosImage {
  slot: number;
  kv: [string, Datum][];
  /** Leaderless mode: ids of the proposals executed, so a value chosen twice is still applied once. */
  ids: string[] | null;
}

export function encodePaxosImage(image: PaxosImage): string {
  return JSON.stringify({ paxos: 1, slot: image.slot, kv: image.kv, ids: image.ids });
}

export function decodePaxosImage(text: string): PaxosImage {
  const v = JSON.parse(text) as { paxos?: unknown; slot?: unknown; kv?: unknown; ids?: unknown };
  if (v.paxos !== 1 || !Number.isSafeInteger(v.slot) || !Array.isArray(v.kv) || !(v.ids === null || Array.isArray(v.ids))) {
    throw new Error('paxos: not a paxos snapshot image');
  }
  return { slot: v.slot as number, kv: v.kv as PaxosImage['kv'], ids: v.ids as string[] | null };
}
