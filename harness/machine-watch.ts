/**
 * Watches how starved the machine is while a scenario runs, so that slow is never judged
 * as wrong: every 500 ms it samples the scheduler's account of the harness and the local
 * node processes (/proc/PID/schedstat: time on a CPU and time waiting in the run queue),
 * the harness's own event-loop delay (perf_hooks.monitorEventLoopDelay), the nodes'
 * event-loop lag when GET /metrics reports it, runnable processes and CPU steal
 * (/proc/stat) and the load average. The timeline goes to the checkers and results.json;
 * workloads/checkers/starvation.ts judges windows of it.
 *
 * It is also the harness's patience: a wait with a fixed bound (a node answering /status,
 * a leader being elected, replicas settling) asks it, once the bound has passed, whether to
 * go on. It says yes, with the reason, while the machine is starved or the node waited for
 * is still working (using or waiting for a CPU), up to a hard cap; a node that sleeps and
 * does not answer is given up on at the bound as before. Every stretched wait is noted and
 * reported, so a run that needed it says so.
 */
import fs from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { monoNs } from '../nodes/common/clock.js';
import { describeStarvation, starvedDuring, type LoadSample } from '../workloads/checkers/starvation.js';
import type { Patience } from './cluster.js';

const SAMPLE_MS = 500;
const LAG_RESOLUTION_MS = 20;
/** A stretched wait gives up at this multiple of its bound. */
export const STRETCH_CAP = 8;
/** How far back "the machine is starved now" looks. */
const RECENT_MS = 3000;
/** A node that used or waited for this much CPU time since the last look is still working. */
const WORKING_NS = 5e6;
/** At most one note about stretched waits this often (all are recorded). */
const NOTE_EVERY_MS = 5000;
/** At most this many samples are kept (an hour at 500 ms); older ones are merged pairwise. */
const MAX_SAMPLES = 7200;

export interface StretchedWait {
  what: string;
  boundMs: number;
  waitedMs: number;
  reason: string;
}

interface SchedReading {
  execNs: number;
  waitNs: number;
}

export class MachineWatch implements Patience {
  readonly samples: LoadSample[] = [];
  readonly stretchedWaits: StretchedWait[] = [];
  private readonly lag: IntervalHistogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  private timer: NodeJS.Timeout | null = null;
  private last = Number(monoNs());
  private lastCpu: number[] | null = readCpuTimes();
  private readonly lastSched = new Map<number, SchedReading>();
  private nodeLag: number | null = null;
  private lastNoteAt = -Infinity;
  private readonly cores = Math.max(1, os.cpus().length);

  /** The processes under test besides the harness (the local nodes' pids); empty for remote nodes. */
  constructor(
    private readonly pids: () => number[],
    private readonly note: (line: string) => void = () => undefined,
  ) {}

  start(): void {
    this.lag.enable();
    this.last = Number(monoNs());
    this.readProcesses();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    this.lag.disable();
  }

  /** A node's event-loop lag p99 (ms) from its GET /metrics; the interval keeps the highest. */
  nodeLagMs(p99: number): void {
    if (Number.isFinite(p99) && p99 >= 0) this.nodeLag = Math.max(this.nodeLag ?? 0, p99);
  }

  /** Close the current interval: one LoadSample. */
  sample(): void {
    const now = Number(monoNs());
    const sched = this.readProcesses();
    const cpu = readCpuTimes();
    let stealShare: number | null = null;
    if (cpu && this.lastCpu) {
      const total = cpu.reduce((s, x) => s + x, 0) - this.lastCpu.reduce((s, x) => s + x, 0);
      if (total > 0 && cpu.length > 7) stealShare = (cpu[7]! - this.lastCpu[7]!) / total;
    }
    this.lastCpu = cpu;
    const p99 = this.lag.count > 0 ? Math.max(0, this.lag.percentile(99) / 1e6 - LAG_RESOLUTION_MS) : 0;
    const max = this.lag.count > 0 ? Math.max(0, this.lag.max / 1e6 - LAG_RESOLUTION_MS) : 0;
    this.lag.reset();
    this.samples.push({
      from: this.last, to: now,
      waitNs: sched?.waitNs ?? null, execNs: sched?.execNs ?? null,
      harnessLagP99Ms: round(p99), harnessLagMaxMs: round(max),
      nodeLagP99Ms: this.nodeLag,
      runnablePerCore: round(readRunnable() / this.cores),
      stealShare: stealShare === null ? null : round(stealShare),
      loadPerCore: round(os.loadavg()[0]! / this.cores),
    });
    this.nodeLag = null;
    this.last = now;
    if (this.samples.length > MAX_SAMPLES) this.merge();
  }

