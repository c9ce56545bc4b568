/**
 * Rumor mongering (Demers et al. 1987 §1.4, "complex epidemics"): a node that learns a new
 * version makes it a hot rumor and, every round, pushes all its hot rumors in one message
 * to `fanout` random live peers, until a stop rule makes it lose interest:
 *
 *   feedback  count a push whose receiver already knew the rumor (it answers with a
 *             rumorAck listing those); stop after k of them ("feedback, counter");
 *   blind     stop after k rounds of pushing, whatever the receivers knew ("blind, counter");
 *   coin      after each round, stop with probability 1/k ("blind, coin").
 *
 * A rumor can die before reaching everyone (the paper's residue: 3.7 % of sites for
 * feedback/counter k = 2 at fanout 1, Table 1); anti-entropy delivers it to the rest.
 * Rumors are per key: a newer version of a key replaces the older rumor, which nobody
 * needs any more.
 */
import type { NodeId } from '../common/core.js';
import type { Random } from '../common/random.js';
import type { RumorStopRule } from './options.js';
import type { Versioned } from './store.js';

/** A feedback entry: the receiver already covered this version of this key. */
export type KnownRumor = [key: string, origin: NodeId, seq: number];

interface HotRumor {
  version: Versioned;
  /** Feedback: pushes to peers that knew it. Blind: rounds pushed. */
  count: number;
  rounds: number;
}

/**
 * In feedback mode a rumor whose pushes are never answered (its peers are unreachable but
 * not yet declared dead) would stay hot forever; it is dropped after this many rounds per
 * unit of k, and anti-entropy delivers it once the peers are reachable again.
 */
const FEEDBACK_ROUNDS_PER_K = 10;

export class RumorMonger {
  /** Hot rumors by key, in the order they get their turn in a size-capped round. */
  private readonly hot = new Map<string, HotRumor>();
  retired = 0;

  constructor(
    private readonly rule: RumorStopRule,
    private readonly k: number,
    private readonly random: Random,
  ) {}

  get size(): number {
    return this.hot.size;
  }

  heat(version: Versioned): void {
    this.hot.delete(version[0]);
    this.hot.set(version[0], { version, count: 0, rounds: 0 });
  }

  /** The rumors of this round, at most `max`; those left out go first next round. */
  batch(max: number): Versioned[] {
    const out: Versioned[] = [];
    for (const r of this.hot.values()) {
      if (out.length === max) break;
      out.push(r.version);
    }
    return out;
  }

  /** The writes of `origin` in `batch` that have not been pushed yet (their first round). */
  fresh(batch: readonly Versioned[], origin: NodeId): Versioned[] {
    return batch.filter((v) => v[4] === origin && this.hot.get(v[0])?.rounds === 0);
  }

  /** The round's batch left for at least one peer: blind rules count here; everyone moves to the back of the line. */
  pushed(batch: readonly Versioned[]): void {
    for (const v of batch) {
      const r = this.hot.get(v[0]);
      if (!r || r.version !== v) continue;
      this.hot.delete(v[0]);
      r.rounds++;
      const stop =
        this.rule === 'blind'
          ? r.rounds >= this.k
          : this.rule === 'coin'
            ? this.random.chance(1 / this.k)
            : r.rounds >= FEEDBACK_ROUNDS_PER_K * this.k;
      if (stop) this.retired++;
      else this.hot.set(v[0], r);
    }
  }

  /** Feedback: a peer already knew these; each such push counts toward k. */
  feedback(known: readonly KnownRumor[]): void {
    if (this.rule !== 'feedback') return;
    for (const [key, origin, seq] of known) {
      const r = this.hot.get(key);
      if (!r || r.version[4] !== origin || r.version[5] !== seq) continue;
      if (++r.count >= this.k) {
        this.hot.delete(key);
        this.retired++;
      }
    }
  }
}
