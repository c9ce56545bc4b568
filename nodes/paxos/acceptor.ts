/**
 * The acceptor and learner of Paxos Made Simple (§2.2, §2.3) for every slot of the
 * Multi-Paxos log, and the durable state they must not forget.
 *
 * The acceptor keeps one promise for all slots (Multi-Paxos: a prepare covers every slot
 * from a point on) and, per slot, the last value it accepted with its ballot. Promises and
 * accepted values are written to the log through `persist`; the runtime fsyncs a Ready's
 * records before its messages leave (core.ts), so an acceptor never answers with state a
 * crash could take back.
 *
 * The learner marks slots chosen and advances `chosenUpTo`, the highest slot below which
 * every slot is chosen (the commit index). It learns a slot three ways: a value it accepted
 * at ballot b when b's proposer says the slot is chosen (that proposer proposed one value
 * per slot in b, and stops once it learns a higher ballot chose another value in one of
 * them, core.ts; so it is this one), a chosen value sent to it outright (decide, or a
 * promise that reports it chosen), or as the proposer that counted a majority of accepts.
 * The chosen prefix is logged as `c`, riding on the last record of a Ready, so a restarted
 * node rebuilds its state machine up to it without asking anyone, and is told the rest again.
 *
 * Compaction: once a snapshot of the state machine covers the chosen prefix up to a slot,
 * the slots up to the *previous* snapshot are forgotten (`base`): they are chosen, and their
 * values are in a snapshot. Forgetting them is safe because nothing can change a chosen slot
 * (P2c), so no ballot's phase 1 needs this acceptor's report of it: a promise says instead
 * that everything up to `base` is chosen (`compacted`), a proposer treats those slots as
 * decided and never proposes in them, and whoever needs their values gets a snapshot
 * (core.ts). An accept for a forgotten slot is never counted: this acceptor cannot tell
 * whether it holds the chosen value.
 */
import { NO_BALLOT, compareBallots, opsIn, sameBallot, sameValue, type Ballot, type PaxosRecord, type ReportedSlot, type SlotValue } from './messages.js';

export interface Slot {
  /** The ballot the value was accepted at; null if it was only ever learned as chosen. */
  ballot: Ballot | null;
  value: SlotValue;
  chosen: boolean;
}

export class Acceptor {
  promised: Ballot = NO_BALLOT;
  /** Every slot up to `base` is chosen and forgotten (a snapshot holds its value). */
  base = 0;
  /** slots[0] stands for `base`, so slot s is slots[s - base]. */
  private slots: (Slot | undefined)[] = [undefined];
  chosenUpTo = 0;
  private loggedChosenUpTo = 0;
  /** The highest chosen point announced by the ballot we last heard from: learn later accepts at it too. */
  private announced: { ballot: Ballot; upTo: number } = { ballot: NO_BALLOT, upTo: 0 };

  /** The last record written in the current Ready, which the chosen point may ride on. */
  private lastRecord: PaxosRecord | null = null;

  /** `snapshotSlot`: the slot the node's newest snapshot ends at (0: none). */
  constructor(
    recovered: readonly unknown[],
    private readonly write: (record: PaxosRecord) => void,
    snapshotSlot = 0,
  ) {
    for (const record of recovered as PaxosRecord[]) {
      if ('p' in record) this.raise(record.p);
      else if ('b' in record) this.forget(record.b);
      else if ('a' in record) {
        this.raise(record.a);
        record.v.forEach((value, i) => this.put(record.s + i, record.a, value, false));
      } else if ('d' in record) record.v.forEach((value, i) => this.put(record.d + i, null, value, true));
      if (record.c !== undefined && record.c > this.loggedChosenUpTo) this.loggedChosenUpTo = record.c;
    }
    if (snapshotSlot < this.base) throw new Error(`paxos: the log starts after slot ${this.base} but the newest intact snapshot ends at ${snapshotSlot}; refusing to start on a damaged data directory`);
    // The snapshot covers its slots (the log may still hold some of them: a crash between
    // writing it and compacting the log; or the log of an install that did not finish).
    this.forget(snapshotSlot);
    this.chosenUpTo = Math.max(this.chosenUpTo, this.base);
    // Slots under a logged chosen point were chosen when it was logged; a missing one would
    // be a lost record, and stopping there only costs a re-learn.
    for (let s = this.base + 1; s <= this.loggedChosenUpTo; s++) {
      const slot = this.slot(s);
      if (!slot) break;
      slot.chosen = true;
    }
    this.advance();
    this.loggedChosenUpTo = this.chosenUpTo;
  }

  get lastSlot(): number {
    return this.base + this.slots.length - 1;
  }

