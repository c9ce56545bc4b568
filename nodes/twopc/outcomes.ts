/**
 * What a participant remembers of finished transactions, and for how long: the answer to a
 * peer's question (cooperative termination) and to a prepare that comes after this
 * participant refused the transaction. Remembering everything forever grows with every
 * transaction; forgetting too early breaks atomicity (a peer in doubt about a commit we
 * forgot would be told "abort"). So each coordinator says, on every prepare, how far its
 * transactions are settled (`Watermark`), and a participant forgets exactly what no
 * question can need any more:
 *
 *   - a commit, once its commit number is at or below `ended`: every participant has
 *     acknowledged it, so none is in doubt and none will ask;
 *   - an abort (voted no, aborted, or refused), once the transaction is older than `low`
 *     in the coordinator's current incarnation (or of an earlier one): it is decided, and
 *     its prepare, sent before the prepare that carried the watermark on the same FIFO
 *     link, has arrived or never will. A prepare for it that did arrive late would be
 *     answered "abort" by the coordinator anyway.
 */
import type { NodeId } from '../common/core.js';

export type Known = { outcome: 'commit'; seq: number } | { outcome: 'abort' };

/** How far a coordinator's transactions are settled. */
export interface Watermark {
  epoch: number;
  /** Every transaction of `epoch` numbered below this is decided. */
  low: number;
  /** Every commit numbered up to this was acknowledged by all its participants. */
  ended: number;
}

/** `coordinator.epoch.seq` (a node id may hold dots: read from the right). */
export function parseTxid(txid: string): { coordinator: NodeId; epoch: number; seq: number } | null {
  const b = txid.lastIndexOf('.');
  const a = txid.lastIndexOf('.', b - 1);
  if (a <= 0 || b <= a) return null;
  const epoch = Number(txid.slice(a + 1, b));
  const seq = Number(txid.slice(b + 1));
  return Number.isSafeInteger(epoch) && Number.isSafeInteger(seq) ? { coordinator: txid.slice(0, a), epoch, seq } : null;
}

export type OutcomesImage = { known: ([txid: string, seq: number] | [txid: string])[]; marks: [NodeId, Watermark][] };

export class Outcomes {
  private readonly known = new Map<string, Known>();
  private readonly marks = new Map<NodeId, Watermark>();

  get size(): number {
    return this.known.size;
  }

  get(txid: string): Known | undefined {
    return this.known.get(txid);
  }

  has(txid: string): boolean {
    return this.known.has(txid);
  }

  set(txid: string, known: Known): void {
    this.known.set(txid, known);
  }

  /** What a coordinator said on a prepare; marks only move forward. */
  watermark(coordinator: NodeId, mark: Watermark): void {
    const old = this.marks.get(coordinator);
    if (!old || mark.epoch > old.epoch || (mark.epoch === old.epoch && (mark.low > old.low || mark.ended > old.ended))) {
      this.marks.set(coordinator, {
        epoch: mark.epoch,
        low: old && old.epoch === mark.epoch ? Math.max(old.low, mark.low) : mark.low,
        ended: Math.max(old?.ended ?? 0, mark.ended),
      });
    }
  }

  /** Forget what no question can need any more; returns how many were forgotten. */
  prune(): number {
    let forgotten = 0;
    for (const [txid, k] of this.known) {
      const id = parseTxid(txid);
      const mark = id && this.marks.get(id.coordinator);
      if (!id || !mark) continue;
      const settled = k.outcome === 'commit' ? k.seq <= mark.ended : id.epoch < mark.epoch || id.seq < mark.low;
      if (settled) {
        this.known.delete(txid);
        forgotten++;
      }
    }
    return forgotten;
  }

  image(): OutcomesImage {
    return { known: [...this.known].map(([txid, k]) => (k.outcome === 'commit' ? [txid, k.seq] : [txid])), marks: [...this.marks] };
  }

  restore(image: OutcomesImage): void {
    for (const entry of image.known) this.known.set(entry[0], entry.length === 2 ? { outcome: 'commit', seq: entry[1] } : { outcome: 'abort' });
    for (const [coordinator, mark] of image.marks) this.watermark(coordinator, mark);
  }
}