  /** Patience: whether a wait past its bound goes on, and why. */
  extend(w: { what: string; pid?: number; waitedMs: number; boundMs: number }): string | null {
    if (w.waitedMs >= STRETCH_CAP * w.boundMs) return null;
    const now = Number(monoNs());
    const starved = starvedDuring(this.samples, now - RECENT_MS * 1e6, now);
    if (starved) return `the machine is starved: ${describeStarvation(starved)}`;
    if (w.pid !== undefined) {
      const before = this.lastSched.get(w.pid);
      const after = readSched(w.pid);
      if (before && after && after.execNs + after.waitNs - before.execNs - before.waitNs >= WORKING_NS) {
        return `it is still working (${Math.round((after.execNs - before.execNs) / 1e6)} ms on a CPU and ${Math.round((after.waitNs - before.waitNs) / 1e6)} ms waiting for one since the last sample)`;
      }
    }
    return null;
  }

  stretched(what: string, boundMs: number, waitedMs: number, reason: string): void {
    this.stretchedWaits.push({ what, boundMs, waitedMs: Math.round(waitedMs), reason });
    // Fifty nodes starting on a starved machine stretch fifty waits: one line says it.
    const now = Date.now();
    if (now - this.lastNoteAt < NOTE_EVERY_MS) return;
    this.lastNoteAt = now;
    this.note(`waited ${(waitedMs / 1000).toFixed(1)} s for ${what}, past its ${(boundMs / 1000).toFixed(0)} s bound, because ${reason}`);
  }

  /** Run-queue wait and CPU time of the harness and the node processes since the last reading. */
  private readProcesses(): SchedReading | null {
    const pids = ['self' as const, ...this.pids()];
    let execNs = 0;
    let waitNs = 0;
    let any = false;
    const seen = new Set<number>();
    for (const pid of pids) {
      const now = readSched(pid);
      if (!now) continue;
      any = true;
      const key = pid === 'self' ? 0 : pid;
      seen.add(key);
      const before = this.lastSched.get(key);
      this.lastSched.set(key, now);
      if (!before || now.execNs < before.execNs) continue;
      execNs += now.execNs - before.execNs;
      waitNs += now.waitNs - before.waitNs;
    }
    for (const key of this.lastSched.keys()) if (!seen.has(key)) this.lastSched.delete(key);
    return any ? { execNs, waitNs } : null;
  }

  /** Halve the timeline's resolution: neighbours merge, sums add, peaks keep the larger. */
  private merge(): void {
    const merged: LoadSample[] = [];
    for (let i = 0; i < this.samples.length; i += 2) {
      const a = this.samples[i]!;
      const b = this.samples[i + 1];
      if (!b) {
        merged.push(a);
        continue;
      }
      const sum = (x: number | null, y: number | null) => (x === null || y === null ? null : x + y);
      const peak = (x: number | null, y: number | null) => (x === null ? y : y === null ? x : Math.max(x, y));
      merged.push({
        from: a.from, to: b.to, waitNs: sum(a.waitNs, b.waitNs), execNs: sum(a.execNs, b.execNs),
        harnessLagP99Ms: Math.max(a.harnessLagP99Ms, b.harnessLagP99Ms), harnessLagMaxMs: Math.max(a.harnessLagMaxMs, b.harnessLagMaxMs),
        nodeLagP99Ms: peak(a.nodeLagP99Ms, b.nodeLagP99Ms), runnablePerCore: (a.runnablePerCore + b.runnablePerCore) / 2,
        stealShare: a.stealShare === null || b.stealShare === null ? null : (a.stealShare + b.stealShare) / 2,
        loadPerCore: Math.max(a.loadPerCore, b.loadPerCore),
      });
    }
    this.samples.splice(0, this.samples.length, ...merged);
  }
}

/** /proc/PID/schedstat: ns on a CPU, ns waiting in a run queue, timeslices (Linux; null elsewhere). */
function readSched(pid: number | 'self'): SchedReading | null {
  try {
    const [exec, wait] = fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return Number.isFinite(exec) && Number.isFinite(wait) ? { execNs: exec!, waitNs: wait! } : null;
  } catch {
    return null;
  }
}

/** The machine's CPU time counters (jiffies: user nice system idle iowait irq softirq steal ...), or null. */
function readCpuTimes(): number[] | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    return line.trim().split(/\s+/).slice(1).map(Number);
  } catch {
    return null;
  }
}

function readRunnable(): number {
  try {
    return Number(/^procs_running (\d+)/m.exec(fs.readFileSync('/proc/stat', 'utf8'))?.[1] ?? 0);
  } catch {
    return os.loadavg()[0]!;
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
