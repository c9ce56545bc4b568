/**
 * The holding area of the delaying toxics (latency, bandwidth, slicer): chunks with a due
 * time, released in arrival order, then the end signal once they are all out.
 */
import { monoMs } from '../../nodes/common/clock.js';
import type { EndKind, Output } from './output.js';

interface Held {
  data: Buffer;
  at: number;
  due: number;
}

/**
 * A FIFO released by time: an item leaves when its due time has passed and everything
 * before it has left, so per-chunk delays never reorder bytes and never serialise (a
 * hundred chunks due at once leave together). One timer per queue, armed for the head.
 */
/**
 * A delay setTimeout accepts: Node turns anything above 2^31-1 ms into 1 ms, which would
 * make a huge latency spin instead of wait. A timer that fires before its item is due
 * simply re-arms.
 */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, Math.ceil(ms)), 2 ** 31 - 1);
}

export class TimedQueue {
  private items: Held[] = [];
  private head = 0;
  private endKind: EndKind | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly stage: { readonly out: Output },
    private readonly onEnd: (kind: EndKind) => void,
  ) {}

  get empty(): boolean {
    return this.head === this.items.length;
  }

  push(data: Buffer, at: number, due: number): void {
    this.items.push({ data, at, due });
    if (this.items.length - this.head === 1) this.arm();
  }

  pushEnd(kind: EndKind): void {
    if (this.empty) this.onEnd(kind);
    else this.endKind = kind;
  }

  retime(due: (h: Held) => number): void {
    for (let i = this.head; i < this.items.length; i++) this.items[i]!.due = due(this.items[i]!);
    this.arm();
  }

  releaseAll(): void {
    this.stopTimer();
    while (this.head < this.items.length) this.emitHead();
    this.settle();
  }

  clear(): void {
    this.stopTimer();
    this.items = [];
    this.head = 0;
    this.endKind = null;
  }

  private readonly fire = (): void => {
    this.timer = null;
    const now = monoMs();
    while (this.head < this.items.length && this.items[this.head]!.due <= now) this.emitHead();
    this.settle();
  };

  private emitHead(): void {
    const h = this.items[this.head]!;
    this.items[this.head++] = undefined as unknown as Held;
    this.stage.out.write(h.data, h.due);
  }

  private settle(): void {
    if (this.empty) {
      this.items = [];
      this.head = 0;
      const kind = this.endKind;
      this.endKind = null;
      if (kind) this.onEnd(kind);
      return;
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.arm();
  }

  private arm(): void {
    this.stopTimer();
    if (this.empty) return;
    this.timer = setTimeout(this.fire, timerDelay(this.items[this.head]!.due - monoMs()));
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