  /** What this acceptor holds for slot `s` (nothing for a forgotten one). */
  slot(s: number): Slot | undefined {
    return s > this.base ? this.slots[s - this.base] : undefined;
  }

  isChosen(s: number): boolean {
    return s <= this.base || this.slot(s)?.chosen === true;
  }

  /** The chosen value of slot `s`; only meaningful when isChosen(s) and s > base. */
  value(s: number): SlotValue {
    if (s <= this.base) throw new Error(`paxos invariant: the value of forgotten slot ${s} asked (base ${this.base})`);
    return this.slot(s)?.value ?? null;
  }

  /**
   * A snapshot covers every slot up to `upTo`: forget them (all chosen). Used for our own
   * snapshots (up to the previous one), an installed one, and at recovery.
   */
  forget(upTo: number): void {
    if (upTo <= this.base) return;
    this.slots = upTo >= this.lastSlot ? [undefined] : [undefined, ...this.slots.slice(upTo - this.base + 1)];
    this.base = upTo;
    if (this.chosenUpTo < upTo) this.chosenUpTo = upTo;
    if (this.announced.upTo < upTo) this.announced.upTo = upTo;
    this.advance();
  }

  /** The records that rebuild this acceptor from its base: promise, base, then its slots in runs. */
  records(): PaxosRecord[] {
    const out: PaxosRecord[] = [{ p: this.promised }, { b: this.base }];
    let run: { chosen: boolean; ballot: Ballot | null; from: number; values: SlotValue[] } | null = null;
    const flush = () => {
      if (!run) return;
      out.push(run.chosen ? { d: run.from, v: run.values } : { a: run.ballot!, s: run.from, v: run.values });
      run = null;
    };
    for (let s = this.base + 1; s <= this.lastSlot; s++) {
      const slot = this.slot(s);
      if (!slot || (!slot.chosen && slot.ballot === null)) {
        flush();
        continue;
      }
      const r = run as { chosen: boolean; ballot: Ballot | null; from: number; values: SlotValue[] } | null;
      if (r && r.chosen === slot.chosen && (slot.chosen || sameBallot(r.ballot, slot.ballot)) && r.from + r.values.length === s) r.values.push(slot.value);
      else {
        flush();
        run = { chosen: slot.chosen, ballot: slot.ballot, from: s, values: [slot.value] };
      }
    }
    flush();
    out[out.length - 1]!.c = this.chosenUpTo;
    this.loggedChosenUpTo = this.chosenUpTo;
    return out;
  }

  private raise(b: Ballot): void {
    if (compareBallots(b, this.promised) > 0) this.promised = b;
  }

  private put(s: number, ballot: Ballot | null, value: SlotValue, chosen: boolean): void {
    if (s <= this.base) return; // forgotten: chosen, and its value is in a snapshot
    while (this.lastSlot < s) this.slots.push(undefined);
    const old = this.slots[s - this.base];
    // A chosen slot keeps its value: by P2c every later ballot proposes that same value.
    if (old?.chosen) return;
    this.slots[s - this.base] = { ballot: ballot ?? old?.ballot ?? null, value, chosen };
  }

  /** Phase 1b: promise to accept nothing below `b`. False when already promised higher. */
  promise(b: Ballot): boolean {
    const c = compareBallots(b, this.promised);
    if (c < 0) return false;
    if (c > 0) {
      this.promised = b;
      this.persist({ p: b });
    }
    return true;
  }

  /**
   * What a promise reports: every slot from `from` that holds a value, chosen ones as such.
   * At most `maxSlots` slots and about `maxOps` operations a page, so a far-behind proposer is
   * answered in pages rather than with one message the transport would refuse.
   */
  report(from: number, maxSlots: number, maxOps: number): { entries: ReportedSlot[]; upTo: number | null; compacted?: number } {
    const entries: ReportedSlot[] = [];
    const start = Math.max(1, from, this.base + 1);
    let s = start;
    let ops = 0;
    for (; s <= this.lastSlot && s - start < maxSlots && ops < maxOps; s++) {
      const slot = this.slot(s);
      if (!slot) continue;
      entries.push([s, slot.chosen ? null : slot.ballot, slot.value]);
      ops += opsIn(slot.value);
    }
    const end = s - 1;
    const page = { entries, upTo: end < this.lastSlot ? end : null };
    return from <= this.base ? { ...page, compacted: this.base } : page;
  }

