/**
 * A simulated node process: the real NodeHost (nodes/common/host.ts) and the real
 * write-ahead log and snapshot store over a simulated data directory, driven by simulated timers, a simulated network
 * and a simulated client connection.
 *
 * What it models of a process, and why:
 *   - One thread. A sync blocks it (fdatasync is synchronous in the runtime): while a sync
 *     is in progress the node takes no input, and what the Ready sends after its `persist`
 *     leaves when the sync completes. Inputs that queue meanwhile are stepped together and
 *     share the next Ready (group commit), as in the real event loop.
 *   - After a stall (a sync, a pause), the event loop order: overdue timers first, then the
 *     I/O that queued, then immediates (the tick runs after its turn's I/O).
 *   - Pause (SIGSTOP): nothing runs; frames and requests queue in the kernel. On resume the
 *     transport's heartbeat destroys inbound connections silent for longer than linkDeadMs
 *     before their queued frames are read, so a long pause loses them, a short one does not.
 *   - Crash (kill -9): memory gone, the page cache kept; power loss: each file cut back to
 *     what was synced, the directory to its last sync (disk.ts).
 *   - Its own clock (ms) for timers and ticks, which a clock fault makes run fast, slow or
 *     jump forward (a monotonic clock never runs back). Traces use the simulation's clock,
 *     the "machine-wide" clock clients and checkers share.
 */
import type { Algorithm } from '../../../nodes/common/runtime.js';
import type { AppliedWrite, ClientOp, ClientReply, NodeId } from '../../../nodes/common/core.js';
import { NodeHost, type HostIo, type TimerHandle } from '../../../nodes/common/host.js';
import { WalCorruptError } from '../../../nodes/common/storage.js';
import { openDurableState, type DurableState } from '../../../nodes/common/snapshots.js';
import type { RuntimeOptions } from '../../../nodes/common/options.js';
import { Random } from '../../../nodes/common/random.js';
import type { Scheduler, SimEvent } from './scheduler.js';
import type { Conn, NetEndpoint, SimNetwork } from './network.js';
import { SimDisk } from './disk.js';

/** Event-loop phases a queued input belongs to, in the order they run after a stall. */
const TIMER = 0;
const IO = 1;
const IMMEDIATE = 2;

interface Queued {
  phase: number;
  fn: () => void;
  conn?: Conn;
}

interface SimTimer {
  dueLocal: number;
  fn: () => void;
  ev: SimEvent | null;
  phase: number;
  /** Re-arms itself every `every` ms of node time after it ran (setInterval). */
  every?: number;
  /**
   * Its scheduler callback and its turn on the node's thread, each made once: a tick re-arms
   * 40 times a simulated second on each of 10,000 nodes, and a closure per arm was a good
   * part of the garbage collector's work.
   */
  fire: () => void;
  run: () => void;
}

const unset = (): void => undefined;

export interface TraceSink {
  applied(node: NodeId, applied: readonly AppliedWrite[], tNs: number): void;
  events(node: NodeId, events: readonly Record<string, unknown>[], tNs: number): void;
}

export interface SimNodeSpec {
  id: NodeId;
  /** Every member, this node included: one array shared by all the nodes (10,000 copies of it would not fit). */
  members: readonly NodeId[];
  algorithm: Algorithm;
  algoOptions: Record<string, unknown>;
  runtime: RuntimeOptions;
  /** The runtime seed (what `--set seed=` gives a real node). */
  seed: number;
  /** How long a sync takes (ms), drawn per sync. */
  syncMs(): number;
}

