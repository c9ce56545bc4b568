/**
 * The node runtime: the only code that touches sockets, timers and the disk on behalf of a
 * core. It turns HTTP requests, peer messages and ticks into `Input`s, and carries out each
 * `Ready` in the order documented in core.ts. Inputs that arrive in the same turn of the
 * event loop are stepped together and share one Ready, hence one fdatasync (group commit).
 */
import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import type { z } from 'zod';
import type { ClientOp, ClientReply, Core, CoreContext, Input, NodeId, Ready } from './core.js';
import { reply } from './core.js';
import { WriteAheadLog } from './storage.js';
import { PeerTransport } from './transport.js';
import { startClientApi } from './client-api.js';
import { Random } from './random.js';
import { monoMs, monoNs } from './clock.js';
import { formatHostPort, type HostPort } from './address.js';
import type { RuntimeOptions } from './options.js';

/** What an algorithm module exports: its knobs and how to build its core. */
export interface Algorithm<M = unknown, S extends z.ZodObject = z.ZodObject> {
  name: string;
  optionsSchema: S;
  create(ctx: CoreContext<z.infer<S>>): Core<M>;
}

export interface NodeConfig {
  id: NodeId;
  listen: HostPort;
  api: HostPort;
  peers: Map<NodeId, HostPort>;
  dataDir: string;
  runtime: RuntimeOptions;
  algoOptions: Record<string, unknown>;
}

/** Transport payloads: a core message, a forwarded client request, or the reply to one. */
type Envelope = ['c', unknown] | ['f', string, ClientOp] | ['r', string, ClientReply];

interface LocalRequest {
  kind: 'local';
  op: ClientOp;
  resolve(reply: ClientReply): void;
  timer: NodeJS.Timeout;
}
interface RemoteRequest {
  kind: 'remote';
  op: ClientOp;
  origin: NodeId;
  originReqId: string;
  timer: NodeJS.Timeout;
}

export class NodeRuntime<M> {
  private core!: Core<M>;
  private wal!: WriteAheadLog;
  private transport!: PeerTransport;
  private server: http.Server | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private traceFd: number | null = null;
  private eventsFd: number | null = null;
  private readonly pending = new Map<string, LocalRequest | RemoteRequest>();
  private nextReqId = 1;
  private flushScheduled = false;
  private stopped = false;
  private readonly startedAt = monoMs();
  private readonly counters = { clientRequests: 0, forwardedOut: 0, forwardedIn: 0, applied: 0, timeouts: 0, readies: 0 };
  private readonly replyCounts: Record<string, number> = {};

  constructor(
    private readonly config: NodeConfig,
    private readonly algorithm: Algorithm<M>,
    private readonly log: (line: string) => void = (line) => process.stderr.write(`${new Date().toISOString()} ${config.id} ${line}\n`),
  ) {}

  async start(): Promise<void> {
    const { config } = this;
    const opened = WriteAheadLog.open(config.dataDir, config.runtime.fsync);
    this.wal = opened.wal;
    if (this.wal.stats.tornBytes > 0) this.log(`recovered ${opened.records.length} records; cut a torn tail of ${this.wal.stats.tornBytes} bytes`);
    const seed = config.runtime.seed ?? hashId(config.id);
    this.core = this.algorithm.create({
      id: config.id,
      peers: [...config.peers.keys()],
      options: config.algoOptions,
      recovered: opened.records,
      random: Random.derive(seed, `core:${config.id}`),
      now: monoMs(),
    });
    if (config.runtime.trace) {
      this.traceFd = fs.openSync(path.join(config.dataDir, 'applied.jsonl'), 'a');
      this.eventsFd = fs.openSync(path.join(config.dataDir, 'events.jsonl'), 'a');
    }
    this.transport = new PeerTransport({
      id: config.id,
      listen: config.listen,
      peers: config.peers,
      heartbeatMs: config.runtime.linkHeartbeatMs,
      deadAfterMs: config.runtime.linkDeadMs,
      dial: config.runtime.linkDial,
      idleMs: config.runtime.linkIdleMs,
      maxBufferedBytes: config.runtime.maxBufferedBytes,
      random: Random.derive(seed, `transport:${config.id}`),
      onMessage: (from, payload) => this.onEnvelope(from, payload),
      log: (line) => this.log(line),
    });
    await this.transport.start();
    this.server = await startClientApi(
      config.api,
      {
        operate: (op) => this.operate(op),
        status: () => ({ id: config.id, algo: this.algorithm.name, ...this.core.status() }),
        metrics: () => this.metrics(),
      },
      config.runtime.maxBodyBytes,
    );
    // A tick is stepped after the I/O of its event-loop turn (setImmediate runs after the poll
    // phase): after a stall, the replies that queued up are seen before the tick that would
    // otherwise conclude, from their absence, that the peers are gone (CheckQuorum).
    this.tickTimer = setInterval(() => setImmediate(() => this.submit({ type: 'tick', now: monoMs() })), config.runtime.tickMs);
    this.submit({ type: 'tick', now: monoMs() });
    this.log(`${this.algorithm.name} node ready: peers on ${formatHostPort(config.listen)}, clients on ${formatHostPort(config.api)}`);
  }

