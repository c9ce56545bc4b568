/**
 * Was the machine starved while a timing was measured? A process that waits for a CPU is
 * slow, not wrong, so a checker that judges a time (a write reaching every node within a
 * bound, replicas settling before the final reads) must not call a slow run on an
 * overloaded machine a violation. The harness samples the machine (harness/machine-watch.ts)
 * into the timeline below; this module, pure so that a verdict can be recomputed from
 * results.json, says whether a window of it was starved and why, in figures a reader can
 * check.
 *
 * The main signal is the scheduler's own account (Linux /proc/PID/schedstat): of the time
 * the nodes and the harness were ready to run, the share they spent waiting in the run
 * queue. At 0.5 every process ran at half the speed it asked for or less. The event-loop
 * delay of the harness (and of the nodes, when they report it) and CPU steal back it up;
 * runnable processes per core and the load average are shown, not judged (they count
 * every process on the machine, not the ones under test).
 */

/** One sampling interval, on the history's clock (monotonic ns, shared by the machine's processes). */
export interface LoadSample {
  from: number;
  to: number;
  /** Run-queue wait and CPU time of the harness and the local node processes in this interval (ns); null: not measurable (no /proc). */
  waitNs: number | null;
  execNs: number | null;
  /** The harness's event-loop delay in this interval (ms, p99 and max). */
  harnessLagP99Ms: number;
  harnessLagMaxMs: number;
  /** The highest event-loop delay p99 a node reported in GET /metrics (ms); null: no node reports it. */
  nodeLagP99Ms: number | null;
  /** Runnable processes per core (the kernel's procs_running), at the end of the interval. */
  runnablePerCore: number;
  /** Share of CPU time the hypervisor took (steal) in this interval; null: unknown. */
  stealShare: number | null;
  /** One-minute load average per core. */
  loadPerCore: number;
}

export interface StarvationEvidence {
  /** The window judged (ns, history clock). */
  from: number;
  to: number;
  /** Of the time the system under test was ready to run, the share it waited for a CPU; null: not measurable. */
  runQueueWaitShare: number | null;
  harnessLagP99Ms: number;
  harnessLagMaxMs: number;
  nodeLagP99Ms: number | null;
  runnablePerCore: number;
  stealShare: number | null;
  loadPerCore: number;
  /** The limits crossed, in words; empty: not starved. */
  reasons: string[];
}

/** The limits; crossing any one over a window makes it starved. */
export const STARVATION_LIMITS = {
  runQueueWaitShare: 0.5,
  harnessLagP99Ms: 200,
  nodeLagP99Ms: 200,
  stealShare: 0.2,
} as const;

/** The load over [from, to] (ns), aggregated over the samples that overlap it; null when none does. */
export function loadDuring(samples: readonly LoadSample[], from: number, to: number): StarvationEvidence | null {
  const inside = samples.filter((s) => s.to > from && s.from < to);
  if (inside.length === 0) return null;
  let wait = 0;
  let exec = 0;
  let measured = false;
  let steal = 0;
  let stealSamples = 0;
  let nodeLag: number | null = null;
  for (const s of inside) {
    if (s.waitNs !== null && s.execNs !== null) {
      wait += s.waitNs;
      exec += s.execNs;
      measured = true;
    }
    if (s.stealShare !== null) {
      steal += s.stealShare;
      stealSamples++;
    }
    if (s.nodeLagP99Ms !== null) nodeLag = Math.max(nodeLag ?? 0, s.nodeLagP99Ms);
  }
  const share = measured && wait + exec > 0 ? wait / (wait + exec) : null;
  const e: StarvationEvidence = {
    from, to,
    runQueueWaitShare: share === null ? null : round(share),
    harnessLagP99Ms: round(Math.max(...inside.map((s) => s.harnessLagP99Ms))),
    harnessLagMaxMs: round(Math.max(...inside.map((s) => s.harnessLagMaxMs))),
    nodeLagP99Ms: nodeLag === null ? null : round(nodeLag),
    runnablePerCore: round(mean(inside.map((s) => s.runnablePerCore))),
    stealShare: stealSamples > 0 ? round(steal / stealSamples) : null,
    loadPerCore: round(Math.max(...inside.map((s) => s.loadPerCore))),
    reasons: [],
  };
  const L = STARVATION_LIMITS;
  if (e.runQueueWaitShare !== null && e.runQueueWaitShare >= L.runQueueWaitShare) {
    e.reasons.push(`the nodes and the harness waited for a CPU ${pct(e.runQueueWaitShare)} of the time they were ready to run (limit ${pct(L.runQueueWaitShare)})`);
  }
  if (e.harnessLagP99Ms >= L.harnessLagP99Ms) e.reasons.push(`the harness's timers fired up to ${Math.round(e.harnessLagP99Ms)} ms late (p99; limit ${L.harnessLagP99Ms} ms)`);
  if (e.nodeLagP99Ms !== null && e.nodeLagP99Ms >= L.nodeLagP99Ms) e.reasons.push(`a node's event loop lagged ${Math.round(e.nodeLagP99Ms)} ms (p99; limit ${L.nodeLagP99Ms} ms)`);
  if (e.stealShare !== null && e.stealShare >= L.stealShare) e.reasons.push(`the hypervisor took ${pct(e.stealShare)} of the CPUs (steal; limit ${pct(L.stealShare)})`);
  return e;
}

/**
 * Whether a quiet stretch (nothing changed for `quietMs` of wall time) is long enough to
 * mean "stopped", not "slowed": `neededMs` of the CPU time the processes were granted. On a
 * machine that was not starved that is `neededMs` of wall time; on a starved one the wall
 * time stretches by what they waited (waiting 75% of their ready time, 4 times as long). It
 * stays unknown (false) when the wait was not measured, or when one stall of the harness or
 * of a node could have swallowed the whole window.
 */
export function quietEnough(quietMs: number, neededMs: number, starved: StarvationEvidence | null): { enough: boolean; grantedMs: number } {
  if (!starved) return { enough: quietMs >= neededMs, grantedMs: quietMs };
  const waited = starved.runQueueWaitShare;
  if (waited === null) return { enough: false, grantedMs: 0 };
  const grantedMs = quietMs * (1 - Math.max(waited, starved.stealShare ?? 0));
  const stalled = starved.harnessLagMaxMs >= neededMs || (starved.nodeLagP99Ms ?? 0) >= neededMs;
  return { enough: !stalled && grantedMs >= neededMs, grantedMs: round(grantedMs) };
}

/** The evidence if [from, to] was starved, else null. */
export function starvedDuring(samples: readonly LoadSample[] | undefined, from: number, to: number): StarvationEvidence | null {
  if (!samples) return null;
  const e = loadDuring(samples, from, to);
  return e && e.reasons.length > 0 ? e : null;
}

/** One sentence: why the window counts as starved, with the context figures. */
export function describeStarvation(e: StarvationEvidence): string {
  const context = `${e.runnablePerCore.toFixed(1)} runnable processes per core, load average ${e.loadPerCore.toFixed(1)} per core`;
  return `${e.reasons.join('; ')} (${context})`;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}
