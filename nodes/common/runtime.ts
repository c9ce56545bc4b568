/**
 * The node runtime: the only code that touches sockets, timers and the disk on behalf of a
 * core. It gives the node host (host.ts: inputs, the Ready order, requests in flight) the
 * real world: TCP peers (transport.ts), the client HTTP API, timers, and the data
 * directory (the write-ahead log and the snapshots, files.ts). Inputs that arrive in the same turn of the event loop are stepped together and
 * share one Ready, hence one fdatasync (group commit).
 */
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type http from 'node:http';
import type { z } from 'zod';
import type { Core, CoreContext, NodeId } from './core.js';
import { NodeHost, type HostIo } from './host.js';
import type { WriteAheadLog } from './storage.js';
import { FsFileStore } from './files.js';
import { openDurableState, type SnapshotStore } from './snapshots.js';
import { PeerTransport } from './transport.js';
import { startClientApi } from './client-api.js';
import { Random } from './random.js';
import { NodeClock, monoMs, monoNs } from './clock.js';
import { armFailpoint } from './failpoints.js';
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

export class NodeRuntime<M> {
  private host!: NodeHost<M>;
  private wal!: WriteAheadLog;
  private snapshots!: SnapshotStore;
  private store!: FsFileStore;
  private transport!: PeerTransport;
  private server: http.Server | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private traceFd: number | null = null;
  private eventsFd: number | null = null;
  private stopped = false;
  private readonly startedAt = monoMs();
  /** How late this process's event loop runs: the harness tells a starved machine from a slow protocol by it. */
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private loopDelaySince = monoMs();
  /** How long reading the data directory and rebuilding the core took at start (snapshot + log replay). */
  private recoveryMs = 0;
  /** The protocol's idea of time: skewed by clock faults (POST /clock); traces keep the machine clock. */
  private readonly clock = new NodeClock();

  constructor(
    private readonly config: NodeConfig,
    private readonly algorithm: Algorithm<M>,
    private readonly log: (line: string) => void = (line) => process.stderr.write(`${new Date().toISOString()} ${config.id} ${line}\n`),
  ) {}

