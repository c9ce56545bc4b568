/**
 * The simulator's one clock and event queue. Simulated time is a number of milliseconds;
 * events run in (time, insertion) order, so two runs that schedule the same events in the
 * same order run them identically: with one seeded PRNG driving every choice, a seed is a
 * complete, bit-for-bit reproducible run.
 *
 * Everything runs in one synchronous loop: no Promise, no real timer, no I/O.
 *
 * The queue is a binary heap of runs: a run holds events of one time in insertion order,
 * and an event joins the newest run of its time. Nodes started together tick at the same
 * instants, so the 10,000 ticks of one instant cost one heap entry instead of 10,000 (each
 * O(log n) and a cache miss). Runs of equal time are ordered by their first event, and only
 * the newest run of a time grows, so every event of an older one came before it: the order
 * is still exactly (time, insertion).
 */
export interface SimEvent {
  t: number;
  seq: number;
  fn: (() => void) | null;
}

interface Run {
  t: number;
  /** The first event's insertion number: orders runs of equal time. */
  seq: number;
  events: SimEvent[];
  head: number;
}

export class Scheduler {
  now = 0;
  /** Events run so far (a measure of the work a seed did). */
  processed = 0;
  /**
   * No event runs past this many: a case stops when its events run away (a message storm
   * that makes no progress would otherwise keep one seed busy for minutes). Deterministic,
   * unlike a wall-clock limit, so the same case always stops at the same event.
   */
  budget = Infinity;
  /** Work done against the budget: one per event, plus what big events cost (network.ts charges bytes). */
  work = 0;
  /** When the budget ran out (simulated ms), or null. */
  exhaustedAt: number | null = null;

  /** Count extra work against the budget (a large message costs more than a tick). */
  charge(units: number): void {
    this.work += units;
  }
  private readonly heap: Run[] = [];
  private seq = 0;
  private queued = 0;
  /** The newest run of each time still queued. */
  private readonly newest = new Map<number, Run>();
  /** Work to run as soon as the current event returns, before any other event (a node's setImmediate). */
  private readonly soonQueue: (() => void)[] = [];

  at(t: number, fn: () => void): SimEvent {
    const ev: SimEvent = { t: t < this.now ? this.now : t, seq: this.seq++, fn };
    this.push(ev);
    return ev;
  }

  after(ms: number, fn: () => void): SimEvent {
    return this.at(this.now + ms, fn);
  }

  /** Run `fn` right after the current event, at the same simulated time, before any other event. */
  soon(fn: () => void): void {
    this.soonQueue.push(fn);
  }

  cancel(ev: SimEvent | null | undefined): void {
    if (ev) ev.fn = null;
  }

  /** Events queued (cancelled ones included until their time comes). */
  get pending(): number {
    return this.queued;
  }

  get exhausted(): boolean {
    return this.work >= this.budget;
  }

  /** Run every event due up to `until` (inclusive), or until `stop()` says so or the budget is spent; the clock ends at `until`. */
  runUntil(until: number, stop?: () => boolean): void {
    const heap = this.heap;
    while (heap.length > 0 && heap[0]!.t <= until) {
      if (this.work >= this.budget) {
        this.exhaustedAt ??= this.now;
        // Spent: time still passes (so every wait of the case ends) but nothing happens in it.
        if (until > this.now && Number.isFinite(until)) this.now = until;
        return;
      }
      const run = heap[0]!;
      const ev = run.events[run.head++]!;
      if (run.head === run.events.length) this.close(run);
      this.queued--;
      this.now = ev.t;
      const fn = ev.fn;
      if (fn === null) continue;
      ev.fn = null;
      this.processed++;
      this.work++;
      fn();
      if (this.soonQueue.length > 0) this.runSoon();
      if (stop && stop()) return;
    }
    if (until > this.now && Number.isFinite(until)) this.now = until;
  }

  private runSoon(): void {
    const q = this.soonQueue;
    for (let i = 0; i < q.length; i++) q[i]!();
    q.length = 0;
  }

  private push(ev: SimEvent): void {
    this.queued++;
    const open = this.newest.get(ev.t);
    if (open !== undefined) {
      open.events.push(ev);
      return;
    }
    const run: Run = { t: ev.t, seq: ev.seq, events: [ev], head: 0 };
    this.newest.set(ev.t, run);
    const heap = this.heap;
    heap.push(run);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(run, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = run;
  }

  /** The top run is spent: take it off the heap; nothing joins it any more. */
  private close(run: Run): void {
    if (this.newest.get(run.t) === run) this.newest.delete(run.t);
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0 || last === run) return;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && less(heap[r]!, heap[l]!) ? r : l;
      if (!less(heap[c]!, last)) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
  }
}

function less(a: Run, b: Run): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}
