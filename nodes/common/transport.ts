/**
 * Peer transport over TCP. Each node dials one outbound connection per peer (through that
 * directed link's proxy) and sends its messages only on it; inbound connections only
 * receive. So the proxy `n1->n2` carries exactly what n1 says to n2, and a one-way
 * partition is one proxy.
 *
 * Liveness: the dialer pings every `heartbeatMs`; the acceptor answers each ping on the
 * same connection. Either side that hears nothing for `deadAfterMs` destroys the socket, so
 * a black-holed link (a `timeout` toxic that never closes) is detected and redialled.
 * Nothing queues for a peer that is down: a message for a link that is not connected, or
 * whose socket already buffers `maxBufferedBytes`, is dropped and counted. The algorithms
 * above retransmit; the transport never grows without bound.
 *
 * Dialling: `eager` (the default) dials every peer at start and redials a lost link in the
 * background forever. `lazy` dials a peer on the first message for it (the message waits in
 * the connecting socket, bounded like any other), redials only when there is something to
 * send (after the same backoff), and closes an outbound link nobody used for `idleMs`.
 * With N nodes eager keeps N(N-1) links and their heartbeats up whether or not they carry
 * anything (2,450 at N = 50, plus a redial storm while peers are still starting); gossip
 * talks to a few random peers at a time, so lazy links cost it only what it uses. A
 * message on a lazy link whose dial then fails is lost, as if the peer crashed just after.
 *
 * Wire frames (codec.ts): ["h", id] hello, ["p"] ping, ["o"] pong, ["m", payload].
 */
import net from 'node:net';
import type { NodeId } from './core.js';
import { FrameDecoder, encodeFrame } from './codec.js';
import { formatHostPort, type HostPort } from './address.js';
import { monoMs } from './clock.js';
import type { Random } from './random.js';

export interface LinkCounters {
  msgsSent: number;
  bytesSent: number;
  msgsReceived: number;
  bytesReceived: number;
  dropped: number;
  connects: number;
}

export interface TransportOptions {
  id: NodeId;
  listen: HostPort;
  peers: Map<NodeId, HostPort>;
  heartbeatMs: number;
  deadAfterMs: number;
  maxBufferedBytes: number;
  random: Random;
  onMessage(from: NodeId, payload: unknown): void;
  /** An outbound link that was up broke: whatever was in flight on it is lost. */
  onLinkDown?(peer: NodeId): void;
  log(line: string): void;
  /** `eager` (default): dial every peer at start and keep every link up. `lazy`: dial on first send (see the header). */
  dial?: 'eager' | 'lazy';
  /** Lazy only: close an outbound link that sent nothing for this long; 0 keeps it open. */
  idleMs?: number;
}

const RECONNECT_MIN_MS = 10;
const RECONNECT_MAX_MS = 400;

function newCounters(): LinkCounters {
  return { msgsSent: 0, bytesSent: 0, msgsReceived: 0, bytesReceived: 0, dropped: 0, connects: 0 };
}

class OutboundLink {
  socket: net.Socket | null = null;
  connected = false;
  lastHeard = 0;
  private lastSent = 0;
  private dialedAt = 0;
  /** Lazy: no dial before this time (backoff after a failed or lost connection). */
  private retryAt = 0;
  private attempts = 0;
  private retry: NodeJS.Timeout | null = null;
  private closed = false;
  readonly counters = newCounters();

  constructor(
    private readonly transport: PeerTransport,
    readonly peer: NodeId,
    private readonly address: HostPort,
  ) {}

  dial(): void {
    if (this.closed) return;
    const lazy = this.transport.lazy;
    const socket = net.connect({ host: this.address.host, port: this.address.port });
    this.socket = socket;
    this.dialedAt = monoMs();
    socket.setNoDelay(true);
    // Lazy links carry messages before the connection is up, so the hello must be queued first.
    if (lazy) socket.write(encodeFrame(['h', this.transport.id]));
    const decoder = new FrameDecoder();
    socket.on('connect', () => {
      this.connected = true;
      this.attempts = 0;
      this.lastHeard = monoMs();
      this.counters.connects++;
      if (!lazy) socket.write(encodeFrame(['h', this.transport.id]));
    });
    socket.on('data', (chunk: Buffer) => {
      this.lastHeard = monoMs();
      try {
        decoder.push(chunk); // only pongs travel back; hearing them is all that matters
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => {
      /* 'close' follows and handles it */
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      const wasConnected = this.connected;
      this.connected = false;
      this.socket = null;
      if (lazy) this.retryAt = monoMs() + this.backoff();
      else this.scheduleRedial();
      if (wasConnected) this.transport.linkDown(this.peer);
    });
  }

  private backoff(): number {
    const cap = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** Math.min(this.attempts, 10));
    this.attempts++;
    return cap / 2 + this.transport.random.float() * (cap / 2);
  }

  private scheduleRedial(): void {
    if (this.closed || this.retry) return;
    const delay = this.backoff();
    this.retry = setTimeout(() => {
      this.retry = null;
      this.dial();
    }, delay);
  }

  send(frame: Buffer): boolean {
    const lazy = this.transport.lazy;
    if (lazy && !this.socket && !this.closed && monoMs() >= this.retryAt) this.dial();
    const socket = this.socket;
    if ((!this.connected && !lazy) || !socket || socket.writableLength > this.transport.maxBufferedBytes) {
      this.counters.dropped++;
      return false;
    }
    socket.write(frame);
    this.counters.msgsSent++;
    this.counters.bytesSent += frame.length;
    if (lazy) this.lastSent = monoMs();
    return true;
  }

  heartbeat(now: number, ping: Buffer, deadAfterMs: number): void {
    if (this.transport.lazy && this.socket) {
      if (!this.connected && now - this.dialedAt > deadAfterMs) {
        this.socket.destroy(); // a dial that never completes (SYNs black-holed)
        return;
      }
      const idleMs = this.transport.idleMs;
      if (this.connected && idleMs > 0 && now - this.lastSent > idleMs && this.socket.writableLength === 0) {
        // Everything written is flushed; detach first so the next send dials afresh at once.
        const idle = this.socket;
        this.socket = null;
        this.connected = false;
        idle.destroy();
        return;
      }
    }
    if (!this.connected || !this.socket) return;
    if (now - this.lastHeard > deadAfterMs) {
      this.transport.log(`link to ${this.peer} silent for ${Math.round(now - this.lastHeard)} ms: redialling`);
      this.socket.destroy();
      return;
    }
    if (this.socket.writableLength <= this.transport.maxBufferedBytes) this.socket.write(ping);
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.socket?.destroy();
  }
}

export class PeerTransport {
  readonly id: NodeId;
  readonly maxBufferedBytes: number;
  readonly random: Random;
  readonly lazy: boolean;
  readonly idleMs: number;
  private readonly links = new Map<NodeId, OutboundLink>();
  private readonly inbound = new Set<{ socket: net.Socket; lastHeard: number }>();
  private readonly received = new Map<NodeId, LinkCounters>();
  private server: net.Server | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly ping = encodeFrame(['p']);
  private readonly pong = encodeFrame(['o']);

