/**
 * The bookkeeping of one ballot's run as proposer (Paxos Made Simple §2.2, §3): phase 1 for
 * every slot from the learner's chosen point on, then phase 2 per slot. It sends nothing
 * itself; the core does the messaging and this tracks what came back.
 *
 * Phase 1 goes in pages. Each acceptor reports at most a page of slots; when a report is cut
 * short, the proposer closes the page at the shortest report, learns what it can, and asks
 * again from the next slot with the same ballot. For every slot, the reports it folds in
 * come from a majority that had promised the ballot when they reported, which is all P2c
 * needs; the majorities of different pages may differ.
 */
import type { NodeId } from '../common/core.js';
import { compareBallots, sameValue, type Ballot, type ReportedSlot, type SlotValue } from './messages.js';

export interface PromisePage {
  from: number;
  upTo: number | null;
  entries: ReportedSlot[];
  /** The reporting acceptor forgot every slot up to this one: all chosen (acceptor.ts). */
  compacted?: number;
}

interface InflightSlot {
  /** What this ballot proposes here: one value per slot per ballot (§2.2), whatever our acceptor learns meanwhile. */
  value: SlotValue;
  acceptedBy: Set<NodeId>;
  /** When we last sent it again to each peer that lost it. */
  resentAt: Map<NodeId, number> | null;
}

export class Proposer {
  phase: 'prepare' | 'accept' = 'prepare';
  /** The first slot phase 1 covers: every slot below it was chosen when the run began. */
  readonly firstSlot: number;
  /** The page phase 1 is collecting promises for. */
  pageFrom: number;
  /**
   * Our own acceptor promises last, once the peers' promises would make a majority with it:
   * a node that cannot reach a majority never raises its own promise, so when a partition
   * heals it still accepts the live leader's ballot instead of deposing it.
   */
  selfPromised = false;
  /** Asking peers whether they would promise, before any prepare (leader mode's probe). */
  probing = false;
  readonly probeGrants = new Set<NodeId>();
  /** Highest slot any promise reported: phase 2 starts by deciding every slot up to it. */
  maxSlot: number;
  /**
   * Every slot up to here is chosen: an acceptor of the majority forgot them into a
   * snapshot. Phase 2 never proposes in them; their values come with that snapshot.
   */
  compacted = 0;
  /** The next slot this run will propose a fresh value in. */
  nextSlot = 0;
  /** Proposals made in this ballot so far (part of each proposal's id). */
  proposals = 0;
  private readonly promises = new Map<NodeId, PromisePage>();
  /** Per slot, the value of the highest ballot any promise reported (P2c), not known chosen. */
  private readonly recovered = new Map<number, [Ballot, SlotValue]>();
  private readonly inflight = new Map<number, InflightSlot>();

  constructor(
    readonly ballot: Ballot,
    firstSlot: number,
    private readonly quorum: number,
  ) {
    this.firstSlot = firstSlot;
    this.pageFrom = firstSlot;
    this.maxSlot = firstSlot - 1;
  }

  get promiseCount(): number {
    return this.promises.size;
  }

  hasPromiseFrom(node: NodeId): boolean {
    return this.promises.has(node);
  }

  /** Record a promise for the current page; promises for another page are stale. */
  addPromise(node: NodeId, page: PromisePage): void {
    if (this.phase === 'prepare' && page.from === this.pageFrom) this.promises.set(node, page);
  }

