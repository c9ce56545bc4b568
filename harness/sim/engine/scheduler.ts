/**
 * The simulator's one clock and event queue. Simulated time is a number of milliseconds;
 * events run in (time, insertion) order, so two runs that schedule the same events in the
 * same order run them identically: with one seeded PRNG driving every choice, a seed is a
 * complete, bit-for-bit reproducible run.
 *
 * Everything runs in one synchronous loop: no Promise, no real timer, no I/O.
 */
export interface SimEvent {
  t: number;
  seq: number;
  fn: (() => void) | null;
}

export class Scheduler {
  now = 0;
  /** Events run so far (a measure of the work a seed did). */
  processed = 0;
  private readonly heap: SimEvent[] = [];
  private seq = 0;
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

  get pending(): number {
    return this.heap.length;
  }

  /** Run every event due up to `until` (inclusive), or until `stop()` says so; the clock ends at `until`. */
  runUntil(until: number, stop?: () => boolean): void {
    const heap = this.heap;
    while (heap.length > 0 && heap[0]!.t <= until) {
      const ev = this.pop()!;
      this.now = ev.t;
      const fn = ev.fn;
      if (fn === null) continue;
      ev.fn = null;
      this.processed++;
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

  private less(a: SimEvent, b: SimEvent): boolean {
    return a.t < b.t || (a.t === b.t && a.seq < b.seq);
  }

  private push(ev: SimEvent): void {
    const heap = this.heap;
    heap.push(ev);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(ev, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = ev;
  }

  private pop(): SimEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(heap[r]!, heap[l]!) ? r : l;
      if (!this.less(heap[c]!, last)) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
    return top;
  }
}
