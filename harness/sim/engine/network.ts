/**
 * The simulated peer network: exactly what nodes/common/transport.ts gets from TCP through
 * a link proxy, no more, no less.
 *
 * Promises (docs/sim.md, "The network model"; test/sim/network.test.ts holds the model to
 * them and to the real transport):
 *   - one outbound connection per directed link `a->b`, dialled by `a`; messages travel on
 *     it in the order sent, each at most once, never duplicated, never reordered;
 *   - a message is lost only with its connection (a break loses what was in flight on it),
 *     to a black hole, to a buffer over `maxBufferedBytes`, or when sent while the link is
 *     down (the transport drops and counts it; the algorithms retransmit);
 *   - links are dialled, heartbeaten, declared dead after `linkDeadMs` of silence and
 *     redialled with the transport's own jittered backoff, eagerly or lazily as configured;
 *   - faults are the fault plane's toxics, per link and per connection as Toxiproxy applies
 *     them: latency and jitter (FIFO is kept, as Toxiproxy's pipeline keeps it), bandwidth,
 *     black holes (timeout), resets (reset_peer) and cuts after N bytes (limit_data, which
 *     cuts the frame it lands in), and a disabled proxy (connections refused).
 *
 * Frames are encoded and decoded with the real codec (nodes/common/codec.ts).
 */
import { FrameDecoder, encodeFrame } from '../../../nodes/common/codec.js';
import type { NodeId } from '../../../nodes/common/core.js';
import type { Random } from '../../../nodes/common/random.js';
import type { Scheduler, SimEvent } from './scheduler.js';
import { sampleDelay, type DelayModel } from './delay.js';

const RECONNECT_MIN_MS = 10;
const RECONNECT_MAX_MS = 400;
const PING = encodeFrame(['p']);

export interface Toxic {
  /** The fault that added it. */
  id: number;
  kind: 'latency' | 'bandwidth' | 'blackhole' | 'reset';
  /** Toxiproxy's toxicity: the share of connections it applies to, rolled per connection. */
  probability: number;
  latencyMs?: number;
  jitterMs?: number;
  rateKBps?: number;
  /** reset: 0 resets at the first bytes (reset_peer); N lets N bytes through, then closes (limit_data). */
  afterBytes?: number;
}

/** What the network needs from the nodes at both ends of a link. */
export interface NetEndpoint {
  /** Running (not crashed); a paused node is up. */
  readonly up: boolean;
  /** The node's clock (ms): link liveness is judged on it. */
  localNow(): number;
  /** When the node's thread is free again (after a sync in progress): what it sends leaves then. */
  departure(): number;
  /** A frame arrived on an inbound connection: hand it to the node (which may queue it while paused). */
  receive(conn: Conn, frame: Buffer): void;
  /** The node's outbound link to `peer` broke while it was up. */
  linkDown(peer: NodeId): void;
}

export interface LinkOptions {
  heartbeatMs: number;
  deadAfterMs: number;
  maxBufferedBytes: number;
  lazy: boolean;
  idleMs: number;
}

export class Conn {
  open = true;
  /** The sender crashed with data in flight: it still arrives (FIN after the send buffer). */
  draining = false;
  /** Toxic ids this connection rolled as toxic. */
  readonly hit = new Set<number>();
  /** Arrival time of the last frame: the next arrives no earlier (FIFO). */
  lastArrival = 0;
  /** Bandwidth toxic: when the link's pipe is free again. */
  pipeFree = 0;
  /** limit_data: bytes passed so far. */
  passed = 0;
  inflightBytes = 0;
  /** The receiver's heartbeat destroyed it: frames it had not read yet are gone. */
  destroyedByReceiver = false;
  /** Receiver side: its clock when it last read from this connection; null until it accepted it. */
  lastHeardIn: number | null = null;
  readonly decoder = new FrameDecoder();
  /** Who the receiver learned it is from (the hello frame). */
  from: NodeId | null = null;

  constructor(
    readonly id: number,
    readonly link: Link,
  ) {}
}