  private submit(input: Input<M>): void {
    if (this.stopped) return;
    this.core.step(input);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private operate(op: ClientOp): Promise<ClientReply> {
    this.counters.clientRequests++;
    const reqId = `l${this.nextReqId++}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.expire(reqId), this.config.runtime.requestTimeoutMs);
      this.pending.set(reqId, { kind: 'local', op, resolve, timer });
      this.submit({ type: 'client', reqId, op, forwarded: false });
    });
  }

  private expire(reqId: string): void {
    const request = this.pending.get(reqId);
    if (!request) return;
    this.pending.delete(reqId);
    this.counters.timeouts++;
    if (request.kind === 'local') this.resolve(request, reply.unknown('timed out waiting for the outcome'));
    this.submit({ type: 'clientGone', reqId });
  }

  private resolve(request: LocalRequest, r: ClientReply): void {
    this.replyCounts[r.status] = (this.replyCounts[r.status] ?? 0) + 1;
    request.resolve(r);
  }

  private onEnvelope(from: NodeId, payload: unknown): void {
    if (!Array.isArray(payload)) return;
    const env = payload as Envelope;
    switch (env[0]) {
      case 'c':
        this.submit({ type: 'message', from, msg: env[1] as M });
        return;
      case 'f': {
        // A forwarded op was validated by the node that took it from the client; peers are trusted.
        this.counters.forwardedIn++;
        const reqId = `r${this.nextReqId++}`;
        const timer = setTimeout(() => this.expire(reqId), this.config.runtime.requestTimeoutMs);
        this.pending.set(reqId, { kind: 'remote', op: env[2], origin: from, originReqId: env[1], timer });
        this.submit({ type: 'client', reqId, op: env[2], forwarded: true });
        return;
      }
      case 'r': {
        const request = this.pending.get(env[1]);
        if (!request || request.kind !== 'local') return;
        this.pending.delete(env[1]);
        clearTimeout(request.timer);
        this.resolve(request, env[2]);
        return;
      }
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.stopped) return;
    const ready: Ready<M> = this.core.ready();
    this.counters.readies++;
    for (const { to, msg } of ready.early) this.transport.send(to, ['c', msg]);
    this.wal.append(ready.persist);
    for (const { to, msg } of ready.messages) this.transport.send(to, ['c', msg]);
    for (const { reqId, to } of ready.forwards) this.forward(reqId, to);
    for (const { reqId, reply: r } of ready.replies) this.answer(reqId, r);
    if (ready.applied.length > 0) this.trace(ready.applied);
    if (ready.events.length > 0 && this.eventsFd !== null) {
      const t = Number(monoNs());
      let text = '';
      for (const e of ready.events) text += `${JSON.stringify({ ...e, node: this.config.id, t })}\n`;
      fs.writeSync(this.eventsFd, text);
    }
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
    if (!this.transport.send(to, ['f', reqId, request.op])) {
      this.answer(reqId, reply.unavailable(`cannot reach ${to} to forward the request`, { leader: to }));
    }
  }

  private answer(reqId: string, r: ClientReply): void {
    const request = this.pending.get(reqId);
    if (!request) return;
    this.pending.delete(reqId);
    clearTimeout(request.timer);
    if (request.kind === 'local') this.resolve(request, r);
    else this.transport.send(request.origin, ['r', request.originReqId, r]);
  }

  private trace(applied: Ready<M>['applied']): void {
    this.counters.applied += applied.length;
    if (this.traceFd === null) return;
    // One batch applies in order but at one moment: the i-th write is stamped i ns after the
    // batch, so a checker that orders writes by when they were first held keeps the order.
    const t = Number(monoNs());
    let text = '';
    for (let i = 0; i < applied.length; i++) {
      const a = applied[i]!;
      const version = a.version === undefined ? '' : `,"version":${JSON.stringify(a.version)}`;
      text += `{"k":${JSON.stringify(a.key)},"v":${JSON.stringify(a.value)},"t":${t + i}${version}}\n`;
    }
    fs.writeSync(this.traceFd, text);
  }

  metrics(): Record<string, unknown> {
    const peers = this.transport.counters();
    const totals = { msgsSent: 0, bytesSent: 0, msgsReceived: 0, bytesReceived: 0, dropped: 0 };
    for (const c of Object.values(peers)) {
      totals.msgsSent += c.msgsSent;
      totals.bytesSent += c.bytesSent;
      totals.msgsReceived += c.msgsReceived;
      totals.bytesReceived += c.bytesReceived;
      totals.dropped += c.dropped;
    }
    const cpu = process.cpuUsage();
    return {
      id: this.config.id,
      algo: this.algorithm.name,
      uptimeMs: Math.round(monoMs() - this.startedAt),
      ...totals,
      peers,
      ...this.counters,
      replies: this.replyCounts,
      pendingRequests: this.pending.size,
      fsyncs: this.wal.stats.fsyncs,
      walRecords: this.wal.stats.records,
      walBytes: this.wal.stats.bytes,
      cpuUserMs: Math.round(cpu.user / 1000),
      cpuSystemMs: Math.round(cpu.system / 1000),
      rssBytes: process.memoryUsage.rss(),
      ...this.core.metrics?.(),
    };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    for (const [reqId, request] of this.pending) {
      clearTimeout(request.timer);
      if (request.kind === 'local') this.resolve(request, reply.unknown('node shutting down'));
      this.pending.delete(reqId);
    }
    this.server?.closeAllConnections();
    await Promise.all([this.transport?.close(), new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()))]);
    this.wal?.close();
    if (this.traceFd !== null) fs.closeSync(this.traceFd);
    if (this.eventsFd !== null) fs.closeSync(this.eventsFd);
  }
}

function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h | 0;
}
