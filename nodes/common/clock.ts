/**
 * The one clock. `process.hrtime` reads CLOCK_MONOTONIC, which on Linux is shared by every
 * process on the machine, so a node's "applied at" and a client's "acknowledged at" can be
 * subtracted directly: convergence is measured, not sampled.
 */
export function monoNs(): bigint {
  return process.hrtime.bigint();
}

/** Monotonic milliseconds (fractional), for timers and deadlines inside one process. */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Bounds of a clock fault, for the node's POST /clock and the scenario's `clock` faults. */
export const CLOCK_RATE = { min: 0.01, max: 100 } as const;
export const CLOCK_JUMP_MAX_MS = 3_600_000;

/**
 * A node's own clock for its protocol timers: the machine's monotonic clock, unless a clock
 * fault (`POST /clock`, docs/nodes.md) makes it run at another rate or jump forward, as
 * Jepsen's clock nemesis does with libfaketime. It never runs back: rates are positive and
 * jumps only forward. Traces and histories keep the machine clock (monoNs), which checkers
 * and clients share; only what the core believes about elapsed time is skewed.
 */
export class NodeClock {
  private rate = 1;
  private realBase: number;
  private base: number;
  /** When (machine ms) a fault set for a while ends; null when none is pending. */
  private restoreAt: number | null = null;

  constructor(private readonly real: () => number = monoMs) {
    this.realBase = real();
    this.base = this.realBase;
  }

  nowMs(): number {
    const real = this.real();
    if (this.restoreAt !== null && real >= this.restoreAt) {
      // Rebase at the moment the fault ended, not at this reading, so no time is skewed twice.
      this.base += (this.restoreAt - this.realBase) * this.rate;
      this.realBase = this.restoreAt;
      this.rate = 1;
      this.restoreAt = null;
    }
    return this.base + (real - this.realBase) * this.rate;
  }

  /**
   * From now on run `rate` times as fast, after jumping `jumpMs` forward; with `forMs`, only
   * for that much machine time, then at the machine's rate again (the jump stays): the fault
   * ends on time even when whoever set it cannot reach the node to end it (paused, cut off).
   * The end is checked on every reading, so no timer is needed. A new fault replaces one
   * still in force.
   */
  skew(rate: number, jumpMs: number, forMs?: number): void {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`clock rate must be a positive number, got ${rate}`);
    if (!(jumpMs >= 0) || !Number.isFinite(jumpMs)) throw new RangeError(`clock jump must be zero or more ms, got ${jumpMs}`);
    const now = this.nowMs(); // settles an earlier fault's end first, if it has passed
    this.realBase = this.real();
    this.base = now + jumpMs;
    this.rate = rate;
    this.restoreAt = forMs === undefined ? null : this.realBase + forMs;
  }

  /** The rate, and how far ahead of the machine's monotonic clock this clock is (ms). */
  state(): { rate: number; offsetMs: number } {
    const now = this.nowMs();
    return { rate: this.rate, offsetMs: now - this.real() };
  }
}