export class Link {
  state: 'idle' | 'dialing' | 'up' = 'idle';
  conn: Conn | null = null;
  attempts = 0;
  /** Sender's clock when it last heard a pong. */
  lastHeard = 0;
  lastSent = 0;
  redial: SimEvent | null = null;
  /** How many active faults disable this link's proxy. */
  disabled = 0;
  toxics: Toxic[] = [];
  /** Lazy: no dial before this (sender clock). */
  retryAt = 0;
  /** Lazy: frames written while the connection is being made. */
  waiting: Buffer[] = [];
  readonly counters = { msgsSent: 0, bytesSent: 0, dropped: 0, connects: 0, msgsReceived: 0, bytesReceived: 0 };

  constructor(
    readonly from: NodeId,
    readonly to: NodeId,
  ) {}

  get name(): string {
    return `${this.from}->${this.to}`;
  }
}

type Counters = Link['counters'];

const zeroCounters = (): Counters => ({ msgsSent: 0, bytesSent: 0, dropped: 0, connects: 0, msgsReceived: 0, bytesReceived: 0 });

export class SimNetwork {
  /** Each node's links, by the peer at the other end: outbound (it dials) and inbound. */
  private readonly outOf = new Map<NodeId, Map<NodeId, Link>>();
  private readonly into = new Map<NodeId, Map<NodeId, Link>>();
  /**
   * Lazy links retired after they went idle, their counters summed per sender: at 10,000
   * nodes every node talks to a few new random peers every second, and keeping each link it
   * ever used would grow without bound. A retired link is exactly a new one (idle, no
   * backoff, no fault on it), so dropping it changes nothing but where its counters live.
   */
  private readonly retired = new Map<NodeId, Counters>();
  private readonly endpoints = new Map<NodeId, NetEndpoint>();
  private nextConn = 1;
  /** Messages lost per cause, for the seed's statistics. */
  readonly lost = { linkDown: 0, blackhole: 0, broken: 0, buffer: 0, reset: 0 };
  /** Sees every message a receiver reads, before its node does (a measurement's probe; it must not change anything). */
  tap: ((from: NodeId, to: NodeId, payload: unknown) => void) | null = null;

  constructor(
    private readonly sched: Scheduler,
    private readonly random: Random,
    private readonly delay: DelayModel,
    private readonly options: LinkOptions,
  ) {}

  attach(id: NodeId, endpoint: NetEndpoint): void {
    this.endpoints.set(id, endpoint);
  }

  link(from: NodeId, to: NodeId): Link {
    const out = mapOf(this.outOf, from);
    let l = out.get(to);
    if (!l) {
      l = new Link(from, to);
      out.set(to, l);
      mapOf(this.into, to).set(from, l);
    }
    return l;
  }

  /** Links that exist now (every pair for eager dialling; for lazy, those in use and not yet retired). */
  *allLinks(): Iterable<Link> {
    for (const out of this.outOf.values()) yield* out.values();
  }

  /** What every link from `from` carried, retired ones included. */
  sentBy(from: NodeId): Counters {
    const sum = { ...(this.retired.get(from) ?? zeroCounters()) };
    for (const l of this.outOf.get(from)?.values() ?? []) addCounters(sum, l.counters);
    return sum;
  }

  private ep(id: NodeId): NetEndpoint {
    const e = this.endpoints.get(id);
    if (!e) throw new Error(`no node ${id}`);
    return e;
  }

  private base(): number {
    return sampleDelay(this.delay, this.random);
  }

  // ---- the sender's side: OutboundLink of transport.ts ----

  /** A node (re)started: eager links dial every other member now. */
  nodeStarted(id: NodeId, members: readonly NodeId[]): void {
    if (this.options.lazy) return;
    for (const p of members) if (p !== id) this.dial(this.link(id, p));
  }

  private dial(link: Link): void {
    if (link.state !== 'idle' || !this.ep(link.from).up) return;
    link.state = 'dialing';
    const at = this.ep(link.from).departure() + 2 * this.base();
    this.sched.at(at, () => {
      if (link.state !== 'dialing') return;
      if (!this.ep(link.from).up) {
        link.state = 'idle';
        return;
      }
      if (link.disabled > 0) {
        // The proxy refuses: no 'connect', so the backoff keeps growing.
        link.state = 'idle';
        this.lose(link.waiting.length, 'linkDown');
        link.waiting = [];
        this.scheduleRedial(link);
        return;
      }
      this.connected(link);
    });
  }

