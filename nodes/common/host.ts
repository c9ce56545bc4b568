/**
 * The node host: everything the runtime does for a core that does not depend on which
 * world it runs in. It turns client requests, peer envelopes and ticks into `Input`s,
 * carries out each `Ready` in the order of core.ts, keeps the requests in flight (local
 * clients, and requests other nodes forwarded here) with their timeouts, and traces what
 * was applied.
 *
 * The world is `HostIo`: clock, timers, "after this turn", the peer transport, the
 * applied/event traces. runtime.ts gives it real timers, TCP and files; the simulator
 * (harness/sim) gives it simulated ones. Both run this same code, so a bug in the side-
 * effect order, the forwarding rules or the timeouts is in the simulator's reach.
 *
 * The host is callback-based, never Promise-based: the simulator runs a whole cluster in
 * one synchronous loop, where a microtask would run at the wrong simulated time.
 */
import type { AppliedWrite, ClientOp, ClientReply, Core, CoreContext, Input, NodeId, Ready } from './core.js';
import { reply } from './core.js';
import type { WriteAheadLog } from './storage.js';
import type { SnapshotStore } from './snapshots.js';
import type { Random } from './random.js';

/** Transport payloads: a core message, a forwarded client request, or the reply to one. */
export type Envelope = ['c', unknown] | ['f', string, ClientOp] | ['r', string, ClientReply];

export type TimerHandle = unknown;

export interface HostIo {
  /** The node's monotonic clock, in milliseconds (fractional). */
  nowMs(): number;
  /** The same clock in nanoseconds, for traces (comparable with the clients' clock). */
  nowNs(): number;
  setTimer(ms: number, fn: () => void): TimerHandle;
  clearTimer(timer: TimerHandle): void;
  /** Run `fn` once the I/O of the current turn has been taken in (setImmediate). */
  defer(fn: () => void): void;
  /** Send an envelope to a peer; false when it was dropped (link down, buffer full, too large). */
  send(to: NodeId, envelope: Envelope): boolean;
  /** Applied writes, stamped `tNs` (the i-th of a batch at tNs + i). */
  traceApplied(applied: readonly AppliedWrite[], tNs: number): void;
  traceEvents(events: readonly Record<string, unknown>[], tNs: number): void;
  log(line: string): void;
}

export interface HostConfig<M> {
  id: NodeId;
  /** Every other member; absent: `members` without this node, built when a core first reads it. */
  peers?: NodeId[];
  /** Every member, this node included, in one array shared with other hosts (CoreContext.members). */
  members?: readonly NodeId[];
  createCore(ctx: CoreContext<unknown>): Core<M>;
  algoOptions: unknown;
  wal: WriteAheadLog;
  recovered: unknown[];
  /** Where compactions write their snapshots (a core that asks for one without it is a bug). */
  snapshots?: SnapshotStore;
  /** The snapshot image recovery found (CoreContext.snapshot). */
  snapshot?: string | null;
  random: Random;
  /** A request not answered in this time gets 504 (outcome unknown). */
  requestTimeoutMs: number;
}

interface LocalRequest {
  kind: 'local';
  op: ClientOp;
  resolve(reply: ClientReply): void;
  timer: TimerHandle;
  /** The peer this request was handed to, while its answer is awaited. */
  forwardedTo: NodeId | null;
}
interface RemoteRequest {
  kind: 'remote';
  op: ClientOp;
  origin: NodeId;
  originReqId: string;
  timer: TimerHandle;
}

export interface HostCounters {
  clientRequests: number;
  forwardedOut: number;
  forwardedIn: number;
  /** Forwards answered at once because the leader changed or the link to it died. */
  forwardsAbandoned: number;
  applied: number;
  timeouts: number;
  readies: number;
  /** Snapshots written and logs compacted behind them (Ready.compact). */
  compactions: number;
}

