/**
 * What each toxic does to one direction of one connection. A link is a chain of stages,
 * one per toxic in the order they were added; each stage passes chunks (one socket read
 * each, stamped with the time they reached it) and finally an end signal to its `out`.
 *
 * Invariants every stage keeps, because live toxic changes depend on them:
 * - order: what a stage emits leaves in the order it came in, the end signal last;
 * - nothing is lost that the toxic does not mean to drop: `release()` (the toxic becomes
 *   inactive, or is removed) hands everything held to `out` at once, synchronously;
 * - a stage whose toxicity draw said "no" is a plain pass-through, decided per link when
 *   it starts and again whenever the toxic is updated (upstream's ToxicStub.Run).
 */
import type { Random } from '../../nodes/common/random.js';
import { monoMs } from '../../nodes/common/clock.js';
import type { ToxicModel } from './toxics.js';
import { TimedQueue, timerDelay } from './timed-queue.js';
import type { EndKind, Output } from './output.js';

export interface StageEnv {
  readonly rng: Random;
  /** Bytes a toxic drops on purpose; the link stops counting them as in flight. */
  dropped(bytes: number): void;
}

export abstract class Stage implements Output {
  private active = false;
  private endSeen = false;
  /** The end signal has gone downstream: later writes are dropped. */
  private closed = false;

  constructor(
    readonly toxic: ToxicModel,
    protected readonly env: StageEnv,
    public out: Output,
  ) {}

  write(data: Buffer, at: number): void {
    if (this.closed) this.env.dropped(data.length);
    else if (this.active) this.take(data, at);
    else this.out.write(data, at);
  }

  end(kind: EndKind): void {
    if (this.closed || this.endSeen) return;
    this.endSeen = true;
    if (this.active) this.takeEnd(kind);
    else this.emitEnd(kind);
  }

  /** Apply a toxicity draw: at link start, when the toxic is added, and on each update. */
  setActive(active: boolean): void {
    if (this.active && active) this.reconfigure();
    else if (this.active) {
      this.active = false;
      this.release();
    } else if (active) {
      this.active = true;
      this.begin();
    }
  }

  /** The toxic leaves this link: hand over everything held, then the link unhooks the stage. */
  remove(): void {
    if (this.active) this.release();
    this.active = false;
  }

  /** The connection is gone: stop timers, forget held data. */
  dispose(): void {
    this.closed = true;
    this.cancel();
  }

  protected emitEnd(kind: EndKind): void {
    if (this.closed) return;
    this.closed = true;
    this.out.end(kind);
  }

  protected get attrs(): Readonly<Record<string, number>> {
    return this.toxic.attributes;
  }

  protected abstract take(data: Buffer, at: number): void;
  protected takeEnd(kind: EndKind): void {
    this.emitEnd(kind);
  }
  protected begin(): void {}
  protected reconfigure(): void {}
  protected release(): void {}
  protected cancel(): void {}
}

abstract class QueuedStage extends Stage {
  protected readonly queue = new TimedQueue(this, (kind) => this.emitEnd(kind));
  protected override takeEnd(kind: EndKind): void {
    this.queue.pushEnd(kind);
  }
  protected override release(): void {
    this.queue.releaseAll();
  }
  protected override cancel(): void {
    this.queue.clear();
  }
}

/** Each chunk is held until it reached this stage + latency ± jitter; two latencies add up. */
class LatencyStage extends QueuedStage {
  private delay(): number {
    const { latency, jitter } = this.attrs;
    // Uniform over the integers in [-jitter, jitter), as upstream's rand.Int63n(2j) - j;
    // drawn from a float so any int64 jitter is in range.
    return jitter! > 0 ? latency! + Math.floor(this.env.rng.float() * 2 * jitter!) - jitter! : latency!;
  }
  protected take(data: Buffer, at: number): void {
    const due = at + this.delay();
    if (this.queue.empty && due <= monoMs()) this.out.write(data, due);
    else this.queue.push(data, at, due);
  }
  protected override reconfigure(): void {
    this.queue.retime((h) => h.at + this.delay());
  }
}

/** Paces chunks at `rate` KB/s (bytes per ms), split into 100 ms pieces like upstream. */
class BandwidthStage extends QueuedStage {
  private free = 0;
  protected take(data: Buffer, at: number): void {
    const rate = this.attrs.rate!;
    const piece = rate * 100;
    let t = Math.max(this.free, monoMs());
    for (let off = 0; off < data.length; off += piece) {
      const p = off === 0 && data.length <= piece ? data : data.subarray(off, Math.min(off + piece, data.length));
      t += p.length / rate;
      this.queue.push(p, at, t);
    }
    this.free = t;
  }
  protected override reconfigure(): void {
    const rate = this.attrs.rate!;
    let t = monoMs();
    this.queue.retime((h) => (t += h.data.length / rate));
    this.free = t;
  }
  protected override begin(): void {
    this.free = 0;
  }
}

/**
 * Upstream's recursive halving (slicer.go `chunk`): a span longer than average + variation
 * is cut near its middle, ± variation, until every piece is within bounds. Iterative, and
 * the cut is clamped inside the span so a piece is never empty.
 */
