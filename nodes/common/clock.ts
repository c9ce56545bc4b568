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