export class NodeHost<M> {
  readonly core: Core<M>;
  readonly counters: HostCounters = { clientRequests: 0, forwardedOut: 0, forwardedIn: 0, forwardsAbandoned: 0, applied: 0, timeouts: 0, readies: 0, compactions: 0 };
  readonly replyCounts: Record<string, number> = {};
  private readonly pending = new Map<string, LocalRequest | RemoteRequest>();
  private forwardsOut = 0;
  private nextReqId = 1;
  /**
   * Request ids name this incarnation (its start time on the machine's monotonic clock): a
   * reply to a request forwarded by an earlier incarnation, answered after a restart, must
   * not resolve the new incarnation's request that happens to have the same number.
   */
  private readonly incarnation: string;
  private flushScheduled = false;
  /**
   * True while a Ready's `early` messages are out and its records are not yet durable.
   * Cores count their own log in a quorum (Raft's leader its last index, a Paxos proposer
   * the slots it accepted) as if it were on disk; that holds only because no input is
   * stepped in this window: a peer's answer to an early message, the only thing that could
   * complete a quorum with an entry not yet durable here, is a later input. submit()
   * asserts it.
   */
  private makingDurable = false;
  private stopped = false;
  private lastLeader: NodeId | null = null;

  constructor(
    private readonly config: HostConfig<M>,
    private readonly io: HostIo,
  ) {
    const { id, members } = config;
    let peers = config.peers ?? null;
    this.core = config.createCore({
      id,
      get peers() {
        return (peers ??= (members ?? []).filter((m) => m !== id));
      },
      ...(members !== undefined && { members }),
      options: config.algoOptions,
      recovered: config.recovered,
      snapshot: config.snapshot ?? null,
      random: config.random,
      now: io.nowMs(),
    });
    this.lastLeader = this.core.leaderId?.() ?? null;
    this.incarnation = Math.round(io.nowMs() * 1000).toString(36);
    // Traced before this incarnation can apply anything (workloads/checkers/log-safety.ts).
    const through = this.core.recoveredThrough?.();
    if (through !== undefined) io.traceEvents([{ event: 'recovered', through }], io.nowNs());
  }

  get pendingRequests(): number {
    return this.pending.size;
  }

  /** One tick input at the node's current time. */
  tick(): void {
    this.submit({ type: 'tick', now: this.io.nowMs() });
  }

