/**
 * Hybrid logical clock (Kulkarni, Demirbas et al., "Logical Physical Clocks", OPODIS 2014,
 * Figure 5). A timestamp is (l, c): l the largest physical time heard of, c a counter that
 * orders events within the same l. It never runs backwards, respects causality (a write
 * made after seeing a version gets a larger timestamp), and stays close to physical time,
 * so last-writer-wins picks "the later write" whenever physical clocks could tell.
 *
 * The physical part comes from the core's tick `now` (CLOCK_MONOTONIC milliseconds, shared
 * by every process on one machine), never from a clock read inside the core.
 */

export type Timestamp = readonly [l: number, c: number];

/**
 * c is packed below l in one number for the trace (`version`), so it must stay under 2^16.
 * Reaching it would take 65,536 causally chained events within one millisecond; if it ever
 * happens, l moves one millisecond ahead of physical time rather than overflow, which keeps
 * the clock monotonic at the price of the paper's drift bound by 1 ms.
 */
export const MAX_LOGICAL = 0xffff;

export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}

/** One number for the trace: exact while l < 2^37 ms (4.3 years of uptime). */
export function packTimestamp(t: Timestamp): number {
  return t[0] * (MAX_LOGICAL + 1) + t[1];
}

export class HybridClock {
  private l: number;
  private c: number;

  constructor(start: Timestamp = [0, 0]) {
    this.l = start[0];
    this.c = start[1];
  }

  get current(): Timestamp {
    return [this.l, this.c];
  }

  /** A local or send event at physical time `pt` (Figure 5, "send or local event"). */
  now(pt: number): Timestamp {
    const physical = Math.floor(pt);
    if (physical > this.l) {
      this.l = physical;
      this.c = 0;
    } else {
      this.bump();
    }
    return [this.l, this.c];
  }

  /** A receive event of remote timestamp `m` at physical time `pt` (Figure 5, "receive event of message m"). */
  observe(m: Timestamp, pt: number): Timestamp {
    const physical = Math.floor(pt);
    const l = Math.max(this.l, m[0], physical);
    let c: number;
    if (l === this.l && l === m[0]) c = Math.max(this.c, m[1]) + 1;
    else if (l === this.l) c = this.c + 1;
    else if (l === m[0]) c = m[1] + 1;
    else c = 0;
    this.l = l;
    this.c = c;
    if (this.c > MAX_LOGICAL) {
      this.l += 1;
      this.c = 0;
    }
    return [this.l, this.c];
  }

  /** Recovery: never issue a timestamp at or below one issued or seen before a restart. */
  restore(t: Timestamp): void {
    if (compareTimestamps(t, [this.l, this.c]) > 0) [this.l, this.c] = [t[0], t[1]];
  }

  private bump(): void {
    this.c++;
    if (this.c > MAX_LOGICAL) {
      this.l += 1;
      this.c = 0;
    }
  }
}