export class SimNode implements NetEndpoint {
  up = false;
  paused = false;
  incarnation = 0;
  host: NodeHost<unknown> | null = null;
  /** The node's data directory: its log and its snapshots. */
  readonly disk: SimDisk;
  /** Why the last start failed (a log it cannot recover), if it did. */
  startFailure: string | null = null;
  busyUntil = 0;
  private pausedAtLocal = 0;
  private backlog: Queued[] = [];
  private drainEv: SimEvent | null = null;
  /** What a Ready does after its sync (send, reply, trace), waiting for the sync to complete. */
  private outbox: (() => void)[] = [];
  private outboxEv: SimEvent | null = null;
  /** Called once at the start of the next sync, with when it starts and completes. */
  private syncWatchers: ((start: number, done: number) => void)[] = [];
  private readonly timers = new Set<SimTimer>();
  // Node clock: local(t) = base + rate * (t - anchor).
  private base = 0;
  private rate = 1;
  private anchor = 0;
  readonly stats = { starts: 0, crashes: 0, powerLosses: 0, bytesLostToPower: 0, pauses: 0 };
  /**
   * The process died of an exception (a core's own invariant check, a bug in the host): the
   * real process would exit with it. The cluster records it and the node stays down.
   */
  onFatal: (error: unknown) => void = () => undefined;

  constructor(
    readonly spec: SimNodeSpec,
    private readonly sched: Scheduler,
    private readonly net: SimNetwork,
    private readonly traces: TraceSink,
  ) {
    this.disk = new SimDisk(spec.id, {
      now: () => this.sched.now,
      sync: () => {
        const start = Math.max(this.sched.now, this.busyUntil);
        const done = start + spec.syncMs();
        this.busyUntil = done;
        const waiting = this.syncWatchers;
        if (waiting.length > 0) {
          this.syncWatchers = [];
          for (const w of waiting) w(start, done);
        }
        return done;
      },
    });
    net.attach(spec.id, this);
  }

  get id(): NodeId {
    return this.spec.id;
  }

  // ---- clock ----

  private localAt(t: number): number {
    return this.base + this.rate * (t - this.anchor);
  }

  private simAt(local: number): number {
    return this.anchor + (local - this.base) / this.rate;
  }

  /** The node's clock now (its thread may be ahead of the simulation while a sync runs). */
  localNow(): number {
    return this.localAt(Math.max(this.sched.now, this.busyUntil));
  }

  departure(): number {
    return Math.max(this.sched.now, this.busyUntil);
  }

  /** Clock fault: from now on the node's clock runs at `rate` and jumps `jumpMs` forward. */
  setClock(rate: number, jumpMs = 0): void {
    const now = this.sched.now;
    this.base = this.localAt(now) + Math.max(0, jumpMs);
    this.anchor = now;
    this.rate = rate;
    for (const t of this.timers) this.arm(t);
  }

  get clockRate(): number {
    return this.rate;
  }

  // ---- the event loop ----

  /**
   * Run `fn` once the sync in progress completes (now, if none is): the runtime's fdatasync
   * is synchronous, so nothing a Ready does after `persist` happens before the data is on
   * disk, and nothing of it happens at all if the machine dies first.
   */
  private afterSync(fn: () => void): void {
    if (this.sched.now >= this.busyUntil) {
      fn();
      return;
    }
    this.outbox.push(fn);
    if (this.outboxEv) return;
    const incarnation = this.incarnation;
    this.outboxEv = this.sched.at(this.busyUntil, () => {
      this.outboxEv = null;
      const work = this.outbox;
      this.outbox = [];
      if (this.incarnation !== incarnation || !this.up) return;
      for (const w of work) this.guard(w);
    });
  }

  /** Run `fn` now if the thread is free, or queue it for when it is. */
  private gate(phase: number, fn: () => void, conn?: Conn): void {
    if (!this.up) return;
    if (this.paused || this.sched.now < this.busyUntil) {
      this.backlog.push(conn ? { phase, fn, conn } : { phase, fn });
      this.scheduleDrain();
      return;
    }
    this.guard(fn);
  }