  async start(): Promise<void> {
    const { config } = this;
    const recoveryStart = monoMs();
    this.store = new FsFileStore(config.dataDir, config.runtime.fsync);
    const opened = openDurableState(this.store, config.runtime.fsync);
    this.wal = opened.wal;
    this.snapshots = opened.snapshots;
    for (const note of opened.notes) this.log(note);
    const seed = config.runtime.seed ?? hashId(config.id);
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
      onMessage: (from, payload) => this.host.onEnvelope(from, payload),
      onLinkDown: (peer) => this.host.onLinkDown(peer),
      log: (line) => this.log(line),
    });
    this.host = new NodeHost<M>(
      {
        id: config.id,
        peers: [...config.peers.keys()],
        createCore: (ctx) => this.algorithm.create(ctx as CoreContext<never>),
        algoOptions: config.algoOptions,
        wal: this.wal,
        recovered: opened.records,
        snapshots: opened.snapshots,
        snapshot: opened.snapshot,
        random: Random.derive(seed, `core:${config.id}`),
        requestTimeoutMs: config.runtime.requestTimeoutMs,
      },
      this.io(),
    );
    this.recoveryMs = monoMs() - recoveryStart;
    if (opened.snapshot !== null || opened.records.length > 0) {
      this.log(`recovered in ${Math.round(this.recoveryMs)} ms: ${opened.snapshot === null ? 'no snapshot' : `a snapshot of ${opened.snapshots.stats.bytes} bytes`}, ${opened.records.length} log records`);
    }
    await this.transport.start();
    this.server = await startClientApi(
      config.api,
      {
        operate: (op) => new Promise((resolve) => this.host.operate(op, resolve)),
        status: () => ({ id: config.id, algo: this.algorithm.name, ...this.host.core.status() }),
        metrics: () => this.metrics(),
        clock: (rate, jumpMs, forMs) => {
          this.clock.skew(rate, jumpMs, forMs);
          this.log(`clock: now ${rate}x${jumpMs > 0 ? `, jumped ${jumpMs} ms forward` : ''}${forMs === undefined ? '' : ` for ${Math.round(forMs)} ms`}`);
          return this.clock.state();
        },
        failpoint: (point) => {
          armFailpoint(point, (hit) => this.log(`failpoint ${hit}: dying here (kill -9 of itself)`));
          this.log(point === null ? 'failpoint: disarmed' : `failpoint: armed at ${point}`);
          return { armed: point };
        },
      },
      config.runtime.maxBodyBytes,
    );
    // A tick is stepped after the I/O of its event-loop turn (setImmediate runs after the poll
    // phase): after a stall, the replies that queued up are seen before the tick that would
    // otherwise conclude, from their absence, that the peers are gone (CheckQuorum).
    this.loopDelay.enable();
    this.tickTimer = setInterval(() => setImmediate(() => this.host.tick()), config.runtime.tickMs);
    this.host.tick();
    this.log(`${this.algorithm.name} node ready: peers on ${formatHostPort(config.listen)}, clients on ${formatHostPort(config.api)}`);
  }

  /** The real world: timers, setImmediate, TCP, the trace files. */
  private io(): HostIo {
    return {
      nowMs: () => this.clock.nowMs(),
      nowNs: () => Number(monoNs()),
      setTimer: (ms, fn) => setTimeout(fn, ms),
      clearTimer: (t) => clearTimeout(t as NodeJS.Timeout),
      defer: (fn) => setImmediate(fn),
      send: (to, envelope) => this.transport.send(to, envelope),
      traceApplied: (applied, t) => {
        if (this.traceFd === null) return;
        // One batch applies in order but at one moment: the i-th write is stamped i ns after the
        // batch, so a checker that orders writes by when they were first held keeps the order.
        let text = '';
        for (let i = 0; i < applied.length; i++) {
          const a = applied[i]!;
          const version = a.version === undefined ? '' : `,"version":${JSON.stringify(a.version)}`;
          const at = a.at === undefined ? '' : `,"at":${a.at}`;
          text += `{"k":${JSON.stringify(a.key)},"v":${JSON.stringify(a.value)},"t":${t + i}${version}${at}}\n`;
        }
        fs.writeSync(this.traceFd, text);
      },
      traceEvents: (events, t) => {
        if (this.eventsFd === null) return;
        let text = '';
        for (const e of events) text += `${JSON.stringify({ ...e, node: this.config.id, t })}\n`;
        fs.writeSync(this.eventsFd, text);
      },
      log: (line) => this.log(line),
    };
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
      ...this.host.counters,
      replies: this.host.replyCounts,
      pendingRequests: this.host.pendingRequests,
      fsyncs: this.wal.stats.fsyncs,
      walRecords: this.wal.stats.records,
      walBytes: this.wal.stats.bytes,
      snapshots: this.snapshots.stats.saved,
      snapshotBytes: this.snapshots.stats.bytes,
      dataBytes: this.store.bytes(),
      recoveryMs: Math.round(this.recoveryMs),
      cpuUserMs: Math.round(cpu.user / 1000),
      cpuSystemMs: Math.round(cpu.system / 1000),
      rssBytes: process.memoryUsage.rss(),
      eventLoopDelayMs: this.eventLoopDelay(),
      clock: this.clock.state(),
      ...this.host.core.metrics?.(),
    };
  }

  /** Event-loop delay since the last sample older than 5 s, in ms (the histogram counts ns). */
  private eventLoopDelay(): { p50: number; p99: number; max: number; windowMs: number } {
    const h = this.loopDelay;
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const out = { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), windowMs: Math.round(monoMs() - this.loopDelaySince) };
    if (out.windowMs > 5000) {
      h.reset();
      this.loopDelaySince = monoMs();
    }
    return out;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.loopDelay.disable();
    this.host?.stop();
    this.server?.closeAllConnections();
    await Promise.all([this.transport?.close(), new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()))]);
    this.wal?.close();
    this.store?.close();
    if (this.traceFd !== null) fs.closeSync(this.traceFd);
    if (this.eventsFd !== null) fs.closeSync(this.eventsFd);
  }
}

function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h | 0;
}