  private connected(link: Link): void {
    const conn = new Conn(this.nextConn++, link);
    for (const t of link.toxics) if (this.random.chance(t.probability)) conn.hit.add(t.id);
    link.conn = conn;
    link.state = 'up';
    link.attempts = 0;
    link.counters.connects++;
    const sender = this.ep(link.from);
    link.lastHeard = sender.localNow();
    link.lastSent = link.lastHeard;
    this.write(link, conn, encodeFrame(['h', link.from]), false);
    const waiting = link.waiting;
    link.waiting = [];
    for (const frame of waiting) this.write(link, conn, frame, true);
    // The proxy accepted, but the node behind it is gone: the proxy closes us at once.
    if (!this.ep(link.to).up) this.breakConn(conn, this.base());
  }

  private backoff(link: Link): number {
    const cap = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** Math.min(link.attempts, 10));
    link.attempts++;
    return cap / 2 + this.random.float() * (cap / 2);
  }

  private scheduleRedial(link: Link): void {
    const sender = this.ep(link.from);
    if (!sender.up) return;
    const delay = this.backoff(link);
    if (this.options.lazy) {
      link.retryAt = sender.localNow() + delay;
      return;
    }
    if (link.redial) return;
    link.redial = this.sched.after(delay, () => {
      link.redial = null;
      this.dial(link);
    });
  }

  /**
   * Whether `send` would take a message now (the transport's synchronous answer). A node in
   * the middle of a sync asks this, then sends when the sync completes.
   */
  canSend(from: NodeId, to: NodeId): boolean {
    const link = this.link(from, to);
    if (this.options.lazy) return link.state !== 'idle' || this.ep(from).localNow() >= link.retryAt;
    return link.state === 'up' && link.conn !== null && link.conn.inflightBytes <= this.options.maxBufferedBytes;
  }

  /** The transport's send: false when the message was dropped here (and counted). */
  send(from: NodeId, to: NodeId, payload: unknown): boolean {
    const link = this.link(from, to);
    let frame: Buffer;
    try {
      frame = encodeFrame(['m', payload]);
    } catch {
      link.counters.dropped++;
      return false;
    }
    const sender = this.ep(from);
    if (this.options.lazy) {
      if (link.state === 'idle' && sender.localNow() >= link.retryAt) this.dial(link);
      if (link.state === 'dialing') {
        const queued = link.waiting.reduce((s, f) => s + f.length, 0);
        if (queued > this.options.maxBufferedBytes) {
          link.counters.dropped++;
          return false;
        }
        link.waiting.push(frame);
        link.counters.msgsSent++;
        link.counters.bytesSent += frame.length;
        link.lastSent = sender.localNow();
        return true;
      }
    }
    const conn = link.conn;
    if (link.state !== 'up' || !conn || conn.inflightBytes > this.options.maxBufferedBytes) {
      link.counters.dropped++;
      return false;
    }
    link.counters.msgsSent++;
    link.counters.bytesSent += frame.length;
    link.lastSent = sender.localNow();
    this.write(link, conn, frame, true);
    return true;
  }

  /** Put one frame on a connection: through its toxics, then onto the wire in FIFO order. */
  private write(link: Link, conn: Conn, frame: Buffer, isMessage: boolean): void {
    const departs = this.ep(link.from).departure();
    let latency = 0;
    for (const t of link.toxics) {
      if (!conn.hit.has(t.id)) continue;
      switch (t.kind) {
        case 'blackhole':
          if (isMessage) this.lose(1, 'blackhole');
          return;
        case 'reset': {
          const after = t.afterBytes ?? 0;
          if (conn.passed + frame.length > after) {
            // reset_peer at the first bytes, or limit_data cutting this frame mid-way.
            if (isMessage) this.lose(1, 'reset');
            this.breakConn(conn, Math.max(0, departs - this.sched.now) + this.base());
            return;
          }
          break;
        }
        case 'latency': {
          const jitter = t.jitterMs ?? 0;
          latency += Math.max(0, (t.latencyMs ?? 0) + (jitter > 0 ? (this.random.float() * 2 - 1) * jitter : 0));
          break;
        }
        case 'bandwidth': {
          const perMs = Math.max(1e-9, (t.rateKBps ?? 1) * 1.024);
          conn.pipeFree = Math.max(conn.pipeFree, departs) + frame.length / perMs;
          latency = Math.max(latency, conn.pipeFree - departs);
          break;
        }
      }
    }
    conn.passed += frame.length;
    // Encoding and decoding cost by the byte: a storm of large messages spends the case's budget sooner.
    this.sched.charge(frame.length >> 8);
    const arrival = Math.max(conn.lastArrival, departs + this.base() + latency);
    conn.lastArrival = arrival;
    conn.inflightBytes += frame.length;
    this.sched.at(arrival, () => {
      conn.inflightBytes -= frame.length;
      if (!conn.open && !conn.draining) {
        if (isMessage) this.lose(1, 'broken');
        return;
      }
      const receiver = this.endpoints.get(link.to);
      if (!receiver || !receiver.up) {
        if (isMessage) this.lose(1, 'broken');
        return;
      }
      receiver.receive(conn, frame);
    });
  }

  private lose(n: number, why: keyof SimNetwork['lost']): void {
    this.lost[why] += n;
  }

  /**
   * A connection breaks: what is in flight on it is lost; the sender learns of it after
   * `noticeMs` (the proxy closing its side), then redials.
   */
  breakConn(conn: Conn, noticeMs = 0): void {
    if (!conn.open) return;
    conn.open = false;
    const link = conn.link;
    const notice = () => {
      if (link.conn !== conn) return;
      const wasUp = link.state === 'up';
      link.conn = null;
      link.state = 'idle';
      const sender = this.endpoints.get(link.from);
      if (!sender?.up) return;
      if (wasUp) sender.linkDown(link.to);
      this.scheduleRedial(link);
    };
    if (noticeMs <= 0) notice();
    else this.sched.after(noticeMs, notice);
  }

  /** The sender's heartbeat (transport.ts `heartbeat`): ping live links, kill silent ones, close idle lazy ones. */
  heartbeat(id: NodeId): void {
    const sender = this.ep(id);
    const now = sender.localNow();
    const out = this.outOf.get(id);
    if (out) for (const link of out.values()) this.heartbeatOut(link, now);
    const into = this.into.get(id);
    if (into) for (const link of into.values()) this.heartbeatIn(link, now);
  }

  private heartbeatOut(link: Link, now: number): void {
    const conn = link.conn;
    if (this.options.lazy && conn === null && this.retirable(link, now)) {
      this.retire(link);
      return;
    }
    if (this.options.lazy && link.state === 'up' && conn && this.options.idleMs > 0 && now - link.lastSent > this.options.idleMs && conn.inflightBytes === 0) {
      conn.open = false;
      link.conn = null;
      link.state = 'idle';
      return;
    }
    if (link.state !== 'up' || !conn) return;
    if (now - link.lastHeard > this.options.deadAfterMs) {
      this.breakConn(conn);
      return;
    }
    if (conn.inflightBytes <= this.options.maxBufferedBytes) this.write(link, conn, PING, false);
  }

  /**
   * Idle since at least the heartbeat before this one (so what its last connection carried
   * has long been read), and nothing that a new link would not also have: no backoff, no
   * fault, nothing waiting.
   */
  private retirable(link: Link, now: number): boolean {
    return link.state === 'idle' && link.attempts === 0 && now >= link.retryAt && link.redial === null && link.disabled === 0 && link.toxics.length === 0 && link.waiting.length === 0;
  }

  private retire(link: Link): void {
    this.outOf.get(link.from)?.delete(link.to);
    this.into.get(link.to)?.delete(link.from);
    let sum = this.retired.get(link.from);
    if (!sum) this.retired.set(link.from, (sum = zeroCounters()));
    addCounters(sum, link.counters);
  }

  private heartbeatIn(link: Link, now: number): void {
    const conn = link.conn;
    if (!conn || !conn.open || conn.lastHeardIn === null) return;
    if (now - conn.lastHeardIn > this.options.deadAfterMs) {
      conn.destroyedByReceiver = true;
      this.breakConn(conn, this.base());
    }
  }

  /**
   * The receiver reads a frame (transport.ts `accept`): hello names the sender, a ping gets
   * a pong (on the downstream, which carries no toxics), a message goes to the host.
   */
  read(conn: Conn, chunk: Buffer, onMessage: (from: NodeId, payload: unknown) => void): void {
    const link = conn.link;
    const receiver = this.ep(link.to);
    conn.lastHeardIn = receiver.localNow();
    // Frames travel whole here, so a ping is the very buffer it was sent as: no need to decode it.
    if (chunk === PING) {
      this.pong(conn);
      return;
    }
    let frames: unknown[];
    try {
      frames = conn.decoder.push(chunk);
    } catch {
      this.breakConn(conn, this.base());
      return;
    }
    for (const frame of frames) {
      if (!Array.isArray(frame)) {
        this.breakConn(conn, this.base());
        return;
      }
      if (frame[0] === 'h' && typeof frame[1] === 'string') conn.from = frame[1];
      else if (frame[0] === 'p') this.pong(conn);
      else if (frame[0] === 'm' && conn.from !== null) {
        link.counters.msgsReceived++;
        link.counters.bytesReceived += chunk.length;
        if (this.tap) this.tap(conn.from, link.to, frame[1]);
        onMessage(conn.from, frame[1]);
      } else {
        this.breakConn(conn, this.base());
        return;
      }
    }
  }

  private pong(conn: Conn): void {
    const link = conn.link;
    const at = this.ep(link.to).departure() + this.base();
    this.sched.at(at, () => {
      if (link.conn !== conn || !conn.open) return;
      const sender = this.endpoints.get(link.from);
      if (sender?.up) link.lastHeard = sender.localNow();
    });
  }

  /** A node crashed. Its inbound connections break (the proxies see a reset); its outbound ones end too, in flight kept (FIN) or lost (RST). */
  nodeCrashed(id: NodeId, graceful: boolean): void {
    for (const link of this.outOf.get(id)?.values() ?? []) {
      this.sched.cancel(link.redial);
      link.redial = null;
      if (link.conn) {
        link.conn.draining = graceful;
        link.conn.open = false;
      }
      link.conn = null;
      link.state = 'idle';
      link.attempts = 0;
      link.retryAt = 0;
      link.waiting = [];
    }
    for (const link of this.into.get(id)?.values() ?? []) if (link.conn) this.breakConn(link.conn, this.base());
  }

  /** Break every connection of the links whose proxy is now disabled (Toxiproxy closes them). */
  disable(links: readonly Link[]): void {
    for (const l of links) {
      l.disabled++;
      if (l.conn) this.breakConn(l.conn, this.base());
    }
  }

  enable(links: readonly Link[]): void {
    for (const l of links) l.disabled = Math.max(0, l.disabled - 1);
  }

  addToxic(links: readonly Link[], toxic: Toxic): void {
    for (const l of links) {
      l.toxics.push(toxic);
      // Toxiproxy adds a new toxic to live connections too, each rolling its toxicity.
      if (l.conn && this.random.chance(toxic.probability)) {
        l.conn.hit.add(toxic.id);
        // A reset at the first bytes: the next write resets it; with no traffic the ping does.
      }
    }
  }

  removeToxic(links: readonly Link[], id: number): void {
    for (const l of links) {
      l.toxics = l.toxics.filter((t) => t.id !== id);
      l.conn?.hit.delete(id);
    }
  }

  /** Every proxy enabled, every toxic gone. */
  healAll(): void {
    for (const l of this.allLinks()) {
      l.disabled = 0;
      l.toxics = [];
      l.conn?.hit.clear();
    }
  }

  /** Per peer, what each outbound link of `id` carried; retired lazy links are summed under `*`. */
  counters(id: NodeId): Record<NodeId, Counters> {
    const out: Record<NodeId, Counters> = {};
    for (const l of this.outOf.get(id)?.values() ?? []) out[l.to] = { ...l.counters };
    const retired = this.retired.get(id);
    if (retired) out['*'] = { ...retired };
    return out;
  }
}

function mapOf<K, V>(map: Map<K, Map<K, V>>, key: K): Map<K, V> {
  let inner = map.get(key);
  if (!inner) map.set(key, (inner = new Map()));
  return inner;
}

function addCounters(sum: Counters, c: Counters): void {
  sum.msgsSent += c.msgsSent;
  sum.bytesSent += c.bytesSent;
  sum.dropped += c.dropped;
  sum.connects += c.connects;
  sum.msgsReceived += c.msgsReceived;
  sum.bytesReceived += c.bytesReceived;
}
