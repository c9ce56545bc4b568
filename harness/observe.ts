/**
 * Watches the nodes during a run: CPU seconds and peak RSS per process (from /proc, so a
 * paused node is measured too), and the nodes' own message/byte/fsync counters (and
 * event-loop lag, when they report it, for the machine watch) from GET /metrics. A crashed
 * and restarted node is a new process whose counters start again from zero, so each
 * incarnation's last reading is banked before the next one counts.
 */
import type { Cluster } from './cluster.js';

interface Counters {
  msgsSent: number;
  bytesSent: number;
  fsyncs: number;
}

interface NodeWatch {
  pid: number | undefined;
  cpuBanked: number;
  cpuCurrent: number;
  peakRss: number;
  banked: Counters;
  current: Counters;
  /** Counter values when the measured window opened, to subtract. */
  windowBase: Counters;
}

const zero = (): Counters => ({ msgsSent: 0, bytesSent: 0, fsyncs: 0 });
const add = (a: Counters, b: Counters): Counters => ({ msgsSent: a.msgsSent + b.msgsSent, bytesSent: a.bytesSent + b.bytesSent, fsyncs: a.fsyncs + b.fsyncs });

export class NodeObserver {
  private readonly watches = new Map<string, NodeWatch>();
  private timer: NodeJS.Timeout | null = null;
  private sampling: Promise<void> = Promise.resolve();

  constructor(
    private readonly cluster: Cluster,
    private readonly machine: { nodeLagMs(p99: number): void } | null = null,
  ) {
    for (const id of cluster.ids) {
      this.watches.set(id, { pid: undefined, cpuBanked: 0, cpuCurrent: 0, peakRss: 0, banked: zero(), current: zero(), windowBase: zero() });
    }
  }

  start(intervalMs = 1000): void {
    this.timer = setInterval(() => {
      this.sampling = this.sample();
    }, intervalMs);
  }

  /** Take one reading of every node now. */
  async sample(): Promise<void> {
    await Promise.all(
      this.cluster.ids.map(async (id) => {
        const w = this.watches.get(id)!;
        const child = this.cluster.node(id).child;
        const pid = child?.pid;
        if (pid !== w.pid) {
          // A new incarnation: keep what the old one did.
          w.cpuBanked += w.cpuCurrent;
          w.cpuCurrent = 0;
          w.banked = add(w.banked, w.current);
          w.current = zero();
          w.pid = pid;
        }
        const usage = child?.resourceUsage();
        if (usage) {
          w.cpuCurrent = usage.cpuSeconds;
          w.peakRss = Math.max(w.peakRss, usage.peakRssBytes);
        }
        if (!this.cluster.isUp(id)) return;
        const m = await this.cluster.metrics(id, 800);
        const lag = reportedLagP99(m);
        if (lag !== null) this.machine?.nodeLagMs(lag);
        if (m && this.cluster.node(id).child?.pid === pid) {
          w.current = { msgsSent: Number(m.msgsSent ?? 0), bytesSent: Number(m.bytesSent ?? 0), fsyncs: Number(m.fsyncs ?? 0) };
          if (!child) {
            // Remote nodes: no /proc; use what the node says about itself.
            w.cpuCurrent = (Number(m.cpuUserMs ?? 0) + Number(m.cpuSystemMs ?? 0)) / 1000;
            w.peakRss = Math.max(w.peakRss, Number(m.rssBytes ?? 0));
          }
        }
      }),
    );
  }

  /** Start counting messages from now (the measured load begins). */
  async openWindow(): Promise<void> {
    await this.sample();
    for (const w of this.watches.values()) w.windowBase = add(w.banked, w.current);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sampling;
  }

  /** Per node: CPU, peak RSS, and what it sent since the window opened. */
  report(): Map<string, { cpuSeconds: number | null; peakRssBytes: number | null } & Counters> {
    const out = new Map<string, { cpuSeconds: number | null; peakRssBytes: number | null } & Counters>();
    for (const [id, w] of this.watches) {
      const total = add(w.banked, w.current);
      out.set(id, {
        cpuSeconds: w.cpuBanked + w.cpuCurrent > 0 ? Math.round((w.cpuBanked + w.cpuCurrent) * 100) / 100 : null,
        peakRssBytes: w.peakRss > 0 ? w.peakRss : null,
        msgsSent: Math.max(0, total.msgsSent - w.windowBase.msgsSent),
        bytesSent: Math.max(0, total.bytesSent - w.windowBase.bytesSent),
        fsyncs: Math.max(0, total.fsyncs - w.windowBase.fsyncs),
      });
    }
    return out;
  }
}

/**
 * A node's own event-loop delay, p99 in ms, if its GET /metrics reports one as
 * `eventLoopDelayMs: {p99}`; nodes that do not (older nodes, nodes in other languages) are
 * judged from outside only (run-queue wait from /proc).
 */
export function reportedLagP99(m: Record<string, unknown> | null): number | null {
  const e = m?.eventLoopDelayMs;
  if (typeof e !== 'object' || e === null) return null;
  const p99 = (e as Record<string, unknown>).p99;
  return typeof p99 === 'number' && Number.isFinite(p99) && p99 >= 0 ? p99 : null;
}