  submit(input: Input<M>): void {
    if (this.stopped) return;
    if (this.makingDurable) throw new Error(`${this.config.id}: an input was stepped between a Ready's early messages and its fsync (core.ts, Ready order)`);
    this.core.step(input);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.io.defer(() => this.flush());
    }
  }

  /** A validated client operation; `resolve` is called exactly once with its reply. */
  operate(op: ClientOp, resolve: (reply: ClientReply) => void): void {
    if (this.stopped) {
      resolve(reply.unknown('node shutting down'));
      return;
    }
    this.counters.clientRequests++;
    const reqId = `l${this.incarnation}.${this.nextReqId++}`;
    const timer = this.io.setTimer(this.config.requestTimeoutMs, () => this.expire(reqId));
    this.pending.set(reqId, { kind: 'local', op, resolve, timer, forwardedTo: null });
    this.submit({ type: 'client', reqId, op, forwarded: false });
  }

  private expire(reqId: string): void {
    const request = this.pending.get(reqId);
    if (!request) return;
    this.settle(reqId, request);
    this.counters.timeouts++;
    if (request.kind === 'local') this.resolve(request, reply.unknown('timed out waiting for the outcome'));
    this.submit({ type: 'clientGone', reqId });
  }

  private settle(reqId: string, request: LocalRequest | RemoteRequest): void {
    this.pending.delete(reqId);
    this.io.clearTimer(request.timer);
    if (request.kind === 'local' && request.forwardedTo !== null) {
      request.forwardedTo = null;
      this.forwardsOut--;
    }
  }

  private resolve(request: LocalRequest, r: ClientReply): void {
    this.replyCounts[r.status] = (this.replyCounts[r.status] ?? 0) + 1;
    request.resolve(r);
  }

  /** An envelope from a peer. Peers are trusted (a forwarded op was validated where it came in), but not their shape. */
  onEnvelope(from: NodeId, payload: unknown): void {
    if (this.stopped || !Array.isArray(payload)) return;
    const env = payload as Envelope;
    switch (env[0]) {
      case 'c':
        this.submit({ type: 'message', from, msg: env[1] as M });
        return;
      case 'f': {
        this.counters.forwardedIn++;
        const reqId = `r${this.incarnation}.${this.nextReqId++}`;
        const timer = this.io.setTimer(this.config.requestTimeoutMs, () => this.expire(reqId));
        this.pending.set(reqId, { kind: 'remote', op: env[2], origin: from, originReqId: env[1], timer });
        this.submit({ type: 'client', reqId, op: env[2], forwarded: true });
        return;
      }
      case 'r': {
        // Only the peer the request was handed to may answer it: a reply from anyone else
        // (a stale incarnation's, a misrouted one) says nothing about this request.
        const request = this.pending.get(env[1]);
        if (!request || request.kind !== 'local' || request.forwardedTo !== from) return;
        this.settle(env[1], request);
        this.resolve(request, env[2]);
        return;
      }
    }
  }

  /**
   * The outbound link to `peer` broke. A request forwarded to it may or may not have been
   * applied there, but its answer can no longer come back on this path: answer 504 now
   * rather than when the request times out, so the client can try elsewhere.
   */
  onLinkDown(peer: NodeId): void {
    if (this.forwardsOut > 0) this.abandonForwards((to) => to === peer, `lost the link to ${peer} while it held the request`);
  }

  private abandonForwards(match: (to: NodeId) => boolean, why: string): void {
    for (const [reqId, request] of this.pending) {
      if (request.kind !== 'local' || request.forwardedTo === null || !match(request.forwardedTo)) continue;
      this.settle(reqId, request);
      this.counters.forwardsAbandoned++;
      this.resolve(request, reply.unknown(why));
      this.submit({ type: 'clientGone', reqId });
    }
  }

  /** Carry out one Ready in the contract's order (core.ts). */
  flush(): void {
    this.flushScheduled = false;
    if (this.stopped) return;
    const ready: Ready<M> = this.core.ready();
    this.counters.readies++;
    this.makingDurable = true;
    try {
      for (const { to, msg } of ready.early) this.io.send(to, ['c', msg]);
      this.config.wal.append(ready.persist);
      if (ready.compact) this.compact(ready.compact.snapshot, ready.compact.tail);
    } finally {
      this.makingDurable = false;
    }
    for (const { to, msg } of ready.messages) this.io.send(to, ['c', msg]);
    for (const { reqId, to } of ready.forwards) this.forward(reqId, to);
    for (const { reqId, reply: r } of ready.replies) this.answer(reqId, r);
    if (ready.applied.length > 0) {
      this.counters.applied += ready.applied.length;
      this.io.traceApplied(ready.applied, this.io.nowNs());
    }
    if (ready.events.length > 0) this.io.traceEvents(ready.events, this.io.nowNs());
    this.noticeLeaderChange();
  }

  /** Ready step 3 (snapshots.ts): the image durable first, then the log replaced by what follows it. */
  private compact(snapshot: string, tail: unknown[]): void {
    const store = this.config.snapshots;
    if (!store) throw new Error(`${this.config.id}: the core asked for a snapshot, but this node has no snapshot store`);
    store.save(snapshot);
    this.config.wal.rewrite(tail);
    this.counters.compactions++;
  }

  /**
   * A new leader (or none): requests forwarded to the old one will be answered by nobody we
   * can hear from in time. 504, not 503: the old leader may have applied them.
   */
  private noticeLeaderChange(): void {
    const leaderId = this.core.leaderId;
    if (!leaderId) return;
    const leader = leaderId.call(this.core);
    if (leader === this.lastLeader) return;
    this.lastLeader = leader;
    if (this.forwardsOut > 0) this.abandonForwards((to) => to !== leader, `the leader changed to ${leader ?? 'none'} while the request was forwarded`);
  }

  private forward(reqId: string, to: NodeId): void {
    const request = this.pending.get(reqId);
    if (!request) return;
    if (request.kind === 'remote') {
      // One hop only: a node that was handed a request and cannot serve it says so.
      this.answer(reqId, reply.unavailable('not the leader', { leader: to }));
      return;
    }
    this.counters.forwardedOut++;
    if (!this.io.send(to, ['f', reqId, request.op])) {
      this.answer(reqId, reply.unavailable(`cannot reach ${to} to forward the request`, { leader: to }));
      return;
    }
    request.forwardedTo = to;
    this.forwardsOut++;
  }

  private answer(reqId: string, r: ClientReply): void {
    const request = this.pending.get(reqId);
    if (!request) return;
    this.settle(reqId, request);
    if (request.kind === 'local') this.resolve(request, r);
    else this.io.send(request.origin, ['r', request.originReqId, r]);
  }

  /** Stop taking inputs; every local request still waiting is answered 504. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const [reqId, request] of this.pending) {
      this.settle(reqId, request);
      if (request.kind === 'local') this.resolve(request, reply.unknown('node shutting down'));
    }
  }
}