  constructor(private readonly opts: TransportOptions) {
    this.id = opts.id;
    this.maxBufferedBytes = opts.maxBufferedBytes;
    this.random = opts.random;
    this.lazy = opts.dial === 'lazy';
    this.idleMs = opts.idleMs ?? 0;
    for (const [peer, address] of opts.peers) this.links.set(peer, new OutboundLink(this, peer, address));
  }

  log(line: string): void {
    this.opts.log(line);
  }

  linkDown(peer: NodeId): void {
    this.opts.onLinkDown?.(peer);
  }

  async start(): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`cannot listen for peers on ${formatHostPort(this.opts.listen)}: ${err.message}`)));
      server.listen(this.opts.listen.port, this.opts.listen.host, () => resolve());
    });
    server.on('error', (err) => this.log(`peer listener error: ${err.message}`));
    if (!this.lazy) for (const link of this.links.values()) link.dial();
    this.timer = setInterval(() => this.heartbeat(), this.opts.heartbeatMs);
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    const entry = { socket, lastHeard: monoMs() };
    this.inbound.add(entry);
    const decoder = new FrameDecoder();
    const sizes: number[] = [];
    let from: NodeId | null = null;
    socket.on('data', (chunk: Buffer) => {
      entry.lastHeard = monoMs();
      let frames: unknown[];
      sizes.length = 0;
      try {
        frames = decoder.push(chunk, sizes);
      } catch {
        socket.destroy();
        return;
      }
      for (let i = 0; i < frames.length; i++) {
        const frame = frames[i];
        if (!Array.isArray(frame)) {
          socket.destroy();
          return;
        }
        const kind = frame[0];
        if (kind === 'h' && typeof frame[1] === 'string') {
          from = frame[1];
        } else if (kind === 'p') {
          if (socket.writableLength <= this.maxBufferedBytes) socket.write(this.pong);
        } else if (kind === 'm' && from !== null) {
          const counters = this.countersFrom(from);
          counters.msgsReceived++;
          counters.bytesReceived += sizes[i]!;
          this.opts.onMessage(from, frame[1]);
        } else {
          socket.destroy();
          return;
        }
      }
    });
    socket.on('error', () => {
      /* close follows */
    });
    socket.on('close', () => this.inbound.delete(entry));
  }

  private countersFrom(peer: NodeId): LinkCounters {
    let c = this.received.get(peer);
    if (!c) this.received.set(peer, (c = newCounters()));
    return c;
  }

  private heartbeat(): void {
    const now = monoMs();
    for (const link of this.links.values()) link.heartbeat(now, this.ping, this.opts.deadAfterMs);
    for (const entry of this.inbound) {
      if (now - entry.lastHeard > this.opts.deadAfterMs) entry.socket.destroy();
    }
  }

  /** Send one message; false when it was dropped (peer down or its buffer full). */
  send(to: NodeId, payload: unknown): boolean {
    const link = this.links.get(to);
    if (!link) return false;
    let frame: Buffer;
    try {
      frame = encodeFrame(['m', payload]);
    } catch (err) {
      // A message too large for one frame is dropped and counted like any lost message;
      // the algorithm's retransmission decides what happens next, the process lives on.
      link.counters.dropped++;
      this.log(`dropped a message to ${to}: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
    return link.send(frame);
  }

  isConnected(to: NodeId): boolean {
    return this.links.get(to)?.connected ?? false;
  }

  /** Per-peer counters: sent on our outbound link, received on their inbound connections. */
  counters(): Record<NodeId, LinkCounters> {
    const out: Record<NodeId, LinkCounters> = {};
    for (const [peer, link] of this.links) {
      const r = this.received.get(peer) ?? newCounters();
      out[peer] = { ...link.counters, msgsReceived: r.msgsReceived, bytesReceived: r.bytesReceived };
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const link of this.links.values()) link.close();
    for (const entry of this.inbound) entry.socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