  /** Run process code; an exception kills the process, as an uncaught one would. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.onFatal(err);
    }
  }

  private scheduleDrain(): void {
    if (this.paused || this.drainEv) return;
    const incarnation = this.incarnation;
    this.drainEv = this.sched.at(this.busyUntil, () => {
      this.drainEv = null;
      if (this.incarnation === incarnation) this.drain();
    });
  }

  private drain(): void {
    if (!this.up || this.paused) return;
    if (this.sched.now < this.busyUntil) {
      this.scheduleDrain();
      return;
    }
    const items = this.backlog;
    this.backlog = [];
    const incarnation = this.incarnation;
    for (let phase = TIMER; phase <= IMMEDIATE; phase++) {
      for (const item of items) {
        if (item.phase !== phase) continue;
        if (this.incarnation !== incarnation || !this.up) return;
        // Unread frames of a connection the heartbeat just destroyed are gone with it.
        if (item.conn?.destroyedByReceiver) continue;
        this.guard(item.fn);
      }
    }
  }

  private arm(t: SimTimer): void {
    this.sched.cancel(t.ev);
    t.ev = this.sched.at(this.simAt(t.dueLocal), t.fire);
  }

  private timer(ms: number, fn: () => void, phase = TIMER, every?: number): SimTimer {
    const t: SimTimer = { dueLocal: this.localNow() + ms, fn, ev: null, phase, ...(every !== undefined && { every }), fire: unset, run: unset };
    // A crash clears every timer; the incarnation check also drops an event already queued.
    const incarnation = this.incarnation;
    t.run = () => {
      t.fn();
      if (t.every !== undefined && this.timers.has(t)) {
        // setInterval re-arms from when its callback ran: no burst after a stall.
        t.dueLocal = this.localNow() + t.every;
        this.arm(t);
      }
    };
    t.fire = () => {
      t.ev = null;
      if (this.incarnation !== incarnation) return;
      if (t.every === undefined) this.timers.delete(t);
      this.gate(t.phase, t.run);
    };
    this.timers.add(t);
    this.arm(t);
    return t;
  }

  private io(): HostIo {
    const incarnation = this.incarnation;
    return {
      nowMs: () => this.localNow(),
      nowNs: () => Math.round(this.departure() * 1e6),
      setTimer: (ms, fn) => this.timer(ms, fn),
      clearTimer: (handle: TimerHandle) => {
        const t = handle as SimTimer;
        this.sched.cancel(t.ev);
        this.timers.delete(t);
      },
      // The turn's I/O is the current event (a drain after a stall is one event holding all that
      // queued), so "after this turn" is right after it: inputs that arrived together share a Ready.
      defer: (fn) => {
        this.sched.soon(() => {
          if (this.incarnation === incarnation && this.up) this.guard(fn);
        });
      },
      // A send the transport refuses at once (link down) says so at once; one it takes leaves
      // when the sync completes. Either way the host sees the answer it would see for real.
      send: (to, envelope) => {
        if (this.sched.now >= this.busyUntil) return this.net.send(this.id, to, envelope);
        if (!this.net.canSend(this.id, to)) return false;
        this.afterSync(() => void this.net.send(this.id, to, envelope));
        return true;
      },
      traceApplied: (applied) => {
        const copy = applied.slice();
        this.afterSync(() => this.traces.applied(this.id, copy, Math.round(this.sched.now * 1e6)));
      },
      traceEvents: (events) => {
        const copy = events.slice();
        this.afterSync(() => this.traces.events(this.id, copy, Math.round(this.sched.now * 1e6)));
      },
      log: () => undefined,
    };
  }

  // ---- lifecycle ----

  /** Start (or restart) the process on its data: recover the log, build the core, dial, tick. */
  start(): boolean {
    if (this.up) return true;
    this.incarnation++;
    this.stats.starts++;
    const { spec } = this;
    let opened: DurableState;
    try {
      opened = openDurableState(this.disk, spec.runtime.fsync);
    } catch (err) {
      // The real node exits 70 here: a log it must not start on.
      this.startFailure = err instanceof WalCorruptError ? err.message : `cannot open its log: ${(err as Error).message}`;
      return false;
    }
    this.startFailure = null;
    this.up = true;
    this.paused = false;
    this.busyUntil = Math.max(this.busyUntil, this.sched.now);
    try {
      this.host = new NodeHost<unknown>(
      {
        id: spec.id,
        members: spec.members,
        createCore: (ctx) => spec.algorithm.create(ctx as never),
        algoOptions: spec.algoOptions,
        wal: opened.wal,
        recovered: opened.records,
        snapshots: opened.snapshots,
        snapshot: opened.snapshot,
        random: Random.derive(spec.seed, `core:${spec.id}`),
        requestTimeoutMs: spec.runtime.requestTimeoutMs,
      },
      this.io(),
      );
    } catch (err) {
      this.onFatal(err);
      return this.up;
    }
    const host = this.host;
    this.net.nodeStarted(spec.id, spec.members);
    this.timer(spec.runtime.tickMs, () => host.tick(), IMMEDIATE, spec.runtime.tickMs);
    this.timer(spec.runtime.linkHeartbeatMs, () => this.net.heartbeat(spec.id), TIMER, spec.runtime.linkHeartbeatMs);
    host.tick();
    return true;
  }

