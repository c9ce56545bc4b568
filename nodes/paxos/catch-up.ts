/**
 * Sending the newest snapshot to peers behind the slots this node forgot (core.ts), one
 * transfer per peer, stop and wait (nodes/common/snapshot-transfer.ts): a chunk goes when
 * the last is answered, again after `retransmitMs` if it or its answer was lost, and a peer
 * silent for ten election timeouts is given up on (it shows it is behind again when back).
 */
import type { NodeId } from '../common/core.js';
import { OutgoingSnapshot, type HeldSnapshot } from '../common/snapshot-transfer.js';
import type { PaxosMessage } from './messages.js';
import type { PaxosOptions } from './options.js';

type Chunk = Extract<PaxosMessage, { t: 'snapshot' }>;
type Ack = Extract<PaxosMessage, { t: 'snapshotAck' }>;

interface Transfer {
  out: OutgoingSnapshot;
  sentAt: number;
  answeredAt: number;
}

export class SnapshotPusher {
  private readonly transfers = new Map<NodeId, Transfer>();

  constructor(
    private readonly opts: Pick<PaxosOptions, 'snapshotChunkBytes' | 'retransmitMs' | 'electionTimeoutMaxMs'>,
    private readonly send: (to: NodeId, msg: Chunk) => void,
    private readonly counters: { snapshotsStarted: number; snapshotChunksSent: number },
  ) {}

  /** `peer` needs slots we forgot: send it `newest`, at most one chunk per retransmitMs until it answers. */
  push(peer: NodeId, newest: HeldSnapshot, now: number): void {
    let t = this.transfers.get(peer);
    // Nothing of an older image delivered yet: send the newest instead.
    if (t && t.out.acked === 0 && t.out.snapshot.index < newest.index) t = undefined;
    if (!t) {
      t = { out: new OutgoingSnapshot(newest, this.opts.snapshotChunkBytes), sentAt: -Infinity, answeredAt: now };
      this.transfers.set(peer, t);
      this.counters.snapshotsStarted++;
    }
    if (now - t.sentAt >= this.opts.retransmitMs) this.sendChunk(peer, t, now);
  }

  tick(now: number): void {
    for (const [peer, t] of this.transfers) {
      if (now - t.answeredAt > 10 * this.opts.electionTimeoutMaxMs) this.transfers.delete(peer);
      else if (now - t.sentAt >= this.opts.retransmitMs) this.sendChunk(peer, t, now);
    }
  }

  onAck(from: NodeId, m: Ack, now: number): void {
    const t = this.transfers.get(from);
    if (!t || m.slot !== t.out.snapshot.index) return;
    t.answeredAt = now;
    if (m.received >= t.out.total) this.transfers.delete(from);
    else if (t.out.onAnswer(m.received)) this.sendChunk(from, t, now);
  }

  private sendChunk(peer: NodeId, t: Transfer, now: number): void {
    t.sentAt = now;
    this.counters.snapshotChunksSent++;
    this.send(peer, { t: 'snapshot', slot: t.out.snapshot.index, ...t.out.chunk() });
  }
}