  /**
   * Fold a majority's promises for the current page in. Returns the chosen values they
   * reported (for the learner) and where the next page starts, or null when phase 1 is done.
   */
  closePage(isChosen: (slot: number) => boolean): { chosen: Map<number, SlotValue>; next: number | null } {
    let pageEnd = Infinity;
    for (const page of this.promises.values()) {
      if (page.upTo !== null && page.upTo < pageEnd) pageEnd = page.upTo;
      if (page.compacted !== undefined && page.compacted > this.compacted) this.compacted = page.compacted;
    }
    if (this.compacted > this.maxSlot) this.maxSlot = this.compacted;
    const chosen = new Map<number, SlotValue>();
    for (const page of this.promises.values()) {
      for (const [slot, ballot, value] of page.entries) {
        if (slot > pageEnd || slot <= this.compacted) continue;
        if (slot > this.maxSlot) this.maxSlot = slot;
        if (ballot === null) {
          chosen.set(slot, value);
          this.recovered.delete(slot);
        } else if (!chosen.has(slot) && !isChosen(slot)) {
          const seen = this.recovered.get(slot);
          if (!seen || compareBallots(ballot, seen[0]) > 0) this.recovered.set(slot, [ballot, value]);
        }
      }
    }
    this.promises.clear();
    if (pageEnd !== Infinity) {
      this.pageFrom = pageEnd + 1;
      return { chosen, next: this.pageFrom };
    }
    this.phase = 'accept';
    return { chosen, next: null };
  }

  /**
   * What phase 2 must propose first, for every slot from firstSlot to maxSlot not known
   * chosen: the value of the highest ballot reported there, or a no-op where no acceptor of
   * the majority had accepted anything, so no value can have been chosen (§3's gap filling).
   */
  recovery(isChosen: (slot: number) => boolean): { slot: number; value: SlotValue }[] {
    const out: { slot: number; value: SlotValue }[] = [];
    for (let s = Math.max(this.firstSlot, this.compacted + 1); s <= this.maxSlot; s++) {
      if (!isChosen(s)) out.push({ slot: s, value: this.recovered.get(s)?.[1] ?? null });
    }
    this.recovered.clear();
    return out;
  }

  /** A slot proposed in this ballot, already accepted by `self`. True when that alone is a majority. */
  track(slot: number, value: SlotValue, self: NodeId): boolean {
    this.inflight.set(slot, { value, acceptedBy: new Set([self]), resentAt: null });
    return this.accepted(slot, self);
  }

  /** Whether this ballot proposed in a slot up to `slot` that it has not yet counted chosen. */
  proposedUpTo(slot: number): boolean {
    for (const s of this.inflight.keys()) if (s <= slot) return true;
    return false;
  }

  /** What this ballot proposed in `slot`, while it is not yet chosen here. */
  proposed(slot: number): SlotValue | undefined {
    return this.inflight.get(slot)?.value;
  }

  /**
   * Whether a slot this ballot proposed in is known chosen with another value. By P2c a value
   * chosen at a lower ballot is the one this ballot proposes, so the other value was chosen at
   * a higher ballot: this one is overruled.
   */
  overruled(isChosen: (slot: number) => boolean, chosenValue: (slot: number) => SlotValue): boolean {
    for (const [slot, entry] of this.inflight) if (isChosen(slot) && !sameValue(chosenValue(slot), entry.value)) return true;
    return false;
  }

  /** An acceptor accepted `slot` in this ballot. True exactly once: when the slot reaches a majority. */
  accepted(slot: number, node: NodeId): boolean {
    const entry = this.inflight.get(slot);
    if (!entry) return false;
    entry.acceptedBy.add(node);
    if (entry.acceptedBy.size < this.quorum) return false;
    this.inflight.delete(slot);
    return true;
  }

  /** Slots proposed in this ballot and not yet chosen. */
  get unchosen(): number {
    return this.inflight.size;
  }

  /**
   * Slots below `before` that `node` has not accepted although it answered a message we sent
   * after them: a link delivers in order, so they were lost (a broken link or a full buffer
   * drops messages). Evidence, not a timer, so a slow peer is not flooded with copies. Each
   * slot goes again to a node at most once per `minGapMs` (its answer may be lost too).
   */
  lostBy(node: NodeId, before: number, now: number, minGapMs: number): number[] {
    const out: number[] = [];
    for (const [slot, entry] of this.inflight) {
      if (slot >= before || entry.acceptedBy.has(node)) continue;
      const last = entry.resentAt?.get(node);
      if (last !== undefined && now - last < minGapMs) continue;
      (entry.resentAt ??= new Map()).set(node, now);
      out.push(slot);
    }
    return out.sort((a, b) => a - b);
  }

}
