/**
 * Sending a snapshot image to a peer that is behind the sender's compacted log (Raft §7's
 * InstallSnapshot; Multi-Paxos catching up a learner the same way), shared by the
 * leader-based cores.
 *
 *   - Chunked: the image travels in chunks of `snapshotChunkBytes` characters, so no frame
 *     comes near the codec's size limit, whatever the state's size.
 *   - Stop and wait: one chunk in flight per peer. The receiver answers every chunk with how
 *     much of the image it holds; the sender sends the chunk from there. A lost chunk or
 *     answer is sent again on the sender's next heartbeat, from what the receiver last said
 *     it holds, so a transfer resumes where it stopped rather than from the start.
 *   - Bounded memory: the sender keeps a reference to one image (its newest snapshot when
 *     the transfer began, shared by every peer it sends it to, and unchanged by snapshots
 *     it takes meanwhile, so a transfer always finishes); the receiver assembles at most one
 *     image. A receiver that restarts mid-transfer holds nothing, says so, and the sender
 *     starts over.
 */
/** A snapshot the sender holds: the log position it ends at and its image. */
export interface HeldSnapshot {
  /** Last index (Raft) or slot (Paxos) the image covers. */
  index: number;
  /** Raft: the term of that entry; Paxos: 0. */
  term: number;
  image: string;
}

export interface Chunk {
  offset: number;
  data: string;
  total: number;
}

/** The sender's side of one transfer to one peer. */
export class OutgoingSnapshot {
  /** How much of the image the receiver said it holds. */
  acked = 0;

  constructor(
    readonly snapshot: HeldSnapshot,
    private readonly chunkChars: number,
  ) {}

  get total(): number {
    return this.snapshot.image.length;
  }

  /** The chunk the receiver needs next (the last one again once it holds them all: its answer was lost). */
  chunk(): Chunk {
    const offset = this.acked < this.total ? this.acked : Math.max(0, this.total - this.chunkChars);
    return { offset, data: this.snapshot.image.slice(offset, offset + this.chunkChars), total: this.total };
  }

  /**
   * The receiver holds `received` characters. True when that differs from what it said
   * before: send the next chunk now (it moved on, or it lost what it had and starts over).
   * An answer that repeats the last one is a duplicate, sent for a chunk sent twice.
   */
  onAnswer(received: number): boolean {
    if (received === this.acked) return false;
    this.acked = Math.min(received, this.total);
    return true;
  }
}

/**
 * The receiver's side: at most one image being assembled. Two senders may push images at
 * once (Multi-Paxos: a leader and an acceptor; Raft: an old leader and a new one): the one
 * under way is kept unless the other is newer (`rank`, compared in order) or the one under
 * way has been silent for `staleMs`. The other sender hears "0 held" and waits for its
 * retransmission timer, so the two never drive each other back and forth.
 */
export class IncomingSnapshot {
  private key: string | null = null;
  private rank: readonly number[] = [];
  private parts: string[] = [];
  private received = 0;
  private lastAt = -Infinity;

  constructor(private readonly staleMs: number) {}

  /**
   * Take a chunk of the image named `key` (who sent it and where it ends), ranked `rank`.
   * Returns how much of it is now held, and the whole image once it is complete.
   */
  take(key: string, rank: readonly number[], chunk: Chunk, now: number): { received: number; image: string | null } {
    if (key !== this.key) {
      const replace = this.key === null || compareRanks(rank, this.rank) > 0 || now - this.lastAt >= this.staleMs;
      if (chunk.offset !== 0 || !replace) return { received: 0, image: null };
      this.key = key;
      this.rank = rank;
      this.parts = [];
      this.received = 0;
    }
    this.lastAt = now;
    if (chunk.offset === this.received && chunk.data.length > 0) {
      this.parts.push(chunk.data);
      this.received += chunk.data.length;
    }
    if (this.received < chunk.total) return { received: this.received, image: null };
    const image = this.parts.join('');
    this.reset();
    return { received: chunk.total, image };
  }

  reset(): void {
    this.key = null;
    this.rank = [];
    this.parts = [];
    this.received = 0;
  }
}

function compareRanks(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? -Infinity) - (b[i] ?? -Infinity);
    if (d !== 0) return d;
  }
  return 0;
}
