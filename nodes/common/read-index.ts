/**
 * Linearizable reads by read index (Raft dissertation §6.4), shared by Raft and Multi-Paxos:
 * a read that arrives at the leader is held until (1) a majority has answered a heartbeat
 * round numbered at or after the read's `seq` (sent after the read arrived, so the leader was
 * still the leader when the read was ordered), and (2) the state machine has applied up to
 * the read's `index` (what was committed when the read arrived). A deposed leader cannot
 * collect (1), so it never answers from stale state.
 */
import type { ClientOp, ClientReply } from './core.js';

export interface PendingRead {
  reqId: string;
  op: ClientOp;
  /** Applied index the read must see. */
  index: number;
  /** Heartbeat round a majority must have answered. */
  seq: number;
}

/** The value a quorum has reached: the `quorum`-th largest of the members' values (self included). */
export function quorumValue(values: readonly number[], quorum: number): number {
  return [...values].sort((a, b) => b - a)[quorum - 1] ?? 0;
}

export class ReadIndexQueue {
  private pending: PendingRead[] = [];

  get size(): number {
    return this.pending.length;
  }

  add(read: PendingRead): void {
    this.pending.push(read);
  }

  forget(reqId: string): void {
    this.pending = this.pending.filter((r) => r.reqId !== reqId);
  }

  /** Answer every read whose round a quorum confirmed and whose index is applied. */
  serve(confirmedSeq: number, appliedIndex: number, answer: (read: PendingRead) => void): void {
    if (this.pending.length === 0) return;
    const still: PendingRead[] = [];
    for (const r of this.pending) {
      if (r.seq <= confirmedSeq && r.index <= appliedIndex) answer(r);
      else still.push(r);
    }
    this.pending = still;
  }

  /** Leadership lost: every held read fails definitely (a read that did not happen changed nothing). */
  failAll(reply: (reqId: string, r: ClientReply) => void, why: ClientReply): void {
    for (const r of this.pending) reply(r.reqId, why);
    this.pending = [];
  }
}