export function slicePieces(total: number, average: number, variation: number, rng: Random): number[] {
  const sizes: number[] = [];
  const spans: Array<[number, number]> = [[0, total]];
  while (spans.length > 0) {
    const [start, end] = spans.pop()!;
    if (end - start - average <= variation) {
      if (end > start) sizes.push(end - start);
      continue;
    }
    const offset = variation > 0 ? rng.int(0, 2 * variation - 1) - variation : 0;
    const mid = Math.min(end - 1, Math.max(start + 1, start + Math.floor((end - start) / 2) + offset));
    spans.push([mid, end], [start, mid]);
  }
  return sizes;
}

/** Splits each chunk into pieces around average_size, `delay` µs apart. */
class SlicerStage extends QueuedStage {
  private free = 0;
  protected take(data: Buffer, at: number): void {
    const { average_size, size_variation, delay } = this.attrs;
    const sizes = slicePieces(data.length, average_size!, size_variation!, this.env.rng);
    const gapMs = delay! / 1000;
    if (gapMs <= 0 && this.queue.empty) {
      let off = 0;
      for (const n of sizes) this.out.write(data.subarray(off, (off += n)), at);
      return;
    }
    let t = Math.max(this.free, monoMs());
    let off = 0;
    for (const n of sizes) {
      this.queue.push(data.subarray(off, (off += n)), at, t);
      t += Math.max(0, gapMs);
    }
    this.free = t;
  }
}

/**
 * Drops everything; closes after `timeout` ms without incoming data (0: never, a black
 * hole). Like upstream's Cleanup, removing the toxic closes the connection.
 */
class TimeoutStage extends Stage {
  private timer: NodeJS.Timeout | null = null;
  protected take(data: Buffer): void {
    this.env.dropped(data.length);
    this.timer?.refresh();
  }
  protected override takeEnd(kind: EndKind): void {
    this.cancel();
    this.emitEnd(kind);
  }
  protected override begin(): void {
    this.cancel();
    const ms = this.attrs.timeout!;
    if (ms > 0) this.timer = setTimeout(() => this.emitEnd('close'), timerDelay(ms));
  }
  protected override reconfigure(): void {
    this.begin();
  }
  protected override release(): void {
    this.cancel();
  }
  protected override cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
  override remove(): void {
    super.remove();
    this.emitEnd('close');
  }
}

/** After the first chunk (or the end) plus `timeout` ms, resets the connection; drops data. */
class ResetPeerStage extends Stage {
  private timer: NodeJS.Timeout | null = null;
  private triggered = false;
  private heldEnd: EndKind | null = null;
  protected take(data: Buffer): void {
    this.env.dropped(data.length);
    this.trigger();
  }
  protected override takeEnd(kind: EndKind): void {
    this.heldEnd = kind;
    this.trigger();
  }
  private trigger(): void {
    if (this.triggered) return;
    this.triggered = true;
    this.schedule();
  }
  private schedule(): void {
    this.cancel();
    this.timer = setTimeout(() => this.emitEnd('reset'), timerDelay(this.attrs.timeout!));
  }
  protected override reconfigure(): void {
    if (this.triggered) this.schedule();
  }
  protected override release(): void {
    this.cancel();
    this.triggered = false;
    const kind = this.heldEnd;
    this.heldEnd = null;
    if (kind) this.emitEnd(kind);
  }
  protected override cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** Passes the first `bytes` bytes (truncating a chunk), then closes. */
class LimitDataStage extends Stage {
  // Kept across updates and toxicity changes, like upstream's per-stub state.
  private transmitted = 0;
  protected take(data: Buffer, at: number): void {
    const limit = this.attrs.bytes!;
    const remaining = Math.max(0, limit - this.transmitted);
    let pass = data;
    if (remaining < data.length) {
      this.env.dropped(data.length - remaining);
      pass = data.subarray(0, remaining);
    }
    if (pass.length > 0) {
      this.transmitted += pass.length;
      this.out.write(pass, at);
    }
    if (limit - this.transmitted <= 0) this.emitEnd('close');
  }
}

/** Data passes; the end is held back by `delay` ms. */
class SlowCloseStage extends Stage {
  private timer: NodeJS.Timeout | null = null;
  private pending: EndKind | null = null;
  private endAt = 0;
  protected take(data: Buffer, at: number): void {
    this.out.write(data, at);
  }
  protected override takeEnd(kind: EndKind): void {
    this.pending = kind;
    this.endAt = monoMs();
    this.schedule();
  }
  private schedule(): void {
    this.cancel();
    const wait = this.endAt + this.attrs.delay! - monoMs();
    this.timer = setTimeout(() => this.release(), timerDelay(wait));
  }
  protected override reconfigure(): void {
    if (this.pending) this.schedule();
  }
  protected override release(): void {
    this.cancel();
    const kind = this.pending;
    this.pending = null;
    if (kind) this.emitEnd(kind);
  }
  protected override cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

class NoopStage extends Stage {
  protected take(data: Buffer, at: number): void {
    this.out.write(data, at);
  }
}

export function createStage(toxic: ToxicModel, env: StageEnv, out: Output): Stage {
  switch (toxic.type) {
    case 'latency':
      return new LatencyStage(toxic, env, out);
    case 'bandwidth':
      return new BandwidthStage(toxic, env, out);
    case 'slicer':
      return new SlicerStage(toxic, env, out);
    case 'timeout':
      return new TimeoutStage(toxic, env, out);
    case 'reset_peer':
      return new ResetPeerStage(toxic, env, out);
    case 'limit_data':
      return new LimitDataStage(toxic, env, out);
    case 'slow_close':
      return new SlowCloseStage(toxic, env, out);
    case 'noop':
      return new NoopStage(toxic, env, out);
  }
}