  /**
   * Phase 2b: accept `values` for slots from `from` at `b`, unless promised higher (null).
   * Returns how many leading slots we now hold with the proposed value, which is what a
   * proposer may count: a slot we know chosen with another value stops the count, since that
   * proposer's ballot is stale there (a higher one chose), and must not gain a vote from us.
   */
  accept(b: Ballot, from: number, values: readonly SlotValue[]): number | null {
    const c = compareBallots(b, this.promised);
    if (c < 0) return null;
    let held = values.length;
    let runStart = -1;
    const run: SlotValue[] = [];
    const flushRun = () => {
      if (run.length > 0) this.persist({ a: b, s: runStart, v: run.splice(0) });
    };
    const learnNow = sameBallot(b, this.announced.ballot);
    for (let i = 0; i < values.length; i++) {
      const s = from + i;
      if (s <= this.base) {
        // Forgotten: chosen, with a value we no longer hold, so this vote cannot be counted.
        if (held === values.length) held = i;
        continue;
      }
      const old = this.slot(s);
      if (old?.chosen || (old && sameBallot(old.ballot, b))) {
        // Decided here already, or a retransmission: nothing new to log.
        if (old.chosen && !sameValue(old.value, values[i]!) && held === values.length) held = i;
        flushRun();
        continue;
      }
      this.put(s, b, values[i]!, learnNow && s <= this.announced.upTo);
      if (run.length === 0) runStart = s;
      run.push(values[i]!);
    }
    flushRun();
    if (c > 0) {
      this.promised = b;
      this.persist({ p: b });
    }
    this.advance();
    return held;
  }

  /**
   * Learn from `b`'s piggybacked chosen point: every slot up to `upTo` is chosen, and where we
   * accepted at `b`, the value we hold is the one chosen.
   */
  learnAt(b: Ballot, upTo: number): void {
    if (!sameBallot(b, this.announced.ballot)) this.announced = { ballot: b, upTo: this.chosenUpTo };
    const end = Math.min(upTo, this.lastSlot);
    for (let s = Math.max(this.announced.upTo, this.chosenUpTo) + 1; s <= end; s++) {
      const slot = this.slot(s);
      if (slot && !slot.chosen && sameBallot(slot.ballot, b)) slot.chosen = true;
    }
    if (upTo > this.announced.upTo) this.announced.upTo = upTo;
    this.advance();
  }

  /** Values known chosen for slots from `from` on; logged unless we already hold them. */
  learn(from: number, values: readonly SlotValue[]): void {
    let runStart = -1;
    const run: SlotValue[] = [];
    const flushRun = () => {
      if (run.length > 0) this.persist({ d: runStart, v: run.splice(0) });
    };
    for (let i = 0; i < values.length; i++) {
      const s = from + i;
      const slot = this.slot(s);
      if (s <= this.base || slot?.chosen) {
        flushRun();
        continue;
      }
      if (slot && sameValue(slot.value, values[i]!)) {
        slot.chosen = true;
        flushRun();
        continue;
      }
      this.put(s, null, values[i]!, true);
      if (run.length === 0) runStart = s;
      run.push(values[i]!);
    }
    flushRun();
    this.advance();
  }

  /** Learn scattered chosen slots (from promises), grouped into consecutive runs. */
  learnSlots(chosen: Map<number, SlotValue>): void {
    const slots = [...chosen.keys()].sort((a, b) => a - b);
    for (let i = 0; i < slots.length; ) {
      let j = i;
      while (j + 1 < slots.length && slots[j + 1] === slots[j]! + 1) j++;
      this.learn(slots[i]!, slots.slice(i, j + 1).map((s) => chosen.get(s)!));
      i = j + 1;
    }
  }

  /** The proposer counted a majority of accepts at its ballot for `s`. */
  markChosen(s: number): void {
    if (s <= this.base) return;
    const slot = this.slot(s);
    if (!slot) throw new Error(`paxos invariant: slot ${s} chosen by our ballot but we hold no value for it`);
    slot.chosen = true;
    this.advance();
  }

  private advance(): void {
    while (this.slot(this.chosenUpTo + 1)?.chosen) this.chosenUpTo++;
  }

  private persist(record: PaxosRecord): void {
    this.lastRecord = record;
    this.write(record);
  }

  /**
   * The end of a Ready: if it writes records anyway, the last one carries the chosen prefix
   * (when it moved). It never gets a record, hence an fsync, of its own: it is a restart
   * shortcut, and an fsync between a chosen slot and the reply would only add latency.
   */
  endReady(): void {
    if (this.lastRecord !== null && this.chosenUpTo > this.loggedChosenUpTo) {
      this.loggedChosenUpTo = this.chosenUpTo;
      this.lastRecord.c = this.chosenUpTo;
    }
    this.lastRecord = null;
  }
}