  /** kill -9, and with `powerLoss` the machine's power too. `graceful`: its sockets close with FIN (in flight still arrives). */
  crash(powerLoss: boolean, graceful: boolean, random: Random): void {
    if (!this.up && !powerLoss) return;
    this.incarnation++;
    this.stats.crashes++;
    this.up = false;
    this.paused = false;
    this.host = null;
    this.backlog = [];
    this.sched.cancel(this.drainEv);
    this.drainEv = null;
    this.outbox = [];
    this.sched.cancel(this.outboxEv);
    this.outboxEv = null;
    this.syncWatchers = [];
    for (const t of this.timers) this.sched.cancel(t.ev);
    this.timers.clear();
    this.net.nodeCrashed(this.id, graceful);
    if (powerLoss) {
      this.stats.powerLosses++;
      this.stats.bytesLostToPower += this.disk.powerLoss(random, true);
      // The power came back: no sync can still be in progress.
      this.busyUntil = this.sched.now;
    }
  }

  /**
   * The moment a power loss does the most damage: inside a sync, before it completes, so
   * the disk holds a write that was never made durable. Calls `strike` at a random moment
   * of the sync in progress, or of the next one to start within `withinMs`, or after
   * `withinMs` if none does.
   */
  duringSync(withinMs: number, random: Random, strike: () => void): void {
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      strike();
    };
    const inside = (start: number, end: number) => this.sched.at(start + random.float() * Math.max(0, end - start), once);
    if (this.up && this.sched.now < this.busyUntil) {
      inside(this.sched.now, this.busyUntil);
      return;
    }
    this.syncWatchers.push(inside);
    this.sched.after(withinMs, once);
  }

  pause(): void {
    if (!this.up || this.paused) return;
    this.stats.pauses++;
    this.paused = true;
    this.pausedAtLocal = this.localNow();
  }

  resume(): void {
    if (!this.up || !this.paused) return;
    this.paused = false;
    this.scheduleDrain();
  }

  // ---- inputs from the world ----

  receive(conn: Conn, frame: Buffer): void {
    this.gate(IO, () => this.net.read(conn, frame, (from, payload) => this.host?.onEnvelope(from, payload)), conn);
  }

  linkDown(peer: NodeId): void {
    this.gate(IO, () => this.host?.onLinkDown(peer));
  }

  /** A client request arrived on the API connection. */
  request(op: ClientOp, respond: (reply: ClientReply) => void): void {
    this.gate(IO, () => {
      if (this.host) this.host.operate(op, (reply) => this.afterSync(() => respond(reply)));
    });
  }

  /** The status a client's GET /status would see now (null while down or paused). */
  status(): Record<string, unknown> | null {
    if (!this.up || this.paused || !this.host) return null;
    return { id: this.id, ...this.host.core.status() };
  }

  get pausedFor(): number {
    return this.paused ? this.localNow() - this.pausedAtLocal : 0;
  }
}
